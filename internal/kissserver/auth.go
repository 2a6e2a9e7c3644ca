//go:build !js

package kissserver

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// maxBodyBytes bounds the JSON bodies of /login and /refreshToken.
const maxBodyBytes = 64 << 10

// devUser is the only user /login accepts (with any password): this is a
// development server, not an identity provider.
const devUser = "dev"

// sessionReply is the body of /login and /refreshToken, shaped like
// KissJS's server answer so kiss.session can re-init from it.
type sessionReply struct {
	Session
	WS wsPorts `json:"ws"`
}

type wsPorts struct {
	Port    int `json:"port"`
	SSLPort int `json:"sslPort"`
}

// portsFor tells the client where the socket listens: the port in Host when
// there is one, else the scheme defaults.
func portsFor(r *http.Request) wsPorts {
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		if n, err := strconv.Atoi(p); err == nil && n > 0 && n < 65536 {
			return wsPorts{Port: n, SSLPort: n}
		}
	}
	return wsPorts{Port: 80, SSLPort: 443}
}

// bearer extracts the token of an "Authorization: Bearer TOKEN" header.
func bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// decodeBody reads a small JSON body into v.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes)).Decode(v); err != nil {
		HTTPError(w, http.StatusBadRequest)
		return false
	}
	return true
}

// handleCheckToken answers 200 valid, 498 expired, 401 otherwise: the three
// outcomes kiss.session.checkTokenValidity tells apart.
func (s *Server) handleCheckToken(w http.ResponseWriter, r *http.Request) {
	switch st, _ := s.tokens.check(bearer(r)); st {
	case tokenValid:
		WriteJSON(w, http.StatusOK, map[string]bool{"valid": true})
	case tokenExpired:
		WriteJSON(w, 498, map[string]bool{"valid": false})
	default:
		HTTPError(w, http.StatusUnauthorized)
	}
}

// handleRefresh trades {"refreshToken"} for a new pair.
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	var body struct {
		RefreshToken string `json:"refreshToken"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	sess, ok := s.tokens.renew(body.RefreshToken)
	if !ok {
		s.logf("refresh refused: unknown refresh token")
		HTTPError(w, http.StatusUnauthorized)
		return
	}
	WriteJSON(w, http.StatusOK, sessionReply{Session: sess, WS: portsFor(r)})
}

// handleLogout forgets the bearer token and its refresh token. It answers
// 200 even for an unknown token: the session is gone either way.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if tok := bearer(r); tok != "" {
		s.tokens.revoke(tok)
	}
	WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// handleLogin accepts user "dev" with any password.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Username != devUser {
		HTTPError(w, http.StatusUnauthorized)
		return
	}
	WriteJSON(w, http.StatusOK, sessionReply{Session: s.Login(devUser), WS: portsFor(r)})
}
