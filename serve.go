//go:build !js

// Command kiss-websocket is the development server: it serves the web/
// tree and a KissJS-protocol WebSocket (internal/kissserver) on one port,
// so a page, its wasm and its socket share an origin. Run it with `go run .`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"mime"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kissjs/kiss-websocket/bench/benchserver"
	"github.com/kissjs/kiss-websocket/internal/faultproxy"
	"github.com/kissjs/kiss-websocket/internal/gate"
	"github.com/kissjs/kiss-websocket/internal/kissserver"
	"github.com/kissjs/kiss-websocket/internal/recorder"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "kiss-websocket:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	addr, web, urlFile string
	bench              string // page directory; "" leaves the bench endpoints off
	controls           *bool  // nil: on only for a loopback listener
	maxSockets         int    // per user; 0: no limit
	origins            []string
}

// parseFlags reads the command line; usage goes to out.
func parseFlags(args []string, out io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("kiss-websocket", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "listen address (port 0 picks a free port)")
	fs.StringVar(&cfg.web, "web", "web", "directory of static files")
	fs.StringVar(&cfg.urlFile, "url-file", "", "write the server's http://HOST:PORT to this file once listening")
	fs.StringVar(&cfg.bench, "bench", "", "serve the benchmark endpoints and this directory's page under /bench/ (make bench)")
	fs.IntVar(&cfg.maxSockets, "max-sockets-per-user", 0, "close a user's sockets beyond this many open ones with 4002, as a KissJS server that limits them (0: no limit)")
	controls := fs.Bool("test-controls", false, "enable the /test/* fault controls (default: only on a loopback address)")
	fs.Func("origin", "extra allowed Origin host pattern (repeatable, comma-separated)", func(v string) error {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			if _, err := path.Match(p, ""); err != nil {
				return fmt.Errorf("origin pattern %q: %w", p, err)
			}
			cfg.origins = append(cfg.origins, p)
		}
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return config{}, fmt.Errorf("parse flags: %w", err)
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "test-controls" {
			cfg.controls = controls
		}
	})
	return cfg, nil
}

// run serves until ctx ends, then closes every socket with 1001 and shuts
// the HTTP server down. Split from main so a test can drive it.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	controls, why := isLoopback(ln.Addr()), "loopback address"
	if !controls {
		why = "not a loopback address"
	}
	if cfg.controls != nil {
		controls, why = *cfg.controls, "-test-controls"
	}
	logger := log.New(stdout, "", log.LstdFlags)
	srv := kissserver.New(kissserver.Options{
		OriginPatterns:    cfg.origins,
		Controls:          controls,
		Static:            noCache(precompressed(cfg.web, http.FileServer(http.Dir(cfg.web)))),
		Logf:              logger.Printf,
		MaxSocketsPerUser: cfg.maxSockets,
	})
	var handler http.Handler = srv
	if cfg.bench != "" {
		bench := benchserver.NewBench(srv, noCache(http.FileServer(http.Dir(cfg.bench))))
		bench.Cached = precompressed(cfg.web, http.FileServer(http.Dir(cfg.web)))
		defer bench.Close()
		handler = bench
	}
	if controls {
		proxy, err := faultproxy.New(ln.Addr().String())
		if err != nil {
			return fmt.Errorf("fault proxy: %w", err)
		}
		defer proxy.Close()
		handler = proxy.Controls(handler)
		rec, err := recorder.New()
		if err != nil {
			return fmt.Errorf("recorder: %w", err)
		}
		defer rec.Close()
		handler = rec.Controls(handler)
		handler = gate.Controls(cfg.web, handler)
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	u := listenURL(ln.Addr())
	if cfg.urlFile != "" {
		if err := writeURLFile(cfg.urlFile, u); err != nil {
			srv.Close()
			_ = hs.Close()
			<-served
			return err
		}
		// A stale file would point the next test run at a dead port.
		defer os.Remove(cfg.urlFile)
	}
	if st, err := os.Stat(cfg.web); err != nil || !st.IsDir() {
		fmt.Fprintf(stdout, "kiss-websocket: warning: -web %q is not a directory\n", cfg.web)
	}
	onOff := map[bool]string{true: "on", false: "off"}[controls]
	fmt.Fprintf(stdout, "kiss-websocket: open %s/ (serving %s; test controls %s: %s)\n", u, cfg.web, onOff, why)

	select {
	case err := <-served:
		srv.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	srv.Close() // 1001 to every client; http.Server does not track hijacked sockets
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	<-served // http.ErrServerClosed
	return nil
}

// isLoopback reports whether addr only accepts local connections.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// listenURL is the URL to open for addr; an any-address listener is
// reachable at 127.0.0.1.
func listenURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}

