//go:build !js

package kissserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kissjs/kiss-websocket/internal/kissserver"
)

var controlPaths = []string{"/test/close", "/test/drop", "/test/stall", "/test/refuse", "/test/expire",
	"/test/revoke", "/test/goaway", "/test/push", "/test/reset", "/test/login", "/test/state", "/test/hold"}

func TestControlsOffByDefault(t *testing.T) {
	t.Parallel()
	// Even a static tree that answers everything must not shadow them.
	static := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("static")) })
	ts := start(t, kissserver.Options{Static: static})
	for _, p := range controlPaths {
		for _, m := range []string{"GET", "POST"} {
			if st, _ := ts.do(t, m, p+"?user=dev&on=1", "", ""); st != http.StatusNotFound {
				t.Fatalf("%s %s: %d, want 404", m, p, st)
			}
		}
	}
	if st, body := ts.do(t, "GET", "/test/page.html", "", ""); st != http.StatusOK || body != "static" {
		t.Fatalf("other /test/ path: %d %q, want the static tree", st, body)
	}
}

// stateReply mirrors GET /test/state.
type stateReply struct {
	Conns []struct {
		ID       int64    `json:"id"`
		User     string   `json:"user"`
		Received []string `json:"received"`
		Open     bool     `json:"open"`
	} `json:"conns"`
	MaxSockets int      `json:"maxSockets"`
	Upgrades   int      `json:"upgrades"`
	Received   []string `json:"received"`
}

func TestControlsOverHTTP(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{Controls: true})
	post := func(path string, want int) string {
		t.Helper()
		st, body := ts.do(t, "POST", path, "", "")
		if st != want {
			t.Fatalf("POST %s: %d %s, want %d", path, st, body, want)
		}
		return body
	}
	sess := decode[sessionReply](t, post("/test/login?user=dev", 200))
	c := ts.mustDialToken(t, sess.Token)
	sendText(t, c, `{"channel":"hello"}`)
	recv(t, c)

	if got := decode[map[string]int](t, post("/test/push?user=dev&n=2&channel=P", 200)); got["reached"] != 1 {
		t.Fatalf("push reached %v, want 1", got)
	}
	for range 2 {
		recv(t, c)
	}
	_, body := ts.do(t, "GET", "/test/state?user=dev", "", "")
	st := decode[stateReply](t, body)
	if len(st.Conns) != 1 || !st.Conns[0].Open || st.Conns[0].User != "dev" || st.MaxSockets != 1 ||
		st.Upgrades != 1 || strings.Join(st.Received, "|") != `{"channel":"hello"}` {
		t.Fatalf("state = %s", body)
	}

	errc := readErr(c)
	post("/test/close?code=4002&reason=too+many", 200)
	wantClose(t, errc, 4002, "too many")

	post("/test/refuse?status=503", 200)
	if got := ts.refusedWith(t, sess.Token, nil); got != 503 {
		t.Fatalf("refused with %d, want 503", got)
	}
	post("/test/refuse?status=0", 200)
	post("/test/stall?on=1", 200)
	post("/test/stall?on=0", 200)
	errc = readErr(ts.mustDialToken(t, sess.Token))
	post("/test/drop", 200)
	if err := <-errc; websocket.CloseStatus(err) != -1 {
		t.Fatalf("drop: %v, want no close frame", err)
	}
	errc = readErr(ts.mustDialToken(t, sess.Token))
	post("/test/goaway?ms=100", 200)
	wantClose(t, errc, 1001, "going away")
	time.Sleep(150 * time.Millisecond)

	post("/test/expire", 200) // every token of dev
	if st, _ := ts.do(t, "GET", "/checkTokenValidity", sess.Token, ""); st != 498 {
		t.Fatalf("after /test/expire: %d, want 498", st)
	}
	other := ts.Login("dev").Token
	post("/test/revoke?token="+other, 200)
	if st, _ := ts.do(t, "GET", "/checkTokenValidity", other, ""); st != 401 {
		t.Fatalf("after /test/revoke: %d, want 401", st)
	}
	post("/test/reset", 200)
	if st := decode[stateReply](t, mustGet(t, ts, "/test/state?user=dev")); st.Upgrades != 0 || len(st.Received) != 0 || len(st.Conns) != 0 {
		t.Fatalf("state after reset: %+v", st)
	}
}

func mustGet(t *testing.T, ts *testServer, path string) string {
	t.Helper()
	st, body := ts.do(t, "GET", path, "", "")
	if st != http.StatusOK {
		t.Fatalf("GET %s: %d", path, st)
	}
	return body
}

func TestControlsRejectBadParameters(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{Controls: true})
	for _, path := range []string{
		"/test/close?code=999", "/test/close?code=1005", "/test/close?code=5000", "/test/close?code=x",
		"/test/close?reason=" + strings.Repeat("r", 124),
		"/test/stall", "/test/stall?on=maybe",
		"/test/refuse?status=99", "/test/refuse?status=101", "/test/refuse?status=600", "/test/refuse?status=503&ms=-1",
		"/test/goaway?ms=x", "/test/push?n=-1", "/test/push?n=100001", "/test/revoke",
	} {
		if st, _ := ts.do(t, "POST", path, "", ""); st != http.StatusBadRequest {
			t.Fatalf("POST %s: %d, want 400", path, st)
		}
	}
	if st, _ := ts.do(t, "GET", "/test/close", "", ""); st != http.StatusMethodNotAllowed {
		t.Fatalf("GET /test/close: %d, want 405", st)
	}
}

func TestStaticFallback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		static http.Handler
		want   int
	}{
		{"nil", nil, http.StatusNotFound},
		{"handler", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }), http.StatusTeapot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := start(t, kissserver.Options{Static: tc.static})
			if st, _ := ts.do(t, "GET", "/index.html?token=x", "", ""); st != tc.want {
				t.Fatalf("status %d, want %d", st, tc.want)
			}
		})
	}
}
