//go:build !js

package faultproxy

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Controls serves the proxy's controls under /test/proxy on the dev server
// (only when its test controls are on) and hands every other request to
// next: the faults a server cannot fake from inside (reset without close
// frame, half-open link, hung handshake, slow frames), for the browser
// chaos run.
func (p *Proxy) Controls(next http.Handler) http.Handler {
	on := func(r *http.Request) bool { return r.URL.Query().Get("on") != "0" }
	routes := map[string]func(w http.ResponseWriter, r *http.Request){
		"/test/proxy": func(w http.ResponseWriter, _ *http.Request) {
			_ = json.NewEncoder(w).Encode(map[string]any{"url": "ws://" + p.Addr(), "accepted": p.Accepted(), "lost": p.Lost()})
		},
		"/test/proxy/drop":   func(http.ResponseWriter, *http.Request) { p.Drop() },
		"/test/proxy/vanish": func(http.ResponseWriter, *http.Request) { p.Vanish() },
		"/test/proxy/stall":  func(_ http.ResponseWriter, r *http.Request) { p.Stall(on(r)) },
		"/test/proxy/hold":   func(_ http.ResponseWriter, r *http.Request) { p.HoldHandshakes(on(r)) },
		"/test/proxy/delay": func(w http.ResponseWriter, r *http.Request) {
			ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
			if err != nil || ms < 0 || ms > 60000 {
				http.Error(w, "ms: 0 to 60000", http.StatusBadRequest)
				return
			}
			p.Delay(time.Duration(ms) * time.Millisecond)
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := routes[r.URL.Path]
		if !ok || !strings.HasPrefix(r.URL.Path, "/test/proxy") {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Content-Type", "application/json")
		h(w, r)
	})
}
