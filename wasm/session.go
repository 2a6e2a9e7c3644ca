//go:build js && wasm

package main

import (
	"context"
	"strings"

	"github.com/hack-pad/safejs"
	"github.com/kissjs/kiss-websocket/core"
)

// session bridges kiss.session (when the page has KissJS) or localStorage and
// location (when it does not). The token is read at every attempt and never
// logged: it only travels in the socket URL and the Authorization header.
type session struct {
	kiss safejs.Value
}

const (
	tokenKey   = "session-token"
	refreshKey = "session-refresh-token"
)

func (s session) obj() safejs.Value {
	v, err := s.kiss.Get("session")
	if err != nil || !isObject(v) {
		return safejs.Undefined()
	}
	return v
}

// token returns kiss.session.getToken() or localStorage["session-token"].
func (s session) token() string {
	if sess := s.obj(); isObject(sess) {
		if fn, err := sess.Get("getToken"); err == nil && isFunc(fn) {
			if v, err := sess.Call("getToken"); err == nil && typeOf(v) == safejs.TypeString {
				t, _ := v.String()
				return t
			}
		}
	}
	return storageGet(tokenKey)
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

// base returns the socket address before the token: socketUrl, else KissJS's
// kiss.session.getWebsocketHost() (unless the config names ports), else one
// built from kiss.session.secure/host or from location.
func (s session) base(cfg core.Config, ports bool) string {
	if cfg.SocketURL != "" {
		return cfg.SocketURL
	}
	sess := s.obj()
	secure, host := false, ""
	if isObject(sess) {
		if fn, err := sess.Get("getWebsocketHost"); err == nil && isFunc(fn) && !ports {
			if v, err := sess.Call("getWebsocketHost"); err == nil && typeOf(v) == safejs.TypeString {
				h, _ := v.String()
				return h + "/?token="
			}
		}
		secure = true // KissJS's default, even on an http page
		if v, err := sess.Get("secure"); err == nil && !v.IsUndefined() {
			secure, _ = v.Truthy()
		}
		host, _ = getString(sess, "host")
	}
	loc, _ := global("location")
	if !isObject(sess) {
		proto, _ := getString(loc, "protocol")
		secure = proto == "https:"
	}
	if host == "" {
		host, _ = getString(loc, "host")
	}
	return core.DefaultBase(secure, host, cfg.Port, cfg.SSLPort)
}

// httpBase turns the socket address into the HTTP origin of the token
// endpoints (ws -> http, wss -> https, same host).
func httpBase(socketURL string) string {
	scheme, rest, ok := strings.Cut(socketURL, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	if scheme = strings.ToLower(scheme); scheme == "ws" || scheme == "http" {
		return "http://" + host
	}
	return "https://" + host
}

// check asks GET /checkTokenValidity once per outage. Only an explicit 401 is
// an unusable token; a network error is not (KissJS logged users out when the
// server was merely down). 498 refreshes the token and goes on.
func (s session) check(ctx context.Context, socketURL string) core.TokenStatus {
	origin := httpBase(socketURL)
	if origin == "" {
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
		return s.refresh(ctx, origin)
	}
	return core.TokenUnknown
}

// refresh uses kiss.session.getNewToken() when KissJS is there, else POST
// /refreshToken with the stored refresh token.
func (s session) refresh(ctx context.Context, origin string) core.TokenStatus {
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
	rt := storageGet(refreshKey)
	body := `{"refreshToken":` + quote(rt) + `}`
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

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// fetchStatus runs fetch and returns the HTTP status; ok=false on a network error.
func fetchStatus(ctx context.Context, u, method, token, body string) (int, bool) {
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

func fetchJSON(ctx context.Context, u, body string) (int, bool, safejs.Value) {
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
func doFetch(ctx context.Context, u, method, token, body string) (safejs.Value, bool) {
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
