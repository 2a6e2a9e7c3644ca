//go:build !js

// Package nginxtest runs the README's nginx recipe as written: the block
// fenced as nginx in README.md goes into a generated server { } of Debian's
// nginx (with libnginx-mod-http-brotli-static), started on a loopback port,
// whose root holds what `make dist` made. It checks the answers' headers for
// each encoding, the 304s of a revalidation, and that a Chromium page loading
// the loader at the README's path through nginx connects to the dev server.
//
// Without nginx, its brotli module or Chromium the test skips, saying what
// to install; with CI set (as .ci/run sets it) it fails instead.
package nginxtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/kissjs/kiss-websocket/internal/devserver"
	"github.com/kissjs/kiss-websocket/internal/testhttp"
)

const (
	install = "apt-get install nginx libnginx-mod-http-brotli-static"
	// what the README's Caching bullet says a versioned path is served with
	immutable = "public, max-age=31536000, immutable"
)

func TestNginxRecipe(t *testing.T) {
	root := devserver.RepoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	recipe := nginxBlock(t, string(readme))
	if !strings.Contains(string(readme), "`Cache-Control: "+immutable+"`") {
		t.Fatalf("README.md no longer promises Cache-Control: %s for a versioned path: update this test with it", immutable)
	}
	bin := nginxBinary(t)
	dir := t.TempDir()
	site := filepath.Join(dir, "site")
	dist := makeDist(t, root, site)
	// Every script tag of the README loads the loader from make dist's folder.
	srcs := regexp.MustCompile(`src="([^"]*kiss-websocket\.js)"`).FindAllStringSubmatch(string(readme), -1)
	if len(srcs) == 0 {
		t.Fatal("README.md has no <script src=...kiss-websocket.js>")
	}
	loader := "/" + dist + "/kiss-websocket.js"
	for _, m := range srcs {
		if m[1] != loader {
			t.Errorf("README.md loads %s, but make dist makes %s/: write %s", m[1], dist, loader)
		}
	}
	base := startNginx(t, bin, dir, site, recipe)

	t.Run("headers", func(t *testing.T) {
		for _, file := range []string{"kiss-websocket.wasm", "kiss-websocket.js", "kiss-websocket-go.js", "kiss-websocket-shared.js", "wasm_exec.js"} {
			for _, tc := range []struct{ accept, encoding, ext string }{
				{"br", "br", ".br"},
				{"gzip", "gzip", ".gz"},
				{"gzip, deflate, br, zstd", "br", ".br"}, // what Chromium sends
				{"br;q=0, gzip", "gzip", ".gz"},
				{"", "", ""},
			} {
				resp, body := get(t, base+"/"+dist+"/"+file, "Accept-Encoding", tc.accept)
				what := fmt.Sprintf("%s with Accept-Encoding %q", file, tc.accept)
				checkHeaders(t, what, resp, file, tc.encoding)
				want, err := os.ReadFile(filepath.Join(site, dist, file+tc.ext))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal([]byte(body), want) {
					t.Errorf("%s: the body (%d bytes) is not %s%s (%d bytes)", what, len(body), file, tc.ext, len(want))
				}
			}
		}
	})

	t.Run("revalidation", func(t *testing.T) {
		u := base + "/" + dist + "/kiss-websocket.wasm"
		for _, accept := range []string{"br", "gzip", ""} {
			first, _ := get(t, u, "Accept-Encoding", accept)
			etag, modified := first.Header.Get("ETag"), first.Header.Get("Last-Modified")
			if first.StatusCode != http.StatusOK || etag == "" || modified == "" {
				t.Fatalf("Accept-Encoding %q: %s, ETag %q, Last-Modified %q", accept, first.Status, etag, modified)
			}
			for _, hdr := range [][2]string{{"If-None-Match", etag}, {"If-Modified-Since", modified}} {
				resp, body := get(t, u, "Accept-Encoding", accept, hdr[0], hdr[1])
				what := fmt.Sprintf("Accept-Encoding %q, %s: %s", accept, hdr[0], hdr[1])
				if resp.StatusCode != http.StatusNotModified || body != "" {
					t.Errorf("%s: %s with %d bytes, want 304", what, resp.Status, len(body))
				}
				if resp.Header.Get("ETag") != etag || resp.Header.Get("Cache-Control") != immutable ||
					!varies(resp) {
					t.Errorf("%s: the 304's headers %v lack the 200's ETag, Cache-Control or Vary", what, resp.Header)
				}
			}
			// Another validator is a new download: the 304 above was earned.
			if resp, _ := get(t, u, "Accept-Encoding", accept, "If-None-Match", `"other"`); resp.StatusCode != http.StatusOK {
				t.Errorf("Accept-Encoding %q with a stale ETag: %s, want 200", accept, resp.Status)
			}
		}
	})

	t.Run("chromium", func(t *testing.T) {
		if devserver.Chromium() == "" {
			missing(t, "no chromium on PATH (scripts/ensure-chromium.sh installs it)")
		}
		page := "<!doctype html><meta charset=utf-8><title>through nginx</title><link rel=icon href=data:,>\n" +
			`<script src="` + loader + `"></script>` + "\n"
		if err := os.WriteFile(filepath.Join(site, "index.html"), []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		// The page is on nginx's origin, the socket on the dev server's: the
		// README's section on the dev server from another origin.
		dev := devserver.ForTest(t, root, "-origin", strings.TrimPrefix(base, "http://"))
		resp, body := testhttp.Do(t, nil, testhttp.Request(t, "POST", dev+"/login",
			`{"username":"dev","password":"anything"}`, map[string]string{"Content-Type": "application/json"}))
		var sess struct{ Token string }
		if err := json.Unmarshal([]byte(body), &sess); resp.StatusCode != http.StatusOK || err != nil || sess.Token == "" {
			t.Fatalf("POST %s/login: %s %q", dev, resp.Status, body)
		}
		accessLog := filepath.Join(filepath.Dir(site), "access.log")
		before := len(readFile(t, accessLog)) // the lines above are this test's own requests
		ctx := devserver.Browser(t, time.Minute)
		requests, console := watch(t, ctx)
		var got struct {
			Version, State, Text string
			Opened               bool
		}
		script := `(async () => {
			localStorage.setItem("session-token", ` + jsString(sess.Token) + `);
			await kiss.websocket.ready;
			const echoed = new Promise(resolve => kiss.websocket.on("nginx-recipe", resolve));
			const opened = await kiss.websocket.init({socketUrl: ` + jsString("ws"+strings.TrimPrefix(dev, "http")+"/?token=") + `});
			kiss.websocket.send({channel: "nginx-recipe", text: "through nginx"});
			const m = await echoed;
			return {version: kiss.websocket.version, state: kiss.websocket.state, text: m.text, opened};
		})()`
		err := chromedp.Run(ctx,
			chromedp.Navigate(base+"/index.html"),
			chromedp.Evaluate(script, &got, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
				return p.WithAwaitPromise(true)
			}))
		if err != nil {
			t.Fatalf("the page through nginx: %v\nconsole:\n%s", err, strings.Join(console(), "\n"))
		}
		if got.Version == "" || !got.Opened || got.State != "open" || got.Text != "through nginx" {
			t.Errorf("the page through nginx: %+v, want ours (a version), opened, open, the echo", got)
		}
		// One wasm request (a second would be the loader's fallback for an
		// answer compileStreaming refused), in the encoding it asked for.
		wasmPath := "/" + dist + "/kiss-websocket.wasm"
		var served []string
		for _, line := range strings.Split(readFile(t, accessLog)[before:], "\n") {
			if f := strings.Split(line, "\t"); len(f) == 4 && f[0] == wasmPath {
				served = append(served, line)
				want := "gzip"
				if acceptsBrotli(f[2]) {
					want = "br"
				}
				if f[1] != "200" || f[3] != want {
					t.Errorf("nginx answered Chromium's %s (Accept-Encoding %q) with %s, Content-Encoding %q; want 200, %s", wasmPath, f[2], f[1], f[3], want)
				}
				t.Logf("Chromium sent Accept-Encoding %q and got the wasm as %s", f[2], f[3])
			}
		}
		wasm := requests(wasmPath)
		if len(served) != 1 || len(wasm) != 1 {
			t.Fatalf("Chromium fetched the wasm %d times (nginx's log: %q), want once", len(wasm), served)
		}
		if r := wasm[0]; r.status != http.StatusOK || r.mime != "application/wasm" || !strings.Contains(r.vary, "Accept-Encoding") {
			t.Errorf("Chromium's view of the wasm: %+v, want 200 application/wasm, Vary: Accept-Encoding", r)
		}
		for _, line := range console() {
			t.Errorf("console: %s", line)
		}
	})
}

