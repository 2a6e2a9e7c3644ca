//go:build !js

package recorder_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/kissjs/kiss-websocket/internal/leakcheck"
	"github.com/kissjs/kiss-websocket/internal/recorder"
	"github.com/kissjs/kiss-websocket/internal/testhttp"
)

func newRecorder(t *testing.T) *recorder.Recorder {
	t.Helper()
	rec, err := recorder.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Close)
	return rec
}

// send does one request and returns the response with its body read.
func send(t *testing.T, method, url, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	return testhttp.Do(t, nil, testhttp.Request(t, method, url, body, header))
}

func wsURL(rec *recorder.Recorder, path string) string {
	return "ws" + strings.TrimPrefix(rec.URL(), "http") + path
}

// dial opens a socket; the tests use it at once, as a browser test would.
func dial(t *testing.T, ctx context.Context, rec *recorder.Recorder, path string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(ctx, wsURL(rec, path), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func roundTrip(t *testing.T, ctx context.Context, c *websocket.Conn, text string) string {
	t.Helper()
	if err := c.Write(ctx, websocket.MessageText, []byte(text)); err != nil {
		t.Fatal(err)
	}
	return read(t, ctx, c)
}

func read(t *testing.T, ctx context.Context, c *websocket.Conn) string {
	t.Helper()
	typ, b, err := c.Read(ctx)
	if err != nil || typ != websocket.MessageText {
		t.Fatalf("read %v %q: %v", typ, b, err)
	}
	return string(b)
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRecordsAndAnswersPlainRequests(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method, uri, body string
	}{
		{"GET", "/checkTokenValidity?token=abc&x=%2F", ""},
		{"POST", "/refreshToken", `{"token":"abc"}`},
	} {
		t.Run(tc.method, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t)
			resp, body := send(t, tc.method, rec.URL()+tc.uri, tc.body, map[string]string{"Authorization": "Bearer abc"})
			if resp.StatusCode != 200 || body != "{}" || resp.Header.Get("Content-Type") != "application/json" ||
				resp.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Fatalf("answer: %d %q %v", resp.StatusCode, body, resp.Header)
			}
			got := rec.Requests()
			if len(got) != 1 {
				t.Fatalf("recorded %+v", got)
			}
			r := got[0]
			host := strings.TrimPrefix(rec.URL(), "http://")
			if r.Method != tc.method || r.URI != tc.uri || r.Body != tc.body ||
				!slices.Equal(r.Headers["Authorization"], []string{"Bearer abc"}) || !slices.Equal(r.Headers["Host"], []string{host}) {
				t.Fatalf("recorded %+v", r)
			}
		})
	}
}

func TestPreflightLetsEverythingThrough(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	for _, tc := range []struct{ asked, allowed string }{
		{"authorization, x-kiss-token", "authorization, x-kiss-token"},
		{"", "*"},
	} {
		h := map[string]string{"Origin": "http://app.example", "Access-Control-Request-Method": "POST"}
		if tc.asked != "" {
			h["Access-Control-Request-Headers"] = tc.asked
		}
		resp, _ := send(t, "OPTIONS", rec.URL()+"/refreshToken", "", h)
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
			resp.Header.Get("Access-Control-Allow-Headers") != tc.allowed ||
			resp.Header.Get("Access-Control-Allow-Methods") != "GET, POST, OPTIONS" {
			t.Fatalf("asked %q: %d %v", tc.asked, resp.StatusCode, resp.Header)
		}
	}
	got := rec.Requests()
	if len(got) != 2 || got[0].Method != "OPTIONS" || got[0].Headers["Access-Control-Request-Headers"] == nil {
		t.Fatalf("recorded %+v", got)
	}
}

func TestSocketEchoesAndAnswersPing(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	ctx := timeout(t)
	c := dial(t, ctx, rec, "/feed?token=abc")
	for _, tc := range [][2]string{{"hello", "hello"}, {"ping", "pong"}} {
		if got := roundTrip(t, ctx, c, tc[0]); got != tc[1] {
			t.Fatalf("sent %q, got %q, want %q", tc[0], got, tc[1])
		}
	}
	if n := rec.Sockets(); n != 1 {
		t.Fatalf("Sockets %d", n)
	}
	if got := rec.Frames(); !slices.Equal(got, []string{"hello", "ping"}) {
		t.Fatalf("frames %q", got)
	}
	got := rec.Requests()
	if len(got) != 1 || got[0].URI != "/feed?token=abc" || got[0].Headers["Upgrade"] == nil {
		t.Fatalf("upgrade recorded as %+v", got)
	}
}

func TestRefuseAnswers403(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	ctx := timeout(t)
	rec.Refuse(true)
	c, resp, err := websocket.Dial(ctx, wsURL(rec, "/feed"), nil)
	if err == nil {
		c.CloseNow()
		t.Fatal("upgrade accepted while refusing")
	}
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("refused with %v, %v", resp, err)
	}
	if got := rec.Requests(); len(got) != 1 || got[0].URI != "/feed" {
		t.Fatalf("refused upgrade recorded as %+v", got)
	}
	rec.Refuse(false)
	dial(t, ctx, rec, "/feed")
}

func TestDropAllEndsSocketsWithoutCloseFrame(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	ctx := timeout(t)
	c := dial(t, ctx, rec, "/")
	rec.DropAll()
	if n := rec.Sockets(); n != 0 {
		t.Fatalf("Sockets %d after DropAll", n)
	}
	_, _, err := c.Read(ctx)
	var ce websocket.CloseError
	if err == nil || errors.As(err, &ce) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read ended with %v, want a cut connection", err)
	}
}

func TestPushReachesEverySocket(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	ctx := timeout(t)
	if n := rec.Push("none"); n != 0 {
		t.Fatalf("Push reached %d with no socket", n)
	}
	a, b := dial(t, ctx, rec, "/a"), dial(t, ctx, rec, "/b")
	if n := rec.Push(`{"channel":"news"}`); n != 2 {
		t.Fatalf("Push reached %d, want 2", n)
	}
	for _, c := range []*websocket.Conn{a, b} {
		if got := read(t, ctx, c); got != `{"channel":"news"}` {
			t.Fatalf("pushed frame read as %q", got)
		}
	}
}

func TestResetForgets(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	ctx := timeout(t)
	dial(t, ctx, rec, "/")
	rec.Reset()
	if r, f := rec.Requests(), rec.Frames(); len(r) != 0 || len(f) != 0 || rec.Sockets() != 1 {
		t.Fatalf("after Reset: %+v %q, %d sockets", r, f, rec.Sockets())
	}
}

// Not parallel: the other tests are paused, so any goroutine left running
// code of this package is the closed recorder's.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	rec, err := recorder.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := timeout(t)
	c := dial(t, ctx, rec, "/")
	roundTrip(t, ctx, c, "hello")
	send(t, "GET", rec.URL()+"/x", "", nil)
	rec.Close()
	if _, _, err := c.Read(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("socket survived Close: %v", err)
	}
	c.CloseNow()
	// Close has waited for its handlers; net/http's connection goroutines
	// unwind right after, so give them a moment to be gone.
	var left []string
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		left = slices.DeleteFunc(leakcheck.Others(), func(g string) bool {
			return !strings.Contains(g, "internal/recorder.(") && !strings.Contains(g, "net/http.(*conn).serve")
		})
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) > 0 {
		t.Fatalf("left after Close:\n%s", strings.Join(left, "\n\n"))
	}
}
