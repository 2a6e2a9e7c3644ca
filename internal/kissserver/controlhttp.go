//go:build !js

package kissserver

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// maxPush bounds /test/push?n= so one request cannot queue gigabytes.
const maxPush = 100000

// stateReply is the body of GET /test/state.
type stateReply struct {
	Conns      []ConnInfo `json:"conns"`
	MaxSockets int        `json:"maxSockets"`
	Upgrades   int        `json:"upgrades"`
	TooMany    int        `json:"tooMany"` // closed with 4002 by the socket limit
	Open       int        `json:"open"`    // sockets open now
	Held       int        `json:"held"`    // upgrades HoldUpgrades keeps waiting (every user)
	Received   []string   `json:"received"`
}

// controlRoutes exposes the Go controls over HTTP so browser tests can drive
// them; routes() mounts them only when Options.Controls is set.
func (s *Server) controlRoutes() []route {
	ok := func(w http.ResponseWriter) { WriteJSON(w, http.StatusOK, map[string]bool{"ok": true}) }
	return []route{
		{"POST", "/test/close", func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			code, good := intParam(q, "code", 1000, 1000, 4999)
			reason := q.Get("reason")
			if !good || !validCloseCode(code) || len(reason) > 123 {
				HTTPError(w, http.StatusBadRequest)
				return
			}
			s.CloseAll(code, reason)
			ok(w)
		}},
		{"POST", "/test/drop", func(w http.ResponseWriter, _ *http.Request) { s.DropAll(); ok(w) }},
		{"POST", "/test/stall", func(w http.ResponseWriter, r *http.Request) {
			on, err := strconv.ParseBool(r.URL.Query().Get("on"))
			if err != nil {
				HTTPError(w, http.StatusBadRequest)
				return
			}
			s.Stall(on)
			ok(w)
		}},
		{"POST", "/test/hold", func(w http.ResponseWriter, r *http.Request) {
			on, err := strconv.ParseBool(r.URL.Query().Get("on"))
			if err != nil {
				HTTPError(w, http.StatusBadRequest)
				return
			}
			s.HoldUpgrades(on)
			ok(w)
		}},
		{"POST", "/test/refuse", func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			status, good := intParam(q, "status", 0, 0, 599)
			ms, good2 := intParam(q, "ms", 0, 0, 1<<31-1)
			if !good || !good2 || (status != 0 && status < 200) {
				HTTPError(w, http.StatusBadRequest)
				return
			}
			s.RefuseUpgrades(status, time.Duration(ms)*time.Millisecond)
			ok(w)
		}},
		{"POST", "/test/expire", func(w http.ResponseWriter, r *http.Request) {
			if tok := r.URL.Query().Get("token"); tok != "" {
				s.ExpireToken(tok)
			} else {
				s.tokens.expireUser(devUser)
			}
			ok(w)
		}},
		{"POST", "/test/revoke", func(w http.ResponseWriter, r *http.Request) {
			tok := r.URL.Query().Get("token")
			if tok == "" {
				HTTPError(w, http.StatusBadRequest)
				return
			}
			s.RevokeToken(tok)
			ok(w)
		}},
		{"POST", "/test/goaway", func(w http.ResponseWriter, r *http.Request) {
			ms, good := intParam(r.URL.Query(), "ms", 0, 0, 1<<31-1)
			if !good {
				HTTPError(w, http.StatusBadRequest)
				return
			}
			s.GoAway(time.Duration(ms) * time.Millisecond)
			ok(w)
		}},
		{"POST", "/test/push", func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			n, good := intParam(q, "n", 1, 0, maxPush)
			if !good {
				HTTPError(w, http.StatusBadRequest)
				return
			}
			ch := q.Get("channel")
			if ch == "" {
				ch = "push"
			}
			WriteJSON(w, http.StatusOK, map[string]int{"reached": s.Push(q.Get("user"), n, ch)})
		}},
		{"POST", "/test/raw", func(w http.ResponseWriter, r *http.Request) {
			frame, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
			if err != nil {
				HTTPError(w, http.StatusBadRequest)
				return
			}
			q := r.URL.Query()
			WriteJSON(w, http.StatusOK, map[string]int{"reached": s.SendRaw(q.Get("user"), frame, q.Get("binary") == "1")})
		}},
		{"POST", "/test/limit", func(w http.ResponseWriter, r *http.Request) {
			n, good := intParam(r.URL.Query(), "sockets", 0, 0, 1<<20)
			if !good {
				HTTPError(w, http.StatusBadRequest)
				return
			}
			s.SetSocketLimit(n)
			ok(w)
		}},
		{"POST", "/test/reset", func(w http.ResponseWriter, _ *http.Request) { s.Reset(); ok(w) }},
		{"POST", "/test/login", func(w http.ResponseWriter, r *http.Request) {
			user := r.URL.Query().Get("user")
			if user == "" {
				user = devUser
			}
			WriteJSON(w, http.StatusOK, s.reply(r, user, s.Login(user)))
		}},
		{"GET", "/test/state", func(w http.ResponseWriter, r *http.Request) {
			WriteJSON(w, http.StatusOK, s.state(r.URL.Query().Get("user")))
		}},
	}
}

// state gathers what GET /test/state reports for user ("" = every user).
func (s *Server) state(user string) stateReply {
	conns := []ConnInfo{}
	for _, c := range s.Conns() {
		if user == "" || c.User == user {
			conns = append(conns, c)
		}
	}
	open := 0
	for _, c := range conns {
		if c.Open {
			open++
		}
	}
	return stateReply{Conns: conns, MaxSockets: s.MaxSockets(user),
		Upgrades: s.Upgrades(user), TooMany: s.TooMany(user), Open: open, Held: s.HeldUpgrades(), Received: s.Received(user)}
}

// intParam parses an optional integer query parameter within [lo, hi].
func intParam(q url.Values, name string, def, lo, hi int) (int, bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}

// validCloseCode reports whether code may be sent in a close frame.
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	default:
		return code >= 3000 && code <= 4999
	}
}
