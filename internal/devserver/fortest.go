//go:build !js

package devserver

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ForTest returns KISS_SERVER_URL (the dev server make test-browser
// started), or builds the dev server and starts it on a free loopback port
// with the test controls on, plus args, for the test's lifetime. It skips
// the test when web/ has not been built.
func ForTest(t testing.TB, root string, args ...string) string {
	t.Helper()
	if u := strings.TrimRight(os.Getenv("KISS_SERVER_URL"), "/"); u != "" {
		resp, err := http.Head(u + "/kiss-websocket.wasm")
		if err != nil {
			t.Fatalf("KISS_SERVER_URL=%s: %v", u, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("KISS_SERVER_URL=%s answers %d for kiss-websocket.wasm: run make build", u, resp.StatusCode)
		}
		return u
	}
	if _, err := os.Stat(filepath.Join(root, "web", "kiss-websocket.wasm")); err != nil {
		t.Skip("web/kiss-websocket.wasm is missing: run make build first (or set KISS_SERVER_URL)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "kiss-websocket")
	started := time.Now()
	defer func() { t.Logf("dev server built and started in %v", time.Since(started).Round(time.Millisecond)) }()
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = root
	build.Env = nativeEnv()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build the dev server: %v\n%s", err, out)
	}
	var log Log
	srv, err := Start(bin, &log, append([]string{"-web", filepath.Join(root, "web"), "-test-controls"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Stop()
		if t.Failed() {
			t.Logf("dev server log:\n%s", log.String())
		}
	})
	return srv.URL
}

// nativeEnv is the environment without GOOS/GOARCH, so the server builds
// for this machine even under `GOOS=js go test`.
func nativeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOOS=") && !strings.HasPrefix(kv, "GOARCH=") {
			env = append(env, kv)
		}
	}
	return env
}

// RepoRoot is the directory holding go.mod, above the test's package.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal(errors.New("go.mod not found above the test"))
		}
		dir = parent
	}
}
