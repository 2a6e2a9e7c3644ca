package core_test

import (
	"testing"

	"github.com/kissjs/kiss-websocket/core"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		text    bool
		data    string
		kind    core.FrameKind
		channel string
	}{
		{"pong", true, "pong", core.FramePong, ""},
		{"pong with spaces", true, " pong ", core.FrameMalformed, ""},
		{"binary", false, `{"channel":"a"}`, core.FrameMalformed, ""},
		{"empty", true, "", core.FrameMalformed, ""},
		{"not json", true, "hello", core.FrameMalformed, ""},
		{"invalid utf8", true, "\"\xff\"", core.FrameMalformed, ""},
		{"null", true, "null", core.FrameMalformed, ""},
		{"array", true, `[1,2]`, core.FrameMalformed, ""},
		{"number", true, `42`, core.FrameMalformed, ""},
		{"channel number", true, `{"channel":3}`, core.FrameMalformed, ""},
		{"channel null", true, `{"channel":null}`, core.FrameMalformed, ""},
		{"no channel", true, `{"a":1}`, core.FrameMessage, ""},
		{"channel", true, ` { "x" : {"channel":"inner"}, "channel" : "EVT_DB_UPDATE:M1" } `, core.FrameMessage, "EVT_DB_UPDATE:M1"},
		{"last duplicate wins", true, `{"channel":"a","channel":"b"}`, core.FrameMessage, "b"},
		{"last duplicate wins bad", true, `{"channel":"a","channel":1}`, core.FrameMalformed, ""},
		{"nested strings with braces", true, `{"d":"}{\"","arr":[{"channel":1}],"channel":"c"}`, core.FrameMessage, "c"},
		{"empty object", true, `{}`, core.FrameMessage, ""},
	}
	for _, c := range cases {
		kind, ch, _ := core.Classify(c.text, []byte(c.data))
		if kind != c.kind || string(ch) != c.channel {
			t.Errorf("%s: got %v %q, want %v %q", c.name, kind, ch, c.kind, c.channel)
		}
	}
}

func TestClassifyDoesNotAllocate(t *testing.T) {
	frame := []byte(`{"channel":"EVT_DB_UPDATE:M1","dbMode":"online","id":"x","data":{"a":[1,2,3]}}`)
	allocs := testing.AllocsPerRun(100, func() { core.Classify(true, frame) })
	if allocs != 0 {
		t.Fatalf("Classify allocates %v times per frame", allocs)
	}
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"pong", `{"channel":"a"}`, `{"channel":1}`, "null", `[]`, `{"a":{"b":"}"}}`, "\xff"} {
		f.Add(true, []byte(s))
	}
	f.Fuzz(func(t *testing.T, text bool, data []byte) {
		kind, ch, _ := core.Classify(text, data)
		if kind == core.FrameMessage && len(ch) > len(data) {
			t.Fatal("channel longer than frame")
		}
	})
}
