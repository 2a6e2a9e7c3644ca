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

// devUser is the only user /login accepts (with any password) unless the
// test controls are on: this is a development server, not an identity
// provider.
const devUser = "dev"

// sessionReply is the body of /login, /verifyToken and /refreshToken,
// shaped like KissJS's server answer so kiss.session.init can take it as it
// is: the user id, the token pair and the socket's ports.
type sessionReply struct {
	Session
	UserID string  `json:"userId"`
	WS     wsPorts `json:"ws"`
}

func (s *Server) reply(r *http.Request, user string, sess Session) sessionReply {
	return sessionReply{Session: sess, UserID: user, WS: portsFor(r)}
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
	sess, user, ok := s.tokens.renew(body.RefreshToken)
	if !ok {
		s.logf("refresh refused: unknown refresh token")
		HTTPError(w, http.StatusUnauthorized)
		return
	}
	WriteJSON(w, http.StatusOK, s.reply(r, user, sess))
}

// handleLogout forgets the bearer token and its refresh token. It answers
// 200 even for an unknown token: the session is gone either way.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if tok := bearer(r); tok != "" {
		s.tokens.revoke(tok)
	}
	WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// handleLogin accepts user "dev" with any password; with the test controls
// on, any user name, so that each browser test logs in as a user of its own
// through kiss.session.login, as an app does.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Username != devUser && (!s.opts.Controls || body.Username == "") {
		HTTPError(w, http.StatusUnauthorized)
		return
	}
	WriteJSON(w, http.StatusOK, s.reply(r, body.Username, s.Login(body.Username)))
}

// handleVerifyToken is kiss.session.login({token}): a valid token (from an
// invitation link, say) is traded for a session of its user, with a
// refresh token of its own. The token stays valid.
func (s *Server) handleVerifyToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Token string `json:"token"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	st, user := s.tokens.check(body.Token)
	if st != tokenValid {
		HTTPError(w, http.StatusUnauthorized)
		return
	}
	WriteJSON(w, http.StatusOK, s.reply(r, user, s.Login(user)))
}
