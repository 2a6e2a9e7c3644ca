//go:build !js

// Package lifecycletest drives pages that use kiss.websocket through the
// page's life cycle in headless Chromium, over the DevTools protocol: the
// back/forward cache, a frozen page resumed, a hidden tab's throttled timers,
// and Content-Security-Policies with and without 'wasm-unsafe-eval'.
//
// The pages come from the test's own origin (so it sets their headers); the
// socket goes to the dev server through its fault proxy.
package lifecycletest

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/kissjs/kiss-websocket/internal/devserver"
	"github.com/kissjs/kiss-websocket/internal/testhttp"
)

// The policies of the CSP pages.
var policies = map[string]string{
	"strict": "script-src 'self' 'wasm-unsafe-eval'",
	"nowasm": "script-src 'self'",
}

type env struct {
	dev   string // the dev server
	proxy string // ws:// of its fault proxy
	site  string // the pages' origin
}

func newEnv(t *testing.T) *env {
	t.Helper()
	root := devserver.RepoRoot(t)
	e := &env{dev: devserver.ForTest(t, root, "-origin", "127.0.0.1:*")}
	var p struct{ URL string }
	if err := json.Unmarshal([]byte(e.control(t, "GET", "/test/proxy", nil)), &p); err != nil || p.URL == "" {
		t.Fatalf("no fault proxy: %v", err)
	}
	e.proxy = p.URL
	web := http.FileServer(http.Dir(filepath.Join(root, "web")))
	mux := http.NewServeMux()
	mux.HandleFunc("/page.html", func(w http.ResponseWriter, r *http.Request) {
		if csp := policies[r.URL.Query().Get("csp")]; csp != "" {
			w.Header().Set("Content-Security-Policy", csp)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		before := ""
		if r.URL.Query().Get("nolocks") != "" {
			before = `<script src="/nolocks.js"></script>`
		}
		loader := `<script src="/kiss-websocket.js"></script>`
		if wasm := r.URL.Query().Get("wasm"); wasm != "" { // the wasm from elsewhere (a gate)
			loader = `<script src="/kiss-websocket.js" data-wasm="` + html.EscapeString(wasm) + `"></script>`
		}
		fmt.Fprint(w, `<!doctype html><meta charset=utf-8><title>life cycle</title>`+before+
			`<script src="/kiss.js"></script>`+loader+`<script src="/app.js"></script>`)
	})
	// A browser without Web Locks, for shared mode's fallback.
	mux.HandleFunc("/nolocks.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `Object.defineProperty(Navigator.prototype, "locks", { get: function () { return undefined; }, configurable: true });`)
	})
	mux.HandleFunc("/other.html", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset=utf-8><title>elsewhere</title><p>elsewhere`)
	})
	mux.HandleFunc("/kiss.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(root, "bench", "page", "kiss.js")) // the bench's KissJS stand-in
	})
	mux.HandleFunc("/app.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join("testdata", "app.js"))
	})
	for _, f := range []string{"/kiss-websocket.js", "/kiss-websocket-go.js", "/kiss-websocket-shared.js", "/wasm_exec.js", "/kiss-websocket.wasm"} {
		mux.Handle(f, web)
	}
	site := httptest.NewServer(mux)
	t.Cleanup(site.Close)
	e.site = site.URL
	return e
}

// control calls one of the dev server's /test/ controls and returns its body.
func (e *env) control(t *testing.T, method, path string, q url.Values) string {
	t.Helper()
	resp, body := testhttp.Do(t, nil, testhttp.Request(t, method, e.dev+path+"?"+q.Encode(), "", nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, body)
	}
	return body
}

// pageURL is the test page with init's config for a new login of user,
// whose socket goes through the fault proxy.
func (e *env) pageURL(t *testing.T, csp, user string, config map[string]any) string {
	t.Helper()
	var s struct{ Token string }
	if err := json.Unmarshal([]byte(e.control(t, "POST", "/test/login", url.Values{"user": {user}})), &s); err != nil || s.Token == "" {
		t.Fatalf("login %s: %v", user, err)
	}
	config["socketUrl"] = e.proxy + "/?token=" + s.Token
	b, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	return e.site + "/page.html?" + url.Values{"csp": {csp}, "config": {string(b)}}.Encode()
}

// received is what the server got from user's sockets.
func (e *env) received(t *testing.T, user string) []string {
	t.Helper()
	var s struct{ Received []string }
	if err := json.Unmarshal([]byte(e.control(t, "GET", "/test/state", url.Values{"user": {user}})), &s); err != nil {
		t.Fatal(err)
	}
	return s.Received
}

// browser starts headless Chromium as a user's would run: timers of hidden
// tabs throttled, the back/forward cache on.
func browser(t *testing.T) context.Context {
	t.Helper()
	ctx := devserver.Browser(t, 2*time.Minute+hiddenFor())
	if err := chromedp.Run(ctx, page.Enable()); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates expr in the page, awaiting a promise, into out.
func eval(t *testing.T, ctx context.Context, expr string, out any) {
	t.Helper()
	run(t, ctx, expr, chromedp.Evaluate(expr, out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
}

// waitTrue polls cond (a JavaScript expression) until it is true.
func waitTrue(t *testing.T, ctx context.Context, cond string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var ok bool
		if err := chromedp.Run(ctx, chromedp.Evaluate("!!("+cond+")", &ok)); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			var events string
			_ = chromedp.Run(ctx, chromedp.Evaluate(`JSON.stringify(typeof T === "undefined" ? null : T.events)`, &events))
			t.Fatalf("not true within %v: %s\nevents: %s", within, cond, events)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// event is one line of T.events.
type event struct {
	Name   string
	At     float64
	Detail any
}

func events(t *testing.T, ctx context.Context) []event {
	t.Helper()
	var evs []event
	eval(t, ctx, "T.events", &evs)
	return evs
}

// last returns the last event named name, at or after from (ms), or false.
func last(evs []event, name string, from float64) (event, bool) {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Name == name && evs[i].At >= from {
			return evs[i], true
		}
	}
	return event{}, false
}

func count(evs []event, name string) int {
	n := 0
	for _, e := range evs {
		if e.Name == name {
			n++
		}
	}
	return n
}

// hasEvent is a condition: T.events holds name at least n times.
// connectedWithGo: EVT_CONNECTED, and Go is there (the first socket opens
// and is announced before the wasm has loaded; the tests of the page's life
// cycle are about what Go does with it).
var connectedWithGo = hasEvent("EVT_CONNECTED", 1) + " && kiss.websocket.stats() !== undefined"

func hasEvent(name string, n int) string {
	return fmt.Sprintf(`T.events.filter(function (e) { return e.name === %q; }).length >= %d`, name, n)
}

// hiddenFor is how long the hidden-tab test keeps its tab hidden: 6 s, or
// LIFECYCLE_HIDDEN_SECONDS to measure a long hidden period.
func hiddenFor() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("LIFECYCLE_HIDDEN_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 6 * time.Second
}