// writeURLFile writes u through a rename, so a reader polling for the file
// never sees it half written.
func writeURLFile(name, u string) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, []byte(u), 0o644); err != nil {
		return fmt.Errorf("write url file: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("write url file: %w", err)
	}
	return nil
}

// precompressed serves NAME.br or NAME.gz (written by make build) in place
// of NAME when the browser accepts that encoding, with NAME's Content-Type;
// anything else, or a variant older than NAME (a loader edited since the
// last build), goes to next.
func precompressed(dir string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Clean("/" + r.URL.Path)
		orig, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || err != nil || !orig.Mode().IsRegular() {
			next.ServeHTTP(w, r)
			return
		}
		for _, enc := range [...]struct{ token, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
			f, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)+enc.ext))
			if err != nil {
				continue
			}
			defer f.Close()
			st, err := f.Stat()
			// brotli keeps the source's mtime but only to the second
			if err != nil || !st.Mode().IsRegular() || st.ModTime().Before(orig.ModTime().Truncate(time.Second)) {
				continue
			}
			w.Header().Set("Vary", "Accept-Encoding") // a variant exists, so caches must key on it
			if !acceptsEncoding(r.Header.Values("Accept-Encoding"), enc.token) {
				continue
			}
			ctype := mime.TypeByExtension(path.Ext(name))
			if ctype == "" {
				ctype = "application/octet-stream"
			}
			w.Header().Set("Content-Type", ctype)
			w.Header().Set("Content-Encoding", enc.token)
			w.Header().Set("ETag", etag(st, enc.token))
			http.ServeContent(w, r, name, st.ModTime(), f)
			return
		}
		w.Header().Set("ETag", etag(orig, "identity"))
		next.ServeHTTP(w, r)
	})
}

// etag is a strong validator of one file in one encoding: a revisit that
// sends it back gets a 304, which keeps Chromium's compiled-wasm cache (a 200
// drops it). Modification times only have a second in Last-Modified, too
// coarse for a rebuild.
func etag(st fs.FileInfo, encoding string) string {
	return `"` + strconv.FormatInt(st.ModTime().UnixNano(), 36) + "-" + strconv.FormatInt(st.Size(), 36) + "-" + encoding + `"`
}

// acceptsEncoding reports whether an Accept-Encoding header allows token
// (RFC 9110: named, else covered by "*", and not with q=0).
func acceptsEncoding(values []string, token string) bool {
	named, wildcard := -1.0, -1.0 // q of each; -1: absent
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(item, ";")
			q := 1.0
			if p := strings.ToLower(strings.ReplaceAll(params, " ", "")); strings.HasPrefix(p, "q=") {
				f, err := strconv.ParseFloat(p[2:], 64)
				if err != nil {
					f = 0
				}
				q = f
			}
			switch name = strings.TrimSpace(name); {
			case strings.EqualFold(name, token):
				named = q
			case name == "*":
				wildcard = q
			}
		}
	}
	if named >= 0 {
		return named > 0
	}
	return wildcard > 0
}

// noCache makes the browser revalidate every file, so a rebuilt wasm or
// loader is picked up on reload.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		// The loader and wasm may be used by a page on another origin (the
		// browser tests' harness page): they are public files.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h.ServeHTTP(w, r)
	})
}
