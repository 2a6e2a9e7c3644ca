package core_test

import (
	"fmt"
	"testing"

	"github.com/kissjs/kiss-websocket/core"
)

// The names reach JavaScript (pubsub channels, state strings), so they are
// part of the API.
func TestNames(t *testing.T) {
	t.Parallel()
	cases := []struct{ got, want string }{
		{core.EventConnected.String(), "EVT_CONNECTED"},
		{core.EventReconnected.String(), "EVT_RECONNECTED"},
		{core.EventDisconnected.String(), "EVT_DISCONNECTED"},
		{core.EventReconnecting.String(), "EVT_RECONNECTING"},
		{core.EventConnectionLost.String(), "EVT_CONNECTION_LOST"},
		{core.EventConnectionClosed.String(), "EVT_CONNECTION_CLOSED"},
		{core.EventUnusableToken.String(), "EVT_UNUSABLE_TOKEN"},
		{core.EventServerGone.String(), "EVT_SERVER_GONE"},
		{core.EventKind(99).String(), "unknown"},
		{core.EventKind(-1).String(), "unknown"},
		{core.StateIdle.String(), "idle"},
		{core.StateReconnecting.String(), "reconnecting"},
		{core.StateClosed.String(), "closed"},
		{core.State(-1).String(), "unknown"},
		{core.ResultIgnored.String(), "ignored"},
		{core.ResultOpened.String(), "opened"},
		{core.ResultFailed.String(), "failed"},
		{core.Result(3).String(), "unknown"},
		{core.Result(-1).String(), "unknown"},
		{fmt.Sprint(core.ResultOpened), "opened"},
		{core.ActionCheckToken.String(), "check-token"},
		{core.Action(42).String(), "unknown"},
		{core.Action(-2).String(), "unknown"},
		{(&core.CloseError{Code: 4003, Reason: "DEFINITIVE_CLOSE"}).Error(), "websocket closed with code 4003 (DEFINITIVE_CLOSE)"},
		{(&core.CloseError{Code: 1006}).Error(), "websocket closed with code 1006"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
