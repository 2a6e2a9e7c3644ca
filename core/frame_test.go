//go:build !js

package core_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

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
		{"null with spaces", true, " null\n", core.FrameMalformed, ""},
		{"array", true, `[1,2]`, core.FrameMessage, ""},
		{"array of objects with channels", true, `[{"channel":"a"}]`, core.FrameMessage, ""},
		{"number", true, `42`, core.FrameMessage, ""},
		{"string", true, `"hello"`, core.FrameMessage, ""},
		{"the JSON string pong", true, `"pong"`, core.FrameMessage, ""},
		{"boolean", true, ` true `, core.FrameMessage, ""},
		{"channel number", true, `{"channel":3}`, core.FrameMalformed, ""},
		{"channel null", true, `{"channel":null}`, core.FrameMalformed, ""},
		{"no channel", true, `{"a":1}`, core.FrameMessage, ""},
		{"channel", true, ` { "x" : {"channel":"inner"}, "channel" : "EVT_DB_UPDATE:M1" } `, core.FrameMessage, "EVT_DB_UPDATE:M1"},
		{"last duplicate wins", true, `{"channel":"a","channel":"b"}`, core.FrameMessage, "b"},
		{"last duplicate wins bad", true, `{"channel":"a","channel":1}`, core.FrameMalformed, ""},
		{"nested strings with braces", true, `{"d":"}{\"","arr":[{"channel":1}],"channel":"c"}`, core.FrameMessage, "c"},
		{"empty object", true, `{}`, core.FrameMessage, ""},
		{"trailing comma", true, `{"a":1,}`, core.FrameMalformed, ""},
		{"bad escape", true, `{"a":"\x"}`, core.FrameMalformed, ""},
		{"unicode escape", true, `{"channel":"\u0041"}`, core.FrameMessage, `\u0041`},
		{"bad number", true, `{"a":01}`, core.FrameMalformed, ""},
		{"exponent", true, `{"a":-1.5e+3}`, core.FrameMessage, ""},
		{"two values", true, `{} {}`, core.FrameMalformed, ""},
		{"deep nesting", true, strings.Repeat("[", 600) + strings.Repeat("]", 600), core.FrameMessage, ""},
		{"too deep", true, strings.Repeat("[", 10002) + strings.Repeat("]", 10002), core.FrameMalformed, ""},
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
		kind, ch, reason := core.Classify(text, data)
		if kind == core.FrameMessage && len(ch) > len(data) {
			t.Fatal("channel longer than frame")
		}
		if !text || string(data) == "pong" || !utf8.Valid(data) {
			return
		}
		// our validator must agree with encoding/json
		if ours, std := reason != "not JSON", json.Valid(data); ours != std {
			t.Fatalf("validJSON=%v, encoding/json=%v for %q", ours, std, data)
		}
		var anyV any
		if err := json.Unmarshal(data, &anyV); err == nil {
			// KissJS drops only null and an object with a non-string channel.
			obj, isObj := anyV.(map[string]any)
			_, strCh := obj["channel"].(string)
			_, hasCh := obj["channel"]
			want := anyV != nil && (!isObj || strCh || !hasCh)
			if got := kind == core.FrameMessage; got != want {
				t.Fatalf("Classify(%q) message=%v, want %v", data, got, want)
			}
		}
		if kind == core.FrameMessage {
			var v map[string]any
			if json.Unmarshal(data, &v) != nil {
				return // an array or a scalar: no channel to compare
			}
			if c, ok := v["channel"].(string); ok && !strings.Contains(c, "\\") && c != string(ch) && !strings.Contains(string(ch), "\\") {
				t.Fatalf("channel %q, encoding/json says %q", ch, c)
			}
		}
	})
}
