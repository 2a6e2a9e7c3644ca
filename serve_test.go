//go:build !js

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kissjs/kiss-websocket/internal/devserver"
	"github.com/kissjs/kiss-websocket/internal/testhttp"
)

// devServer is run() on a free loopback port.
type devServer struct {
	url     string
	out     *devserver.Log
	cancel  context.CancelFunc
	done    chan error
	urlFile string
	client  *http.Client

	once sync.Once
	err  error
}

// wait returns run's result, however often it is called.
func (d *devServer) wait() error {
	d.once.Do(func() { d.err = <-d.done })
	return d.err
}

// startRun starts run with a url-file in a temp dir that also holds the
// static tree, and waits for the URL.
func startRun(t *testing.T, extra ...string) *devServer {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<h1>kiss</h1>"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &devServer{out: &devserver.Log{}, cancel: cancel, done: make(chan error, 1),
		urlFile: filepath.Join(dir, "url"), client: &http.Client{Transport: &http.Transport{}}}
	args := append([]string{"-addr", "127.0.0.1:0", "-web", dir, "-url-file", d.urlFile}, extra...)
	go func() { d.done <- run(ctx, args, d.out) }()
	t.Cleanup(func() {
		cancel()
		_ = d.wait()
		d.client.CloseIdleConnections()
	})
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(d.urlFile); err == nil {
			d.url = string(b)
			return d
		}
		select {
		case err := <-d.done:
			d.done <- err // for wait in the cleanup
			t.Fatalf("run ended early: %v\n%s", err, d.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no url file")
		}
	}
}

// request returns status and body.
func (d *devServer) request(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	resp, b := testhttp.Do(t, d.client, testhttp.Request(t, method, d.url+path, body, nil))
	return resp.StatusCode, b
}

