//go:build !js

package kissserver

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"sync"
	"time"
)

// Session is a token pair as KissJS's login and refresh answers carry it.
type Session struct {
	Token        string `json:"token"`
	RefreshToken string `json:"refreshToken"`
	ExpiresIn    int    `json:"expiresIn"` // seconds
}

// tokenState is what a token check can tell: KissJS maps valid to 200,
// expired to 498 (which makes it refresh) and anything else to 401 (which
// makes it log out).
type tokenState int

const (
	tokenUnknown tokenState = iota
	tokenValid
	tokenExpired
)

// refreshGrace is how long a refresh token outlives its access token; it
// also bounds how long expired entries are kept before pruning.
const refreshGrace = 24 * time.Hour

// tokenEntry is one issued token. Tokens are stored by their SHA-256 so the
// map never holds a usable secret, and the hash is compared again in
// constant time so a lookup does not rely on map equality alone.
type tokenEntry struct {
	sum     [sha256.Size]byte
	user    string
	expires time.Time
	expired bool              // forced by ExpireToken
	pair    [sha256.Size]byte // access <-> refresh
}

// tokenStore issues and checks access and refresh tokens.
type tokenStore struct {
	ttl time.Duration

	mu      sync.Mutex
	access  map[[sha256.Size]byte]*tokenEntry
	refresh map[[sha256.Size]byte]*tokenEntry
}

func newTokenStore(ttl time.Duration) *tokenStore {
	return &tokenStore{
		ttl:     ttl,
		access:  make(map[[sha256.Size]byte]*tokenEntry),
		refresh: make(map[[sha256.Size]byte]*tokenEntry),
	}
}

// newToken returns 32 random bytes as hex: URL-safe, so KissJS can glue it
// onto "?token=" raw.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}

// find returns the entry for token in m, or nil.
func find(m map[[sha256.Size]byte]*tokenEntry, token string) *tokenEntry {
	sum := sha256.Sum256([]byte(token))
	e := m[sum]
	if e == nil || subtle.ConstantTimeCompare(e.sum[:], sum[:]) != 1 {
		return nil
	}
	return e
}

// issue creates a token pair for user.
func (ts *tokenStore) issue(user string) Session {
	now := time.Now()
	sess := Session{Token: newToken(), RefreshToken: newToken(), ExpiresIn: int(ts.ttl / time.Second)}
	a := &tokenEntry{sum: sha256.Sum256([]byte(sess.Token)), user: user, expires: now.Add(ts.ttl)}
	r := &tokenEntry{sum: sha256.Sum256([]byte(sess.RefreshToken)), user: user, expires: a.expires.Add(refreshGrace)}
	a.pair, r.pair = r.sum, a.sum

	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.pruneLocked(now)
	ts.access[a.sum] = a
	ts.refresh[r.sum] = r
	return sess
}

// pruneLocked forgets pairs whose refresh token has run out, so a long-lived
// dev server does not grow without bound.
func (ts *tokenStore) pruneLocked(now time.Time) {
	for k, r := range ts.refresh {
		if now.After(r.expires) {
			delete(ts.refresh, k)
			delete(ts.access, r.pair)
		}
	}
	for k, a := range ts.access {
		if now.After(a.expires.Add(refreshGrace)) {
			delete(ts.access, k)
		}
	}
}

// check reports the state of an access token and its user.
func (ts *tokenStore) check(token string) (tokenState, string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	e := find(ts.access, token)
	switch {
	case e == nil:
		return tokenUnknown, ""
	case e.expired || !time.Now().Before(e.expires):
		return tokenExpired, e.user
	default:
		return tokenValid, e.user
	}
}

// expire makes an access token read as expired.
func (ts *tokenStore) expire(token string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if e := find(ts.access, token); e != nil {
		e.expired = true
	}
}

// expireUser makes every access token of user read as expired.
func (ts *tokenStore) expireUser(user string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, e := range ts.access {
		if e.user == user {
			e.expired = true
		}
	}
}

// revoke forgets token (access or refresh) together with its pair.
func (ts *tokenStore) revoke(token string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if e := find(ts.access, token); e != nil {
		delete(ts.access, e.sum)
		delete(ts.refresh, e.pair)
	}
	if e := find(ts.refresh, token); e != nil {
		delete(ts.refresh, e.sum)
		delete(ts.access, e.pair)
	}
}

// renew trades a refresh token for a new pair of the same user,
// invalidating the old one.
func (ts *tokenStore) renew(refreshToken string) (Session, string, bool) {
	ts.mu.Lock()
	e := find(ts.refresh, refreshToken)
	if e == nil || time.Now().After(e.expires) {
		ts.mu.Unlock()
		return Session{}, "", false
	}
	delete(ts.refresh, e.sum)
	delete(ts.access, e.pair)
	ts.mu.Unlock()
	return ts.issue(e.user), e.user, true
}

// Login issues a token pair for user. The empty user is reserved: the
// statistics use it for "every user".
func (s *Server) Login(user string) Session { return s.tokens.issue(user) }

// ExpireToken makes token read as expired: /checkTokenValidity answers 498
// (so KissJS refreshes) and upgrades with it are refused with 401.
func (s *Server) ExpireToken(token string) { s.tokens.expire(token) }

// RevokeToken forgets token (access or refresh) and its pair: the check
// answers 401 (so KissJS logs out) and upgrades are refused with 401.
func (s *Server) RevokeToken(token string) { s.tokens.revoke(token) }
