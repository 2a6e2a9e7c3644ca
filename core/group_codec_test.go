package core_test

import (
	"reflect"
	"strconv"
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

// A page that encodes a MsgSend or a MsgAck itself (FxFast, FxLead) puts
// its own fields between the parts Go gave it, in EncodeMsg's format: the
// result is EncodeMsg's, for any From, To, At, Seq and frames (non-ASCII,
// empty, holding colons).
func TestSendAndAckPartsAreEncodeMsgs(t *testing.T) {
	t.Parallel()
	num := func(s string) string { return strconv.Itoa(len(s)) + ":" + s }
	frames := [][]byte{[]byte(`{"n":1}`), []byte(""), []byte("12:34:é🎉")}
	for _, from := range []string{"b", "1x7z", "é"} {
		send := core.GroupMsg{T: core.MsgSend, From: from, Gen: 12, At: 1765000000123 * time.Millisecond, Seq: 4097, Frames: frames}
		head, tail := core.SendParts(&core.GroupMsg{T: core.MsgSend, From: from, Gen: 12, Seq: 1})
		body := num(strconv.FormatInt(send.At.Milliseconds(), 10)+"000000") + num("4097") + num("3")
		for _, f := range frames {
			body += strconv.Itoa(len(f)) + ":" + string(f)
		}
		if got, want := head+body+tail, core.EncodeMsg(&send); got != want {
			t.Fatalf("send from %q:\n got %q\nwant %q", from, got, want)
		}
		ack := core.GroupMsg{T: core.MsgAck, From: "a", To: from, Seq: 99}
		a, b, c := core.AckParts(&core.GroupMsg{T: core.MsgAck, From: "a"})
		if got, want := a+num(from)+b+num("99"), core.EncodeMsg(&ack); got+c != want {
			t.Fatalf("ack to %q:\n got %q\nwant %q", from, got+c, want)
		}
	}
}
