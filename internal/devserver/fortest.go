//go:build !js

package devserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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

// Browser starts headless Chromium for a test, with a fresh profile, and
// returns its context; it skips the test when there is no Chromium. extra
// adds flags (the demo test turns timer throttling off; the life-cycle tests
// keep what a user's browser does). within bounds the whole browser.
func Browser(t testing.TB, within time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	exe := Chromium()
	if exe == "" {
		t.Skip("no chromium on PATH: install it (scripts/ensure-chromium.sh) to run this test")
	}
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}, extra...)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	ctx, cancel := context.WithTimeout(context.Background(), within)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	// chromedp (pinned by wasmbrowsertest) cannot decode some events of a
	// newer Chromium and reports each one; those are noise.
	var mu sync.Mutex
	done := false
	t.Cleanup(func() { mu.Lock(); done = true; mu.Unlock() })
	logf := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if strings.Contains(msg, "could not unmarshal event") {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !done {
			t.Logf("chromedp: %s", msg)
		}
	}
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithErrorf(logf))
	t.Cleanup(func() {
		// Close the browser before the temp user-data-dir is removed.
		_ = chromedp.Cancel(bctx)
		bcancel()
	})
	if err := chromedp.Run(bctx); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	return bctx
}