func TestRunServesAndClosesWith1001(t *testing.T) {
	t.Parallel()
	d := startRun(t)
	if !strings.HasPrefix(d.url, "http://127.0.0.1:") {
		t.Fatalf("url file holds %q", d.url)
	}
	if st, body := d.request(t, "GET", "/index.html", ""); st != 200 || body != "<h1>kiss</h1>" {
		t.Fatalf("static: %d %q", st, body)
	}
	st, body := d.request(t, "POST", "/login", `{"username":"dev","password":"x"}`)
	var sess struct{ Token string }
	if err := json.Unmarshal([]byte(body), &sess); st != 200 || err != nil {
		t.Fatalf("login: %d %q %v", st, body, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(d.url, "http")+"/?token="+sess.Token,
		&websocket.DialOptions{HTTPClient: d.client})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, b, err := c.Read(ctx); err != nil || string(b) != "pong" {
		t.Fatalf("read %q, %v; want pong", b, err)
	}

	d.cancel() // what SIGINT does in main
	_, _, err = c.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway || ce.Reason != "server shutting down" {
		t.Fatalf("socket ended with %v, want 1001", err)
	}
	if err := d.wait(); err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := os.Stat(d.urlFile); !os.IsNotExist(err) {
		t.Fatalf("url file left behind: %v", err)
	}
	if out := d.out.String(); !strings.Contains(out, "open "+d.url+"/") || !strings.Contains(out, "test controls on: loopback") {
		t.Fatalf("startup line missing:\n%s", out)
	}
}

func TestRunTestControlsFlag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"default on loopback", nil, http.StatusOK},
		{"forced off", []string{"-test-controls=false"}, http.StatusNotFound},
		{"forced on", []string{"-test-controls"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := startRun(t, tc.args...)
			if st, _ := d.request(t, "GET", "/test/state?user=dev", ""); st != tc.want {
				t.Fatalf("GET /test/state: %d, want %d", st, tc.want)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	cfg, err := parseFlags([]string{"-origin", "a.example, b.example", "-origin", "*.c.example"}, io.Discard)
	if err != nil || strings.Join(cfg.origins, " ") != "a.example b.example *.c.example" || cfg.controls != nil {
		t.Fatalf("got %+v, %v", cfg, err)
	}
	for _, args := range [][]string{{"-origin", "[bad"}, {"extra"}, {"-nope"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Fatalf("%q: no error", args)
		}
	}
	if _, err := parseFlags([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v, want flag.ErrHelp", err)
	}
}

func TestPrecompressed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for name, body := range map[string]string{
		"k.wasm": "RAW", "k.wasm.br": "BR", "k.wasm.gz": "GZ", // fresh variants
		"loader.js": "JS", "loader.js.br": "STALE", // edited since the build
		"plain.txt": "TXT",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if name == "loader.js.br" {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	// brotli gives the .br its source's mtime cut to the second
	built := time.Now().Truncate(time.Second).Add(700 * time.Millisecond)
	for _, name := range []string{"k.wasm", "k.wasm.br", "k.wasm.gz"} {
		at := built
		if name == "k.wasm.br" {
			at = built.Truncate(time.Second)
		}
		if err := os.Chtimes(filepath.Join(dir, name), at, at); err != nil {
			t.Fatal(err)
		}
	}
	h := precompressed(dir, http.FileServer(http.Dir(dir)))
	for _, tc := range []struct {
		path, accept, body, encoding, vary string
	}{
		{"/k.wasm", "gzip, deflate, br, zstd", "BR", "br", "Accept-Encoding"},
		{"/k.wasm", "gzip, deflate", "GZ", "gzip", "Accept-Encoding"},
		{"/k.wasm", "br;q=0, gzip;q=0.5", "GZ", "gzip", "Accept-Encoding"},
		{"/k.wasm", "*", "BR", "br", "Accept-Encoding"},
		{"/k.wasm", "br;q=0, *", "GZ", "gzip", "Accept-Encoding"},
		{"/k.wasm", "gzip;q=0, br;q=0, *;q=1", "RAW", "", "Accept-Encoding"},
		{"/k.wasm", "BR ; Q=0.5", "BR", "br", "Accept-Encoding"},
		{"/k.wasm", "", "RAW", "", "Accept-Encoding"},
		{"/k.wasm", "identity", "RAW", "", "Accept-Encoding"},
		{"/./k.wasm", "br", "BR", "br", "Accept-Encoding"},
		{"/loader.js", "br", "JS", "", ""},
		{"/plain.txt", "br, gzip", "TXT", "", ""},
		{"/missing.js", "br", "404 page not found\n", "", ""},
	} {
		req := httptest.NewRequest("GET", tc.path, nil)
		if tc.accept != "" {
			req.Header.Set("Accept-Encoding", tc.accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		res := rec.Result()
		body, _ := io.ReadAll(res.Body)
		if string(body) != tc.body || res.Header.Get("Content-Encoding") != tc.encoding || res.Header.Get("Vary") != tc.vary {
			t.Errorf("%s with %q: %q encoding %q vary %q; want %q %q %q", tc.path, tc.accept, body,
				res.Header.Get("Content-Encoding"), res.Header.Get("Vary"), tc.body, tc.encoding, tc.vary)
		}
		if tc.encoding != "" && res.Header.Get("Content-Type") != "application/wasm" {
			t.Errorf("%s with %q: Content-Type %q", tc.path, tc.accept, res.Header.Get("Content-Type"))
		}
	}
}

func TestRunBenchFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "page.html"), []byte("bench page"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startRun(t, "-bench", dir)
	if st, body := d.request(t, "GET", "/bench/page.html", ""); st != 200 || body != "bench page" {
		t.Fatalf("bench page: %d %q", st, body)
	}
	if st, _ := d.request(t, "GET", "/bench/count?id=none", ""); st != http.StatusNotFound {
		t.Fatalf("count of no socket: %d", st)
	}
	if st, body := d.request(t, "GET", "/index.html", ""); st != 200 || body != "<h1>kiss</h1>" {
		t.Fatalf("static behind the bench: %d %q", st, body)
	}
	plain := startRun(t)
	if st, _ := plain.request(t, "GET", "/bench/count?id=none", ""); st != http.StatusNotFound {
		t.Fatalf("without -bench: %d", st)
	}
}

func TestFaultProxyControlsOnlyWithTestControls(t *testing.T) {
	t.Parallel()
	for _, controls := range []bool{true, false} {
		d := startRun(t, "-test-controls="+map[bool]string{true: "true", false: "false"}[controls])
		status, body := d.request(t, "GET", "/test/proxy", "")
		var got struct{ URL string }
		_ = json.Unmarshal([]byte(body), &got)
		if controls && (status != 200 || !strings.HasPrefix(got.URL, "ws://127.0.0.1:")) {
			t.Fatalf("controls on: %d %q", status, body)
		}
		if !controls && status == 200 {
			t.Fatal("proxy controls served with test controls off")
		}
		if controls {
			if status, _ := d.request(t, "POST", "/test/proxy/delay?ms=-1", ""); status != 400 {
				t.Fatalf("bad delay: %d", status)
			}
		}
	}
}

// recorderState is the answer of GET /test/recorder.
type recorderState struct {
	URL      string `json:"url"`
	WS       string `json:"ws"`
	Requests []struct {
		Method  string              `json:"method"`
		URI     string              `json:"uri"`
		Headers map[string][]string `json:"headers"`
	} `json:"requests"`
	Sockets int `json:"sockets"`
}

func recorderGet(t *testing.T, d *devServer) recorderState {
	t.Helper()
	st, body := d.request(t, "GET", "/test/recorder", "")
	var s recorderState
	if err := json.Unmarshal([]byte(body), &s); st != 200 || err != nil || s.Requests == nil {
		t.Fatalf("GET /test/recorder: %d %q %v", st, body, err)
	}
	return s
}

func TestRecorderControls(t *testing.T) {
	t.Parallel()
	d := startRun(t)
	s := recorderGet(t, d)
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || s.WS != "ws"+strings.TrimPrefix(s.URL, "http") || len(s.Requests) != 0 {
		t.Fatalf("fresh recorder: %+v", s)
	}
	resp, err := d.client.Get(d.url + "/test/recorder")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("controls answer without CORS: %v", resp.Header)
	}

	// A leak as the browser tests look for it: the token in the query and a header.
	req, err := http.NewRequest("GET", s.URL+"/checkTokenValidity?token=leak", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer leak")
	if resp, err = d.client.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := recorderGet(t, d).Requests
	if len(got) != 1 || got[0].Method != "GET" || got[0].URI != "/checkTokenValidity?token=leak" ||
		!slices.Equal(got[0].Headers["Authorization"], []string{"Bearer leak"}) {
		t.Fatalf("recorded %+v", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, s.WS+"/feed", &websocket.DialOptions{HTTPClient: d.client})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if n := recorderGet(t, d).Sockets; n != 1 {
		t.Fatalf("sockets %d", n)
	}
	if st, body := d.request(t, "POST", "/test/recorder/push", "news"); st != 200 || body != "{\"reached\":1}\n" {
		t.Fatalf("push: %d %q", st, body)
	}
	if _, b, err := c.Read(ctx); err != nil || string(b) != "news" {
		t.Fatalf("read %q, %v; want the pushed frame", b, err)
	}
	if st, body := d.request(t, "POST", "/test/recorder/drop", ""); st != 200 || body != "{}\n" {
		t.Fatalf("drop: %d %q", st, body)
	}
	var ce websocket.CloseError
	if _, _, err := c.Read(ctx); err == nil || errors.As(err, &ce) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("dropped socket ended with %v, want a cut connection", err)
	}

	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"POST", "/test/recorder/refuse?on=yes", http.StatusBadRequest},
		{"GET", "/test/recorder/reset", http.StatusMethodNotAllowed},
		{"POST", "/test/recorder/refuse?on=1", http.StatusOK},
	} {
		if st, body := d.request(t, tc.method, tc.path, ""); st != tc.want {
			t.Fatalf("%s %s: %d %q, want %d", tc.method, tc.path, st, body, tc.want)
		}
	}
	if _, resp, err := websocket.Dial(ctx, s.WS+"/feed", &websocket.DialOptions{HTTPClient: d.client}); err == nil ||
		resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("upgrade while refusing: %v %v", resp, err)
	}
	if st, _ := d.request(t, "POST", "/test/recorder/reset", ""); st != 200 || len(recorderGet(t, d).Requests) != 0 {
		t.Fatalf("reset: %d", st)
	}
}

func TestRecorderControlsOffWithTestControls(t *testing.T) {
	t.Parallel()
	d := startRun(t, "-test-controls=false")
	if st, _ := d.request(t, "GET", "/test/recorder", ""); st != http.StatusNotFound {
		t.Fatalf("GET /test/recorder with controls off: %d, want 404", st)
	}
}

// The dev server listens on loopback unless told otherwise, and its test
// controls (which let anyone close, stall or impersonate sessions) are
// then on only because nobody else can reach them.
func TestDevServerIsLocalByDefault(t *testing.T) {
	t.Parallel()
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(cfg.addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		t.Fatalf("default -addr %q is not a loopback address", cfg.addr)
	}
	if cfg.controls != nil {
		t.Fatalf("test controls forced by default: %v", *cfg.controls)
	}
	for _, tc := range []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", true}, {"127.9.9.9", true}, {"::1", true},
		{"0.0.0.0", false}, {"::", false}, {"192.168.1.10", false}, {"10.0.0.1", false}, {"2001:db8::1", false},
	} {
		if got := isLoopback(&net.TCPAddr{IP: net.ParseIP(tc.ip), Port: 8080}); got != tc.want {
			t.Errorf("isLoopback(%s) = %v: test controls would be %v by default", tc.ip, got, map[bool]string{true: "on", false: "off"}[got])
		}
	}
	if isLoopback(&net.UnixAddr{Name: "/tmp/x", Net: "unix"}) {
		t.Error("a unix socket counts as loopback")
	}
}

// A revisit sends the validator back and gets a 304 (which keeps Chromium's
// compiled-wasm cache); each encoding has its own validator, and a rebuilt
// file a new one.
func TestRevisitIsA304PerEncoding(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, body := range map[string]string{"k.wasm": "RAW", "k.wasm.br": "BR"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := noCache(precompressed(dir, http.FileServer(http.Dir(dir))))
	get := func(accept, inm string) *http.Response {
		req := httptest.NewRequest("GET", "/k.wasm", nil)
		req.Header.Set("Accept-Encoding", accept)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}
	tags := map[string]string{}
	for _, accept := range []string{"br", "identity"} {
		first := get(accept, "")
		tag := first.Header.Get("ETag")
		if first.StatusCode != 200 || tag == "" || first.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("%s: %d, ETag %q, Cache-Control %q", accept, first.StatusCode, tag, first.Header.Get("Cache-Control"))
		}
		if again := get(accept, tag); again.StatusCode != http.StatusNotModified {
			t.Errorf("%s revisit: %d, want 304", accept, again.StatusCode)
		}
		tags[accept] = tag
	}
	if tags["br"] == tags["identity"] {
		t.Errorf("one ETag %q for two encodings", tags["br"])
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "k.wasm.br"), later, later); err != nil {
		t.Fatal(err)
	}
	if r := get("br", tags["br"]); r.StatusCode != 200 || r.Header.Get("ETag") == tags["br"] {
		t.Errorf("rebuilt file: %d with ETag %q (was %q)", r.StatusCode, r.Header.Get("ETag"), tags["br"])
	}
}

