//go:build !js

// Package devserver starts the dev server binary (bin/kiss-websocket) on a
// free loopback port for a test or the benchmark driver, and finds the
// Chromium they drive: one copy of each, where there were several.
package devserver

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Server is a running dev server.
type Server struct {
	URL  string // http://127.0.0.1:PORT
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs bin with -addr 127.0.0.1:0 and a -url-file in a temporary
// directory, plus args, its output going to log, and returns once the
// server has written its URL (10 s at most).
func Start(bin string, log io.Writer, args ...string) (*Server, error) {
	dir, err := os.MkdirTemp("", "kiss-devserver-")
	if err != nil {
		return nil, err
	}
	urlFile := filepath.Join(dir, "url")
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-url-file", urlFile}, args...)...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s (make bin/kiss-websocket): %w", bin, err)
	}
	s := &Server{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		os.RemoveAll(dir)
		close(s.done)
	}()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if b, err := os.ReadFile(urlFile); err == nil && len(b) > 0 {
			s.URL = strings.TrimSpace(string(b))
			return s, nil
		}
		select {
		case <-s.done:
			return nil, errors.New("the dev server exited before it wrote its URL")
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.Stop()
	return nil, errors.New("the dev server did not write its URL within 10 s")
}

// Stop interrupts the server (it closes its sockets with 1001) and waits
// for it, killing it after 10 s.
func (s *Server) Stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Log keeps a server's output for a failing test to print; the server's
// output goroutines write it while the test reads.
type Log struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Chromium is the first Chromium or Chrome on PATH, or "" (Debian's is
// installed by scripts/ensure-chromium.sh).
func Chromium() string {
	for _, b := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(b); err == nil {
			return p
		}
	}
	return ""
}
