//go:build !js

package kissserver_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kissjs/kiss-websocket/internal/kissserver"
)

func TestPingPong(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	c := ts.mustDial(t, "dev")
	for range 3 {
		sendText(t, c, "ping")
		if got := recv(t, c); got != "pong" {
			t.Fatalf("got %q, want pong", got)
		}
	}
	conns := ts.Conns()
	if len(conns) != 1 || conns[0].Pings != 3 || len(conns[0].Received) != 0 || !conns[0].Open || conns[0].User != "dev" {
		t.Fatalf("Conns() = %+v, want one open dev socket with 3 pings and nothing received", conns)
	}
}

func TestUpgradeRefusedForBadToken(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	expired, revoked := ts.Login("dev").Token, ts.Login("dev").Token
	ts.ExpireToken(expired)
	ts.RevokeToken(revoked)
	for name, tok := range map[string]string{
		"empty":        "",
		"kissjs-null":  "null",
		"garbage":      "not-a-token",
		"token-shaped": strings.Repeat("ab", 32),
		"expired":      expired,
		"revoked":      revoked,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := ts.refusedWith(t, tok, nil); got != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", got)
			}
		})
	}
	t.Cleanup(func() {
		if n := ts.Upgrades(""); n != 0 {
			t.Errorf("Upgrades = %d, want 0", n)
		}
	})
}

func TestChannelEchoAndDelivery(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	a, b := ts.mustDial(t, "dev"), ts.mustDial(t, "dev")
	other := ts.mustDial(t, "other")
	msg := `{"channel":"EVT_DB_UPDATE:m1","data":{"id":1}}`
	sendText(t, a, msg)
	for name, c := range map[string]*websocket.Conn{"sender echo": a, "same user": b} {
		if got := recv(t, c); got != msg {
			t.Fatalf("%s got %q, want %q", name, got, msg)
		}
	}
	silent(t, other, 200*time.Millisecond)
	if got := ts.Received("dev"); len(got) != 1 || got[0] != msg {
		t.Fatalf("Received(dev) = %q", got)
	}
	if got := ts.Received("other"); len(got) != 0 {
		t.Fatalf("Received(other) = %q, want none", got)
	}
}

func TestFramesWithoutChannelAreIgnored(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	c := ts.mustDial(t, "dev")
	frames := []struct {
		typ  websocket.MessageType
		data string
	}{
		{websocket.MessageBinary, `{"channel":"x"}`},
		{websocket.MessageText, "not json"},
		{websocket.MessageText, "null"},
		{websocket.MessageText, `[{"channel":"x"}]`},
		{websocket.MessageText, `{"channel":5}`},
		{websocket.MessageText, `{"channel":null}`},
		{websocket.MessageText, `{"data":1}`},
		{websocket.MessageText, "pong"},
	}
	for _, f := range frames {
		if err := c.Write(ctx(t), f.typ, []byte(f.data)); err != nil {
			t.Fatal(err)
		}
	}
	// Frames are handled in order: the first reply must be this pong.
	sendText(t, c, "ping")
	if got := recv(t, c); got != "pong" {
		t.Fatalf("got %q, want only the pong", got)
	}
	info := ts.Conns()[0]
	if info.Ignored != len(frames) || len(info.Received) != len(frames)-1 {
		t.Fatalf("ignored %d, received %d; want %d and %d (binary is not a text frame)",
			info.Ignored, len(info.Received), len(frames), len(frames)-1)
	}
}

func TestClientCloseCodeIsEchoed(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	for _, code := range []websocket.StatusCode{4003, 4000, 1000} {
		c := ts.mustDial(t, "dev")
		// coder/websocket's Close returns nil only when the peer echoes the code.
		if err := c.Close(code, "DEFINITIVE_CLOSE"); err != nil {
			t.Fatalf("close %d: %v", code, err)
		}
	}
	eventually(t, "sockets closed", func() bool {
		for _, c := range ts.Conns() {
			if c.Open {
				return false
			}
		}
		return len(ts.Conns()) == 3
	})
}

func TestOriginCheck(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{OriginPatterns: []string{"app.example"}})
	tok := ts.Login("dev").Token
	if got := ts.refusedWith(t, tok, http.Header{"Origin": {"http://evil.example"}}); got != http.StatusForbidden {
		t.Fatalf("foreign origin: status %d, want 403", got)
	}
	for _, origin := range []string{"http://app.example", ts.URL} {
		if _, _, err := ts.dial(t, tok, http.Header{"Origin": {origin}}); err != nil {
			t.Fatalf("origin %s: %v", origin, err)
		}
	}
}