// The README's recipe for a page served from another origin: POST /login
// for a token; the socket is refused (403) until the dev server allows the
// page's origin with -origin, and the refusal's log line says so.
func TestRunAnotherOriginNeedsTheOriginFlag(t *testing.T) {
	t.Parallel()
	const page = "http://localhost:3000" // the app's own server
	dial := func(d *devServer) (*websocket.Conn, *http.Response, error) {
		st, body := d.request(t, "POST", "/login", `{"username":"dev","password":"anything"}`)
		var sess struct {
			Token, RefreshToken string
			ExpiresIn           int
			WS                  struct{ Port, SSLPort int }
		}
		if err := json.Unmarshal([]byte(body), &sess); st != 200 || err != nil || sess.Token == "" ||
			sess.RefreshToken == "" || sess.ExpiresIn <= 0 || "http://127.0.0.1:"+fmt.Sprint(sess.WS.Port) != d.url {
			t.Fatalf("POST /login: %d %s (%v)", st, body, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		t.Cleanup(cancel)
		c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(d.url, "http")+"/?token="+sess.Token,
			&websocket.DialOptions{HTTPClient: d.client, HTTPHeader: http.Header{"Origin": {page}}})
		if c != nil {
			t.Cleanup(func() { _ = c.CloseNow() })
		}
		return c, resp, err
	}

	d := startRun(t)
	if _, resp, err := dial(d); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a page from %s without -origin: %v, want 403", page, err)
	}
	advice := "start the dev server with -origin 'localhost:3000'"
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(d.out.String(), advice); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the log does not say %q:\n%s", advice, d.out)
		}
	}

	d = startRun(t, "-origin", "localhost:3000")
	c, _, err := dial(d)
	if err != nil {
		t.Fatalf("a page from %s with -origin localhost:3000: %v\n%s", page, err, d.out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, b, err := c.Read(ctx); err != nil || string(b) != "pong" {
		t.Fatalf("read %q, %v; want pong", b, err)
	}
}