// checkHeaders checks an answer of nginx for file in encoding ("" for none).
func checkHeaders(t *testing.T, what string, resp *http.Response, file, encoding string) {
	t.Helper()
	wantType := "application/wasm"
	if strings.HasSuffix(file, ".js") {
		wantType = "application/javascript"
	}
	h := resp.Header
	if resp.StatusCode != http.StatusOK || h.Get("Content-Type") != wantType || h.Get("Content-Encoding") != encoding ||
		!varies(resp) || h.Get("Cache-Control") != immutable || h.Get("ETag") == "" {
		t.Errorf("%s: %s\n%s\nwant Content-Type %s, Content-Encoding %q, Vary: Accept-Encoding, Cache-Control %s and an ETag",
			what, resp.Status, headerLines(h), wantType, encoding, immutable)
	}
}

func varies(resp *http.Response) bool {
	for _, v := range resp.Header.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), "Accept-Encoding") {
				return true
			}
		}
	}
	return false
}

func headerLines(h http.Header) string {
	var b strings.Builder
	for k, vs := range h {
		fmt.Fprintf(&b, "  %s: %s\n", k, strings.Join(vs, ", "))
	}
	return b.String()
}

// acceptsBrotli reports whether an Accept-Encoding value names br.
func acceptsBrotli(accept string) bool {
	for _, f := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(f, ";")
		if strings.EqualFold(strings.TrimSpace(name), "br") && !strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") {
			return true
		}
	}
	return false
}

