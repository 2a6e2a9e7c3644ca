//go:build !js

package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

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
