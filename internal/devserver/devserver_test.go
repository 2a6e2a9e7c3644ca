//go:build !js

package devserver_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kissjs/kiss-websocket/internal/devserver"
)

func TestStartServesAndStops(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "kiss-websocket")
	build := exec.Command("go", "build", "-o", bin, "github.com/kissjs/kiss-websocket")
	build.Env = append(os.Environ(), "GOOS=", "GOARCH=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	var log devserver.Log
	s, err := devserver.Start(bin, &log, "-web", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(s.URL + "/checkTokenValidity")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /checkTokenValidity without a token: %s", resp.Status)
	}
	s.Stop()
	if _, err := http.Get(s.URL + "/"); err == nil {
		t.Fatal("the server still answers after Stop")
	}
}

func TestStartFailsForAMissingBinary(t *testing.T) {
	if _, err := devserver.Start(filepath.Join(t.TempDir(), "nope"), &devserver.Log{}); err == nil {
		t.Fatal("no error for a missing binary")
	}
}
