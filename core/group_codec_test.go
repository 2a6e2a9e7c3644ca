package core_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// A message between tabs reads back as it was posted, whatever its text
// holds (colons, digits, nothing, non-ASCII), and a string that is not one
// is refused.
func TestGroupMsgCodecRoundTrips(t *testing.T) {
	t.Parallel()
	msgs := []core.GroupMsg{
		{T: core.MsgJoin, From: "a:1", Key: "ws://h/?token=\nuser:x", Hidden: true},
		{T: core.MsgHello, From: "b", To: "a:1", Open: true, Info: core.SocketInfo{Protocol: "p", Extensions: "e", Gen: 7, Lock: "c9"}},
		{T: core.MsgSend, From: "c", Gen: 3, At: 1700000000123 * time.Millisecond, Seq: 41,
			Frames: [][]byte{[]byte(`{"n":1}`), []byte(""), []byte("12:34:é")}},
		{T: core.MsgClose, From: "d", Gen: 2, Close: core.CloseError{Code: 1006, Reason: "x", WasClean: true, Relayed: true},
			Owners: []string{"a", "b"}, Resend: [][][]byte{{[]byte("1")}, {[]byte("2"), []byte("3")}}},
		{T: core.MsgPong, From: "e", To: "f", RTT: 1500 * time.Microsecond},
		{T: core.MsgBye, From: "g", Next: "h"},
	}
	for _, m := range msgs {
		got, ok := core.DecodeMsg(core.EncodeMsg(&m))
		if !ok || !reflect.DeepEqual(got, m) {
			t.Fatalf("%s: got %+v (ok %v), want %+v", m.T, got, ok, m)
		}
	}
	for _, s := range []string{"", "x", "1:9", "99:1", "1:1", core.EncodeMsg(&msgs[0]) + "0:"} {
		if _, ok := core.DecodeMsg(s); ok {
			t.Fatalf("%q decoded", s)
		}
	}
}
