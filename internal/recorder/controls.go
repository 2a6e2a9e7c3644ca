//go:build !js

package recorder

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// maxPush bounds the frame a test may push through /test/recorder/push.
const maxPush = 1 << 20

// Controls serves the recorder's controls under /test/recorder on the dev
// server (only when its test controls are on) and hands every other request
// to next: the browser token-safety tests read the record to prove the
// session token never reached another origin.
func (rec *Recorder) Controls(next http.Handler) http.Handler {
	ok := func(w http.ResponseWriter, v any) { _ = json.NewEncoder(w).Encode(v) }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /test/recorder", func(w http.ResponseWriter, _ *http.Request) {
		ok(w, map[string]any{
			"url": rec.URL(), "ws": "ws" + strings.TrimPrefix(rec.URL(), "http"),
			"requests": rec.Requests(), "frames": rec.Frames(), "sockets": rec.Sockets(),
		})
	})
	mux.HandleFunc("POST /test/recorder/reset", func(w http.ResponseWriter, _ *http.Request) { rec.Reset(); ok(w, struct{}{}) })
	mux.HandleFunc("POST /test/recorder/drop", func(w http.ResponseWriter, _ *http.Request) { rec.DropAll(); ok(w, struct{}{}) })
	mux.HandleFunc("POST /test/recorder/refuse", func(w http.ResponseWriter, r *http.Request) {
		on := map[string]bool{"1": true, "0": false}
		v, valid := on[r.URL.Query().Get("on")]
		if !valid {
			http.Error(w, "on: 1 or 0", http.StatusBadRequest)
			return
		}
		rec.Refuse(v)
		ok(w, struct{}{})
	})
	mux.HandleFunc("POST /test/recorder/push", func(w http.ResponseWriter, r *http.Request) {
		text, err := io.ReadAll(io.LimitReader(r.Body, maxPush+1))
		if err != nil || len(text) > maxPush {
			http.Error(w, "body: the text frame, up to 1 MiB", http.StatusBadRequest)
			return
		}
		ok(w, map[string]int{"reached": rec.Push(string(text))})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/test/recorder" && !strings.HasPrefix(r.URL.Path, "/test/recorder/") {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions { // a page posting Content-Type: application/json asks first
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Content-Type")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Content-Type", "application/json")
		mux.ServeHTTP(w, r)
	})
}
