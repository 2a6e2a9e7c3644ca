//go:build !js

package benchserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kissjs/kiss-websocket/bench/benchserver"
	"github.com/kissjs/kiss-websocket/internal/kissserver"
	"github.com/kissjs/kiss-websocket/internal/testhttp"
)

// benchEnv is a Bench in front of a KissJS server, with a page directory.
type benchEnv struct {
	b  *benchserver.Bench
	hs *httptest.Server
}

func startBench(t *testing.T) *benchEnv {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<p>bench</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := kissserver.New(kissserver.Options{})
	b := benchserver.NewBench(srv, http.FileServer(http.Dir(dir)))
	hs := httptest.NewServer(b)
	t.Cleanup(hs.Close)
	t.Cleanup(srv.Close)
	t.Cleanup(b.Close) // runs first: sockets end before the listener
	return &benchEnv{b: b, hs: hs}
}

func (e *benchEnv) dial(t *testing.T, id string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(ctx(t), "ws"+strings.TrimPrefix(e.hs.URL, "http")+"/bench/ws?id="+id,
		&websocket.DialOptions{HTTPClient: e.hs.Client()})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func (e *benchEnv) do(t *testing.T, method, path string) (int, http.Header, string) {
	t.Helper()
	resp, body := testhttp.Do(t, e.hs.Client(), testhttp.Request(t, method, e.hs.URL+path, "", nil))
	return resp.StatusCode, resp.Header, body
}

func (e *benchEnv) count(t *testing.T, id string) (frames, bytes int64) {
	t.Helper()
	st, _, body := e.do(t, "GET", "/bench/count?id="+id)
	var c struct{ Frames, Bytes int64 }
	if err := json.Unmarshal([]byte(body), &c); st != 200 || err != nil {
		t.Fatalf("count: %d %q", st, body)
	}
	return c.Frames, c.Bytes
}

func TestBenchSocketEchoesPongsAndCounts(t *testing.T) {
	t.Parallel()
	e := startBench(t)
	c := e.dial(t, "a")
	// The echo goes last: once it is back, the socket (which reads in
	// order) has counted everything before it.
	for _, m := range []string{`{"channel":"out","i":1}`, "ping", "not json", `{"channel":"echo","i":2}`} {
		if err := c.Write(ctx(t), websocket.MessageText, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"pong", `{"channel":"echo","i":2}`} {
		if _, got, err := c.Read(ctx(t)); err != nil || string(got) != want {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	}
	if frames, bytes := e.count(t, "a"); frames != 3 || bytes != int64(len(`{"channel":"out","i":1}not json{"channel":"echo","i":2}`)) {
		t.Fatalf("count: %d frames, %d bytes", frames, bytes)
	}
}

func TestBenchPush(t *testing.T) {
	t.Parallel()
	e := startBench(t)
	c := e.dial(t, "p")
	const n, size = 3000, 100
	done := make(chan error, 1)
	go func() {
		for i := range n {
			_, got, err := c.Read(context.Background())
			if err != nil {
				done <- err
				return
			}
			if string(got) != string(benchserver.BenchFrame(i, size)) {
				done <- fmt.Errorf("frame %d: %q", i, got)
				return
			}
		}
		done <- nil
	}()
	st, _, body := e.do(t, "POST", fmt.Sprintf("/bench/push?id=p&n=%d&size=%d", n, size))
	if st != 200 || !strings.Contains(body, `"sent":3000`) {
		t.Fatalf("push: %d %q", st, body)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("frames did not arrive")
	}
	// after a push, writes go straight out again
	if err := c.Write(ctx(t), websocket.MessageText, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Read(ctx(t)); err != nil || string(got) != "pong" {
		t.Fatalf("read %q, %v", got, err)
	}
}

func TestBenchFrame(t *testing.T) {
	t.Parallel()
	for _, size := range []int{47, 100, 1000} {
		f := benchserver.BenchFrame(42, size)
		var v struct{ Channel, Seq, Pad string }
		if err := json.Unmarshal(f, &v); err != nil || len(f) != size || v.Channel != "bench" || v.Seq != "0000000042" {
			t.Fatalf("size %d: %q (%d bytes), %v", size, f, len(f), err)
		}
	}
}

func TestBenchRequests(t *testing.T) {
	t.Parallel()
	e := startBench(t)
	e.dial(t, "x")
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/bench/push?id=x&n=1", http.StatusMethodNotAllowed},
		{"POST", "/bench/push?id=x&n=0", http.StatusBadRequest},
		{"POST", "/bench/push?id=x&n=1&size=10", http.StatusBadRequest},
		{"POST", fmt.Sprintf("/bench/push?id=x&n=%d", benchserver.MaxBenchFrames+1), http.StatusBadRequest},
		{"POST", "/bench/push?id=nobody&n=1", http.StatusNotFound},
		{"GET", "/bench/count?id=nobody", http.StatusNotFound},
		{"GET", "/bench/ws?id=y", http.StatusBadRequest}, // not an upgrade
		{"GET", "/checkTokenValidity", http.StatusUnauthorized},
		{"GET", "/bench/missing.html", http.StatusNotFound},
	} {
		if st, _, body := e.do(t, tc.method, tc.path); st != tc.want {
			t.Errorf("%s %s: %d %q, want %d", tc.method, tc.path, st, body, tc.want)
		}
	}
	st, hdr, body := e.do(t, "GET", "/bench/index.html")
	if st != 200 || body != "<p>bench</p>" || hdr.Get("Cross-Origin-Embedder-Policy") != "require-corp" ||
		hdr.Get("Cross-Origin-Opener-Policy") != "same-origin" {
		t.Fatalf("page: %d %q %v", st, body, hdr)
	}
	// a second socket with a live id is refused
	_, resp, err := websocket.Dial(ctx(t), "ws"+strings.TrimPrefix(e.hs.URL, "http")+"/bench/ws?id=x",
		&websocket.DialOptions{HTTPClient: e.hs.Client()})
	if err == nil || resp == nil || resp.StatusCode != http.StatusConflict {
		t.Fatalf("duplicate id: %v %v", resp, err)
	}
}

func TestBenchCloseEndsSockets(t *testing.T) {
	t.Parallel()
	e := startBench(t)
	c := e.dial(t, "z")
	read := make(chan error, 1)
	go func() { _, _, err := c.Read(context.Background()); read <- err }() // answers the close
	e.b.Close()
	err := <-read
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway {
		t.Fatalf("socket ended with %v, want 1001", err)
	}
	if _, resp, err := websocket.Dial(ctx(t), "ws"+strings.TrimPrefix(e.hs.URL, "http")+"/bench/ws?id=z2",
		&websocket.DialOptions{HTTPClient: e.hs.Client()}); err == nil || resp.StatusCode != http.StatusConflict {
		t.Fatalf("upgrade after Close: %v", err)
	}
}

// ctx bounds one test's calls to 5 s.
func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

// /bench/cached/ serves Cached's files, the prefix stripped, as a versioned
// directory is served in production: cached a year, never revalidated.
func TestCachedFilesAreImmutable(t *testing.T) {
	e := startBench(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "loader.js"), []byte("// loader"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.b.Cached = http.FileServer(http.Dir(dir))
	st, h, body := e.do(t, "GET", "/bench/cached/loader.js")
	if st != 200 || body != "// loader" || h.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Fatalf("GET /bench/cached/loader.js: %d %q, Cache-Control %q", st, body, h.Get("Cache-Control"))
	}
	if st, _, _ := e.do(t, "GET", "/bench/cached/missing.js"); st != 404 {
		t.Fatalf("a missing file: %d, want 404", st)
	}
	// the bench page itself stays where it was
	if st, _, body := e.do(t, "GET", "/bench/index.html"); st != 200 || body != "<p>bench</p>" {
		t.Fatalf("GET /bench/index.html: %d %q", st, body)
	}
}