// get fetches u with header pairs, without Go's own gzip handling.
func get(t *testing.T, u string, header ...string) (*http.Response, string) {
	t.Helper()
	h := map[string]string{}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] != "" {
			h[header[i]] = header[i+1]
		}
	}
	return testhttp.Do(t, client, testhttp.Request(t, "GET", u, "", h))
}

var client = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableCompression: true}}

// nginxBlock is the README's one block fenced as nginx.
func nginxBlock(t *testing.T, readme string) string {
	t.Helper()
	blocks := regexp.MustCompile("(?ms)^```nginx\n(.*?)^```").FindAllStringSubmatch(readme, -1)
	if len(blocks) != 1 {
		t.Fatalf("README.md has %d blocks fenced as nginx, want the one recipe", len(blocks))
	}
	return blocks[0][1]
}

// missing skips the test for something this machine lacks, or fails it on
// CI, which installs everything (.ci/run).
func missing(t *testing.T, what string) {
	t.Helper()
	if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
		t.Fatalf("%s; CI must run this test", what)
	}
	t.Skip(what)
}

// nginxBinary is Debian's nginx, which the recipe is written for.
func nginxBinary(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx" // not on a user's PATH
		if _, err := os.Stat(bin); err != nil {
			missing(t, "nginx is not installed (Debian: "+install+")")
		}
	}
	return bin
}

// makeDist runs make dist into site/kiss-websocket-VERSION and returns that
// folder's name.
func makeDist(t *testing.T, root, site string) string {
	t.Helper()
	// A command-line variable is expanded when used: $(VERSION) is make's.
	cmd := exec.Command("make", "-s", "dist", "DIST="+filepath.Join(site, "kiss-websocket-$(VERSION)"))
	cmd.Dir = root
	for _, kv := range os.Environ() { // not the outer make's jobserver, nor GOOS=js
		if k, _, _ := strings.Cut(kv, "="); k != "MAKEFLAGS" && k != "MFLAGS" && k != "MAKELEVEL" && k != "GOOS" && k != "GOARCH" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make dist: %v\n%s", err, out)
	}
	dirs, _ := filepath.Glob(filepath.Join(site, "kiss-websocket-*"))
	if len(dirs) != 1 {
		t.Fatalf("make dist made %q in %s, want one kiss-websocket-VERSION", dirs, site)
	}
	return filepath.Base(dirs[0])
}

