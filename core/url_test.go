package core_test

import (
	"testing"

	"github.com/kissjs/kiss-websocket/core"
)

func TestURLs(t *testing.T) {
	t.Parallel()
	cases := []struct{ got, want string }{
		{core.DefaultBase(true, "app.test", 80, 443), "wss://app.test:443/?token="},
		{core.DefaultBase(false, "app.test", 8080, 443), "ws://app.test:8080/?token="},
		{core.DefaultBase(true, "app.test:9443", 80, 443), "wss://app.test:9443/?token="},
		{core.DefaultBase(false, "[::1]", 80, 443), "ws://[::1]:80/?token="},
		{core.SocketURL("wss://a/?token=", "a+b/c"), "wss://a/?token=a%2Bb%2Fc"},
		{core.SocketURL("wss://a/socket", "tok"), "wss://a/socket"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
