//go:build !js

package kissserver

import (
	"encoding/json"
	"net/http"
	"strings"
)

// route is one endpoint. Endpoints answer CORS preflights so a page served
// from another port (a KissJS app, a browser test page) can call them.
type route struct {
	method, path string
	h            http.HandlerFunc
}

// routes builds the mux for everything that is not an upgrade.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	all := []route{
		{"GET", "/checkTokenValidity", s.handleCheckToken},
		{"POST", "/refreshToken", s.handleRefresh},
		{"GET", "/logout", s.handleLogout},
		{"POST", "/login", s.handleLogin},
		{"POST", "/verifyToken", s.handleVerifyToken},
	}
	controls := s.controlRoutes()
	if s.opts.Controls {
		all = append(all, controls...)
	} else {
		// Explicit 404s: the static tree must not answer for a control.
		for _, rt := range controls {
			mux.Handle(rt.path, http.NotFoundHandler())
		}
	}
	for _, rt := range all {
		// The method-less pattern turns a wrong method into 405 instead of
		// falling through to the static tree.
		mux.Handle(rt.path, withCORS(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Allow", rt.method+", OPTIONS")
			HTTPError(w, http.StatusMethodNotAllowed)
		}))
		mux.Handle(rt.method+" "+rt.path, withCORS(rt.h))
		mux.Handle("OPTIONS "+rt.path, withCORS(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		}))
	}
	static := s.opts.Static
	if static == nil {
		static = http.NotFoundHandler()
	}
	mux.Handle("/", static)
	return mux
}

// withCORS allows any origin: the endpoints are token-authenticated (or
// test-only), never cookie-authenticated, so a wildcard grants nothing.
func withCORS(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		hd.Set("Access-Control-Max-Age", "600")
		h(w, r)
	})
}

// isUpgrade reports whether r asks for a WebSocket, whatever its path.
func IsUpgrade(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "websocket") {
				return true
			}
		}
	}
	return false
}

// writeJSON answers with v as JSON. An encoding failure can only be a
// vanished client, which nobody needs to hear about.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// httpError answers with a plain status text, never echoing the request.
func HTTPError(w http.ResponseWriter, status int) {
	http.Error(w, http.StatusText(status), status)
}
