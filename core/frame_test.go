//go:build !js

package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/kissjs/kiss-websocket/core"
	"github.com/kissjs/kiss-websocket/internal/rules"
)

// What only core does (the shared rule is in internal/rules/frames.json):
// the channel comes back raw, still escaped, and nesting deeper than
// encoding/json's bound is refused (JSON.parse in the browser takes it: no
// KissJS server sends such a frame).
func TestClassify(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		data    string
		kind    core.FrameKind
		channel string
	}{
		{"unicode escape", `{"channel":"\u0041"}`, core.FrameMessage, `\u0041`},
		{"escaped key", `{"\u0063hannel":"c\"d"}`, core.FrameMessage, `c\"d`},
		{"too deep", strings.Repeat("[", 10002) + strings.Repeat("]", 10002), core.FrameMalformed, ""},
	}
	for _, c := range cases {
		kind, ch, _ := core.Classify(true, []byte(c.data))
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

// frameVectors are internal/rules/frames.json, which the loader's per-frame
// path passes too (wasm/frames_test.go, in Chromium).
func frameVectors(t *testing.T) []rules.Frame {
	t.Helper()
	v, err := rules.Frames()
	if err != nil || len(v) == 0 {
		t.Fatalf("frames.json: %d vectors, %v", len(v), err)
	}
	return v
}

// jsonShape is the JSON type of a valid value, as the vectors name it.
func jsonShape(data []byte) string {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber() // 1e400 is a number too
	var v any
	if err := d.Decode(&v); err != nil {
		return "invalid: " + err.Error()
	}
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case json.Number:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

func TestClassifyPassesTheFrameVectors(t *testing.T) {
	t.Parallel()
	kinds := map[string]core.FrameKind{rules.Pong: core.FramePong, rules.Message: core.FrameMessage, rules.Malformed: core.FrameMalformed}
	for _, f := range frameVectors(t) {
		data := f.Data()
		kind, raw, reason := core.Classify(!f.Binary, data)
		want, ok := kinds[f.Want]
		if !ok {
			t.Fatalf("%s: want %q is no kind", f.Name, f.Want)
		}
		if kind != want || reason != f.Reason {
			t.Errorf("%s: %v %q, the vector says %v %q", f.Name, kind, reason, want, f.Reason)
			continue
		}
		if kind != core.FrameMessage {
			continue
		}
		wantCh, has := f.WantChannel()
		if ch := core.ChannelName(raw); string(ch) != wantCh || (ch != nil) != has {
			t.Errorf("%s: channel %q (%v), the vector says %q (%v)", f.Name, clip(string(ch)), ch != nil, clip(wantCh), has)
		}
		if s := jsonShape(data); s != f.Shape {
			t.Errorf("%s: a %s, the vector says %s", f.Name, s, f.Shape)
		}
	}
}

// The native client's delivery: a real socket brings every vector, in
// order; each message is delivered once, on its channel, with its frame as
// it came; each malformed one is counted and logged with its reason; the
// pong is swallowed.
func TestClientDeliversTheFrameVectors(t *testing.T) {
	t.Parallel()
	vectors := frameVectors(t)
	if vectors[len(vectors)-1].Want != rules.Message {
		t.Fatal("the last vector must be a message: the test waits for it")
	}
	url := rawServer(t, func(ctx context.Context, ws *websocket.Conn) {
		for _, f := range vectors {
			typ := websocket.MessageText
			if f.Binary {
				typ = websocket.MessageBinary
			}
			if ws.Write(ctx, typ, f.Data()) != nil {
				return
			}
		}
		ws.Read(ctx) // until the client closes
	})
	rec := newRecorder()
	c := core.New(core.Options{Dialer: core.NativeDialer{}, URL: func(core.Config) (string, error) { return url, nil },
		OnEvent: rec.add, Log: rec.log})
	t.Cleanup(func() { shutdown(t, c) })
	connected(t, c, rec, fast())

	var msgs []rules.Frame
	var logs []string
	var bytesIn, dropped uint64
	for _, f := range vectors {
		bytesIn += uint64(len(f.Data()))
		switch f.Want {
		case rules.Message:
			msgs = append(msgs, f)
		case rules.Malformed:
			dropped++
			logs = append(logs, rules.DropPrefix+f.Reason)
		}
	}
	kinds := make([]core.EventKind, len(msgs))
	for i := range kinds {
		kinds[i] = core.EventMessage
	}
	for i, g := range expect(t, rec, wait, kinds...) {
		f := msgs[i]
		wantCh, has := f.WantChannel()
		if g.channel != wantCh || g.hasChannel != has {
			t.Errorf("%s: delivered on %q (%v), the vector says %q (%v)", f.Name, clip(g.channel), g.hasChannel, clip(wantCh), has)
		}
		if g.data != string(f.Data()) {
			t.Errorf("%s: delivered %q, not the frame", f.Name, clip(g.data))
		}
	}
	if got := rec.logLines(); strings.Join(got, "\n") != strings.Join(logs, "\n") {
		t.Errorf("logged\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(logs, "\n"))
	}
	if s := c.Stats(); s.FramesIn != uint64(len(vectors)) || s.BytesIn != bytesIn || s.Dropped != dropped {
		t.Errorf("stats in %d frames, %d bytes, %d dropped; want %d, %d, %d", s.FramesIn, s.BytesIn, s.Dropped, len(vectors), bytesIn, dropped)
	}
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:40] + "..." + s[len(s)-20:]
	}
	return s
}
