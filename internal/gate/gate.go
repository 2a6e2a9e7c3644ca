//go:build !js

// Package gate holds a file of the dev server back until a test lets it go,
// so that a browser test can keep Go from arriving (the page's wasm comes
// through a gate) while it makes things happen before it, deterministically.
// Mounted with the other /test/ controls:
//
//	GET  /test/gate/NAME?id=ID  answers with the web directory's NAME once
//	                            gate ID is open (at most a minute later)
//	POST /test/gate?id=ID       opens gate ID; with fail=1 its files answer 404
package gate

import (
	"net/http"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// maxWait bounds how long a request waits at a closed gate.
const maxWait = time.Minute

type state struct {
	open chan struct{}
	fail bool
}

// Gates are the gates of one server.
type Gates struct {
	dir string
	mu  sync.Mutex
	m   map[string]*state
}

func (g *Gates) get(id string) *state {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.m[id]
	if s == nil {
		s = &state{open: make(chan struct{})}
		g.m[id] = s
	}
	return s
}

// Controls serves the gates over dir and hands every other request to next.
func Controls(dir string, next http.Handler) http.Handler {
	g := &Gates{dir: dir, m: map[string]*state{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		switch {
		case r.URL.Path == "/test/gate" && r.Method == http.MethodPost && id != "":
			s := g.get(id)
			g.mu.Lock()
			select {
			case <-s.open:
			default:
				s.fail = r.URL.Query().Get("fail") == "1"
				close(s.open)
			}
			g.mu.Unlock()
			w.Header().Set("Access-Control-Allow-Origin", "*")
			_, _ = w.Write([]byte(`{"ok":true}`))
		case strings.HasPrefix(r.URL.Path, "/test/gate/") && r.Method == http.MethodGet && id != "":
			g.serve(w, r, id, strings.TrimPrefix(r.URL.Path, "/test/gate/"))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (g *Gates) serve(w http.ResponseWriter, r *http.Request, id, name string) {
	name = path.Clean("/" + name)
	s := g.get(id)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "no-store")
	select {
	case <-s.open:
	case <-r.Context().Done():
		return
	case <-time.After(maxWait):
		http.Error(w, "gate "+id+" stayed closed", http.StatusGatewayTimeout)
		return
	}
	g.mu.Lock()
	fail := s.fail
	g.mu.Unlock()
	if fail {
		http.NotFound(w, r)
		return
	}
	http.ServeFile(w, r, filepath.Join(g.dir, filepath.FromSlash(name)))
}