// startNginx writes a config serving site with recipe in its server block,
// on a loopback listener this process opens and nginx inherits (the NGINX
// variable, as in nginx's own binary upgrade), so no other process can take
// the port in between. It returns the base URL; nginx stops with the test.
func startNginx(t *testing.T, bin, dir, site, recipe string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sock, err := ln.(*net.TCPListener).File() // a duplicate, which nginx gets as fd 3
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	addr := ln.Addr().String()
	user := ""
	if os.Geteuid() == 0 { // as root (CI) the workers would run as nobody, who cannot read t.TempDir()
		user = "user root;\n"
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, d := range []string{"body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		if err := os.MkdirAll(p(path.Join("tmp", d)), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := user + `daemon off;
worker_processes 1;
pid ` + p("nginx.pid") + `;
error_log ` + p("error.log") + ` notice;
include /etc/nginx/modules-enabled/*.conf;
events { worker_connections 64; }
http {
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	log_format recipe "$request_uri\t$status\t$http_accept_encoding\t$sent_http_content_encoding";
	access_log ` + p("access.log") + ` recipe;
	client_body_temp_path ` + p("tmp/body") + `;
	proxy_temp_path ` + p("tmp/proxy") + `;
	fastcgi_temp_path ` + p("tmp/fastcgi") + `;
	uwsgi_temp_path ` + p("tmp/uwsgi") + `;
	scgi_temp_path ` + p("tmp/scgi") + `;
	server {
		listen ` + addr + `;
		root ` + site + `;
# the README's recipe:
` + recipe + `	}
}
`
	if err := os.WriteFile(p("nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	errLog := func() string { return readFile(t, p("error.log")) }
	if out, err := exec.Command(bin, "-t", "-c", p("nginx.conf"), "-e", p("error.log")).CombinedOutput(); err != nil {
		if strings.Contains(string(out), `unknown directive "brotli_static"`) {
			missing(t, "nginx has no brotli_static (Debian: "+install+")")
		}
		t.Fatalf("nginx -t: %v\n%s\n%s", err, out, conf)
	}
	cmd := exec.Command(bin, "-c", p("nginx.conf"), "-e", p("error.log"))
	cmd.ExtraFiles = []*os.File{sock}
	cmd.Env = append(os.Environ(), "NGINX=3;")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT) // graceful: the workers finish, then exit
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("nginx error log:\n%s%s", out.String(), errLog())
		}
	})
	// The socket already listens: a request waits in its queue until nginx
	// accepts it, and fails at once if nginx exited (the socket is gone).
	resp, err := client.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("nginx on %s: %v\n%s%s", addr, err, out.String(), errLog())
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if !strings.Contains(errLog(), "using inherited sockets") {
		t.Fatalf("nginx did not take the inherited socket:\n%s", errLog())
	}
	return "http://" + addr
}

// answer is what Chromium got for one request.
type answer struct {
	mime, encoding, vary string
	status               int
}

// watch records the tab's requests and its console warnings and errors
// (a missing file, a refused socket, the loader's own warnings). chromedp
// calls the listener in the order of the protocol's messages, so what an
// action's answer follows has been recorded when the action returns.
func watch(t *testing.T, ctx context.Context) (requests func(suffix string) []answer, console func() []string) {
	t.Helper()
	var mu sync.Mutex
	urls := map[network.RequestID]string{}
	answers := map[network.RequestID]*answer{}
	var logs []string
	at := func(id network.RequestID) *answer {
		if answers[id] == nil {
			answers[id] = &answer{}
		}
		return answers[id]
	}
	header := func(h network.Headers, name string) string {
		for k, v := range h {
			if strings.EqualFold(k, name) {
				return fmt.Sprint(v)
			}
		}
		return ""
	}
	chromedp.ListenTarget(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			urls[ev.RequestID] = ev.Request.URL
		case *network.EventResponseReceived:
			a := at(ev.RequestID)
			a.status, a.mime = int(ev.Response.Status), ev.Response.MimeType
			a.encoding, a.vary = header(ev.Response.Headers, "Content-Encoding"), header(ev.Response.Headers, "Vary")
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.APITypeWarning && ev.Type != runtime.APITypeError {
				return
			}
			var parts []string
			for _, a := range ev.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			logs = append(logs, string(ev.Type)+": "+strings.Join(parts, " "))
		case *runtime.EventExceptionThrown:
			line := "uncaught: " + ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				line += " " + ex.Description
			}
			logs = append(logs, line)
		}
	})
	if err := chromedp.Run(ctx, network.Enable(), runtime.Enable()); err != nil {
		t.Fatal(err)
	}
	requests = func(suffix string) []answer {
		mu.Lock()
		defer mu.Unlock()
		var out []answer
		for id, u := range urls {
			if strings.HasSuffix(u, suffix) {
				out = append(out, *at(id))
			}
		}
		return out
	}
	console = func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), logs...)
	}
	return requests, console
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
