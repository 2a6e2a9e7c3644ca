//go:build js && wasm

package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/internal/rules"
)

// frameRecorder runs in the page after the loader's onFrame for each frame
// of the socket (a listener added after the socket's onmessage), and records
// what that frame made of the page: the publishes (channel, JSON type, the
// websocket flag, whether the value is JSON.parse's), the onmessage hook's
// calls, the console lines, and stats() after it.
const frameRecorder = `
T.hooks = 0; T.rec = []; T.mark = T.events.length; T.lines = T.console.length;
T.st0 = kiss.websocket.stats();
T.shape = function (v) { return Array.isArray(v) ? "array" : v === null ? "null" : typeof v; };
T.sock = kiss.websocket.connection;
T.sock.addEventListener("message", function (ev) {
  var d = ev.data, st = kiss.websocket.stats();
  var pubs = T.events.slice(T.mark).map(function (e) {
    var v = e[1], same;
    if (v !== null && typeof v === "object") {
      var want = JSON.parse(d);
      if (!Array.isArray(want)) want.websocket = true;
      same = v.websocket === true && JSON.stringify(v) === JSON.stringify(want);
    } else {
      same = v === JSON.parse(d);
    }
    return {channel: e[0], shape: T.shape(v), same: same};
  });
  T.rec.push({text: typeof d === "string", kind: Object.prototype.toString.call(d), pubs: pubs, hooked: T.hooks,
    lines: T.console.slice(T.lines), framesIn: st.framesIn, bytesIn: st.bytesIn, dropped: st.dropped});
  T.hooks = 0; T.mark = T.events.length; T.lines = T.console.length;
});`

// The loader's per-frame path (onFrame, publishFrame, on the socket of a
// KissJS page) passes internal/rules/frames.json, as core's classify does
// natively (core/frame_test.go): each vector is sent by the dev server over
// the page's real socket.
func TestLoaderPassesTheFrameVectors(t *testing.T) {
	vectors, err := rules.Frames()
	if err != nil || len(vectors) == 0 {
		t.Fatalf("frames.json: %d vectors, %v", len(vectors), err)
	}
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await(`kiss.websocket.init({reconnection: {delay: 50, delta: 0}, heartbeat: {enabled: false},
		onmessage: function () { T.hooks++; }})`); err != nil {
		t.Fatal(err)
	}
	p.eval(frameRecorder)
	var delivered, failing []rules.Frame
	for _, f := range vectors {
		if f.Browser == "fails" {
			failing = append(failing, f)
		} else {
			delivered = append(delivered, f)
		}
	}
	for _, f := range delivered {
		raw(t, p.user, string(f.Data()), f.Binary)
	}
	p.waitTrue("T.rec.length === "+strconv.Itoa(len(delivered)), 10*time.Second)

	type stats struct{ FramesIn, BytesIn, Dropped float64 }
	var recs []struct {
		Text bool
		Kind string
		Pubs []struct {
			Channel *string
			Shape   string
			Same    bool
		}
		Hooked int
		Lines  []string
		stats
	}
	if err := json.Unmarshal([]byte(p.eval("JSON.stringify(T.rec)").String()), &recs); err != nil {
		t.Fatal(err)
	}
	var prev stats
	if err := json.Unmarshal([]byte(p.eval("JSON.stringify(T.st0)").String()), &prev); err != nil {
		t.Fatal(err)
	}
	for i, f := range delivered {
		r := recs[i]
		if r.Text == f.Binary {
			t.Errorf("%s: a text frame %v, the vector says binary %v (%s)", f.Name, r.Text, f.Binary, r.Kind)
		}
		dropped, lines := 0.0, []string(nil)
		if f.Want == rules.Malformed {
			dropped, lines = 1, []string{rules.DropPrefix + f.Reason}
		}
		if strings.Join(r.Lines, "\n") != strings.Join(lines, "\n") {
			t.Errorf("%s: logged %q, want %q", f.Name, r.Lines, lines)
		}
		want := stats{prev.FramesIn + 1, prev.BytesIn + float64(len(f.Data())), prev.Dropped + dropped}
		if r.stats != want {
			t.Errorf("%s: stats() in %v, want %v", f.Name, r.stats, want)
		}
		prev = r.stats
		if f.Want != rules.Message {
			if len(r.Pubs) != 0 || r.Hooked != 0 {
				t.Errorf("%s: a %s frame was published %d times, onmessage called %d times", f.Name, f.Want, len(r.Pubs), r.Hooked)
			}
			continue
		}
		if len(r.Pubs) != 1 || r.Hooked != 1 {
			t.Errorf("%s: published %d times, onmessage called %d times, want once each", f.Name, len(r.Pubs), r.Hooked)
			continue
		}
		pub := r.Pubs[0]
		wantCh, has := f.WantChannel()
		if (pub.Channel != nil) != has || pub.Channel != nil && *pub.Channel != wantCh {
			got := "none"
			if pub.Channel != nil {
				got = strconv.Quote(clip(*pub.Channel))
			}
			t.Errorf("%s: published on %s, the vector says %q (%v)", f.Name, got, clip(wantCh), has)
		}
		if pub.Shape != f.Shape || !pub.Same {
			t.Errorf("%s: published a %s (JSON.parse's value, websocket set: %v), the vector says a %s", f.Name, pub.Shape, pub.Same, f.Shape)
		}
	}

	// Invalid UTF-8 in a text frame: the browser delivers nothing and fails
	// the socket (the page sees 1006); the client reconnects.
	for i, f := range failing {
		p.eval(`T.mark = T.events.length; T.hooks = 0; T.st0 = kiss.websocket.stats();`)
		raw(t, p.user, string(f.Data()), f.Binary)
		p.waitEvent("EVT_RECONNECTED", i+1, 10*time.Second)
		got := strings.Join(stringsOf(p.eval(`T.events.slice(T.mark).map(function (e) { return String(e[0]); })`)), ",")
		if got != "EVT_DISCONNECTED,EVT_RECONNECTING,EVT_RECONNECTED" || p.eval("T.hooks").Int() != 0 {
			t.Errorf("%s: published %s, onmessage called %d times", f.Name, got, p.eval("T.hooks").Int())
		}
		if code := p.eval("kiss.websocket.stats().lastCloseCode").Int(); code != 1006 {
			t.Errorf("%s: closed with %d, want 1006", f.Name, code)
		}
		if n := p.eval("kiss.websocket.stats().dropped - T.st0.dropped").Int(); n != 0 {
			t.Errorf("%s: %d dropped: the browser never delivered it", f.Name, n)
		}
	}
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:40] + "..." + s[len(s)-20:]
	}
	return s
}
