//go:build js && wasm

package main

import (
	"strings"

	"github.com/hack-pad/safejs"
	"github.com/kissjs/kiss-websocket/core"
)

// session bridges kiss.session (when the page has KissJS) or localStorage and
// location (when it does not). The token is read at every attempt and never
// logged: it only travels in the socket URL and the Authorization header, and
// only to the origins KissJS itself gives it to.
type session struct {
	kiss     safejs.Value
	js       *loader
	sessions *core.Sessions
}

func newSession(kiss safejs.Value, js *loader) *session {
	return &session{kiss: kiss, js: js, sessions: &core.Sessions{Read: js.facts, Keep: js.link}}
}

const (
	tokenKey   = "session-token"
	refreshKey = "session-refresh-token"
)

func (s *session) obj() safejs.Value {
	v, err := s.kiss.Get("session")
	if err != nil || !isObject(v) {
		return safejs.Undefined()
	}
	return v
}

// token returns kiss.session.getToken() or localStorage["session-token"], as
// the loader reads it for the socket URL.
func (s *session) token() string {
	return s.js.token()
}

// id names the session of the moment (core.Options.Session) from the facts
// the loader reads.
func (s *session) id() string { return s.sessions.ID() }

// page reads what core.Page.URL needs: kiss.session (asking its
// getWebsocketHost() only when the config names no port, as KissJS would
// not use it then) and the page's location.
func (s *session) page(namedPorts bool) core.Page {
	var p core.Page
	if loc, err := global("location"); err == nil && isObject(loc) {
		p.Location, _ = getString(loc, "host")
		proto, _ := getString(loc, "protocol")
		p.LocationSecure = proto == "https:"
	}
	sess := s.obj()
	if !isObject(sess) {
		return p
	}
	p.Session = true
	if !namedPorts {
		if fn, err := sess.Get("getWebsocketHost"); err == nil && isFunc(fn) {
			if v, err := sess.Call("getWebsocketHost"); err == nil {
				p.WebsocketHost, p.HasWebsocketHost = stringValue(v)
			}
		}
	}
	if v, err := sess.Get("secure"); err == nil && !v.IsUndefined() {
		secure, _ := v.Truthy()
		p.Insecure = !secure
	}
	p.Host, _ = getString(sess, "host")
	return p
}

func storageGet(key string) string {
	ls, err := global("localStorage")
	if err != nil || !isObject(ls) {
		return ""
	}
	v, err := ls.Call("getItem", key)
	if err != nil || typeOf(v) != safejs.TypeString {
		return ""
	}
	t, _ := v.String()
	return t
}

func storageSet(key, value string) {
	if ls, err := global("localStorage"); err == nil && isObject(ls) {
		_, _ = ls.Call("setItem", key, value)
	}
}

// checkBase is where /checkTokenValidity and /refreshToken go: on a KissJS
// page, kiss.session.host as KissJS asks it (relative to the page when it is
// empty; https unless kiss.session.secure is false when it names no scheme);
// without KissJS, the origin the socket URL already gives the token to.
func (s *session) checkBase(socketURL string) (string, bool) {
	sess := s.obj()
	if !isObject(sess) {
		o := core.HTTPOrigin(socketURL)
		return o, o != ""
	}
	host, _ := getString(sess, "host")
	switch {
	case host == "":
		return "", true
	case strings.Contains(host, "://"):
		for strings.HasSuffix(host, "/") {
			host = host[:len(host)-1]
		}
		return host, true
	}
	secure := true
	if v, err := sess.Get("secure"); err == nil && !v.IsUndefined() {
		secure, _ = v.Truthy()
	}
	if secure {
		return "https://" + host, true
	}
	return "http://" + host, true
}

// check asks GET /checkTokenValidity (core asks once per outage, again each
// core.TokenRecheck it lasts). Only an explicit 401 is
// an unusable token; a network error is not (KissJS logged users out when the
// server was merely down). 498 refreshes the token and goes on.
func (s *session) check(ctx core.Context, socketURL string) core.TokenStatus {
	origin, ok := s.checkBase(socketURL)
	if !ok {
		return core.TokenUnknown
	}
	status, ok := fetchStatus(ctx, origin+"/checkTokenValidity", "GET", s.token(), "")
	switch {
	case !ok:
		return core.TokenUnknown
	case status == 200:
		return core.TokenValid
	case status == 401:
		return core.TokenUnusable
	case status == 498:
		// a token our refresh gets continues the session (core.Sessions)
		return s.sessions.Refresh(func() core.TokenStatus { return s.refresh(ctx, origin) })
	}
	return core.TokenUnknown
}