// A browser reports a refused upgrade as a bare failed socket, so the 403
// for a foreign Origin is explained in the log, with the -origin pattern
// that allows it; a server given that pattern accepts the same page.
func TestForeignOriginLogNamesTheOriginFlag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ origin, pattern string }{
		{"http://localhost:3000", "localhost:3000"},
		{"https://App.Example", "App.Example"},
		{"http://[::1]:5173", `\[::1\]:5173`}, // path.Match patterns: brackets escaped
	} {
		var sink logSink
		ts := start(t, kissserver.Options{Logf: sink.logf})
		if got := ts.refusedWith(t, ts.Login("dev").Token, http.Header{"Origin": {tc.origin}}); got != http.StatusForbidden {
			t.Fatalf("origin %s: %d, want 403", tc.origin, got)
		}
		line := forbiddenLine(t, &sink)
		m := regexp.MustCompile(`-origin '([^']+)'`).FindStringSubmatch(line)
		if m == nil || !strings.Contains(line, tc.origin) {
			t.Fatalf("origin %s: the 403 line names neither it nor -origin 'PATTERN':\n%s", tc.origin, line)
		}
		if m[1] != tc.pattern {
			t.Errorf("origin %s: the log advises -origin '%s', want '%s'", tc.origin, m[1], tc.pattern)
		}
		allowed := start(t, kissserver.Options{OriginPatterns: []string{m[1]}})
		if _, _, err := allowed.dial(t, allowed.Login("dev").Token, http.Header{"Origin": {tc.origin}}); err != nil {
			t.Errorf("origin %s with the advised -origin '%s': %v", tc.origin, m[1], err)
		}
		// With a port, the advice also gives the pattern for any port.
		u, _ := url.Parse(tc.origin)
		wild := regexp.MustCompile(`or '([^']+)' for any port`).FindStringSubmatch(line)
		if (wild != nil) != (u.Port() != "") {
			t.Fatalf("origin %s: any-port advice %q", tc.origin, wild)
		}
		if wild != nil {
			other := strings.TrimSuffix(tc.origin, u.Port()) + "1"
			anyPort := start(t, kissserver.Options{OriginPatterns: []string{wild[1]}})
			if _, _, err := anyPort.dial(t, anyPort.Login("dev").Token, http.Header{"Origin": {other}}); err != nil {
				t.Errorf("origin %s with the advised -origin '%s': %v", other, wild[1], err)
			}
		}
	}
	// A page with no host (Origin: null) cannot be allowed by a pattern: the
	// log says so instead of advising one.
	var sink logSink
	ts := start(t, kissserver.Options{Logf: sink.logf})
	if got := ts.refusedWith(t, ts.Login("dev").Token, http.Header{"Origin": {"null"}}); got != http.StatusForbidden {
		t.Fatalf("origin null: %d, want 403", got)
	}
	if line := forbiddenLine(t, &sink); !strings.Contains(line, "names no host") {
		t.Errorf("origin null: the log does not explain the 403:\n%s", line)
	}
}

// forbiddenLine waits for the server's log line about a 403 (it is written
// as the handler ends, so maybe after the client has the answer).
func forbiddenLine(t *testing.T, sink *logSink) string {
	t.Helper()
	line := ""
	eventually(t, "the log line of the 403", func() bool {
		for _, l := range strings.Split(sink.all(), "\n") {
			if strings.Contains(l, "refused: 403") {
				line = l
			}
		}
		return line != ""
	})
	return line
}

func TestOversizedFrameCloses1009(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{MaxFrameBytes: 1024})
	c := ts.mustDial(t, "dev")
	errc := readErr(c)
	sendText(t, c, `{"channel":"ok","pad":"`+strings.Repeat("x", 900)+`"}`)
	big := `{"channel":"big","pad":"` + strings.Repeat("x", 2048) + `"}`
	_ = c.Write(ctx(t), websocket.MessageText, []byte(big)) // may fail once the server closes
	select {
	case err := <-errc:
		if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
			t.Fatalf("socket ended with %v, want 1009", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("socket still open")
	}
}
