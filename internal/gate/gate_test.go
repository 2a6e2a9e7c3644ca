//go:build !js

package gate_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/kissjs/kiss-websocket/internal/gate"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A file behind a gate comes once the gate opens, and not before; a gate
// opened with fail=1 answers 404. Other requests pass through.
func TestGateHoldsAFileUntilOpened(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte("body"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gate.Controls(dir, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("next"))
	})))
	defer srv.Close()
	type answer struct {
		code int
		body string
	}
	got := make(chan answer, 1)
	opened := make(chan struct{})
	go func() {
		code, body := get(t, srv.URL+"/test/gate/f.txt?id=a")
		select {
		case <-opened:
		default:
			t.Error("the file came before its gate opened")
		}
		got <- answer{code, body}
	}()
	if code, body := get(t, srv.URL+"/other"); code != 200 || body != "next" {
		t.Fatalf("another path: %d %q", code, body)
	}
	close(opened)
	resp, err := http.Post(srv.URL+"/test/gate?id=a", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if a := <-got; a.code != 200 || a.body != "body" {
		t.Fatalf("through the gate: %d %q", a.code, a.body)
	}
	resp, err = http.Post(srv.URL+"/test/gate?id=b&fail=1", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code, _ := get(t, srv.URL+"/test/gate/f.txt?id=b"); code != http.StatusNotFound {
		t.Fatalf("a failing gate: %d, want 404", code)
	}
}