// refresh uses kiss.session.getNewToken() when KissJS is there, else POST
// /refreshToken with the stored refresh token.
func (s *session) refresh(ctx core.Context, origin string) core.TokenStatus {
	if sess := s.obj(); isObject(sess) {
		if fn, err := sess.Get("getNewToken"); err == nil && isFunc(fn) {
			p, err := sess.Call("getNewToken")
			if err == nil && isObject(p) {
				_, err = await(ctx, p)
			}
			if err != nil {
				return core.TokenUnknown
			}
			return core.TokenRefreshed
		}
	}
	body, err := jsonBody("refreshToken", storageGet(refreshKey))
	if err != nil {
		return core.TokenUnknown
	}
	status, ok, res := fetchJSON(ctx, origin+"/refreshToken", body)
	switch {
	case !ok:
		return core.TokenUnknown
	case status == 401:
		return core.TokenUnusable
	case status != 200:
		return core.TokenUnknown
	}
	tok, ok1 := getString(res, "token")
	ref, ok2 := getString(res, "refreshToken")
	if !ok1 || !ok2 {
		return core.TokenUnknown
	}
	storageSet(tokenKey, tok)
	storageSet(refreshKey, ref)
	return core.TokenRefreshed
}

// jsonBody is JSON.stringify({key: value}): exact JSON for any string.
func jsonBody(key, value string) (string, error) {
	j, err := global("JSON")
	if err != nil {
		return "", err
	}
	v, err := j.Call("stringify", map[string]any{key: value})
	if err != nil {
		return "", err
	}
	return v.String()
}

// fetchStatus runs fetch and returns the HTTP status; ok=false on a network error.
func fetchStatus(ctx core.Context, u, method, token, body string) (int, bool) {
	resp, ok := doFetch(ctx, u, method, token, body)
	if !ok {
		return 0, false
	}
	v, err := resp.Get("status")
	if err != nil {
		return 0, false
	}
	n, err := v.Int()
	return n, err == nil
}

func fetchJSON(ctx core.Context, u, body string) (int, bool, safejs.Value) {
	resp, ok := doFetch(ctx, u, "POST", "", body)
	if !ok {
		return 0, false, safejs.Undefined()
	}
	sv, _ := resp.Get("status")
	status, _ := sv.Int()
	if status != 200 {
		return status, true, safejs.Undefined()
	}
	p, err := resp.Call("json")
	if err != nil {
		return status, false, safejs.Undefined()
	}
	v, err := await(ctx, p)
	return status, err == nil, v
}

// doFetch runs fetch, aborted when ctx ends (a half-there server must not
// hold the token check forever).
func doFetch(ctx core.Context, u, method, token, body string) (safejs.Value, bool) {
	fetch, err := global("fetch")
	if err != nil || !isFunc(fetch) {
		return safejs.Undefined(), false
	}
	headers := map[string]any{}
	if token != "" {
		headers["authorization"] = "Bearer " + token
	}
	init := map[string]any{"method": method, "headers": headers, "cache": "no-store"}
	if body != "" {
		headers["content-type"] = "application/json"
		init["body"] = body
	}
	if ac, err := global("AbortController"); err == nil && isFunc(ac) {
		if ctl, err := ac.New(); err == nil {
			if sig, err := ctl.Get("signal"); err == nil {
				init["signal"] = sig
				finished := make(chan struct{})
				defer close(finished)
				go func() {
					select {
					case <-ctx.Done():
						_, _ = ctl.Call("abort")
					case <-finished:
					}
				}()
			}
		}
	}
	p, err := fetch.Invoke(u, init)
	if err != nil {
		return safejs.Undefined(), false
	}
	resp, err := await(ctx, p)
	return resp, err == nil
}
