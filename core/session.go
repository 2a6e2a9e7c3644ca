package core

import (
	"strconv"
	"sync"
)

// A session is one login. A message queued in a session is sent only on a
// socket of that session (Options.Session): after a logout and another
// login it is discarded, never sent as the next user. The platform reads
// Facts from the page; the rule that turns them into a session lives here,
// and only here.

// Facts are what a page shows of its login at one moment. The platform
// reads them (in the browser: kiss.session and localStorage); it decides
// nothing.
type Facts struct {
	// Resets counts kiss.session.reset() calls so far, in every tab of the
	// profile: each one ends the session, whoever logs in next.
	Resets int64
	// User is KissJS's user id (kiss.session.getUserId(), else
	// localStorage["session-userId"]); "" without KissJS.
	User string
	// Token is a digest of the token of the moment, "" without one. Never
	// the token itself: session names end up in storage and lock names.
	Token string
	// Link is what our own last token refresh left (see Sessions.Refresh).
	Link Link
}

// Link ties the token our own refresh obtained to the session of the token
// it replaced.
type Link struct {
	Token string // digest of the token the refresh obtained
	Root  string // digest of the first token of that session
}

// NamesUser reports whether a KissJS user id names someone. KissJS answers
// "anonymous" for a page without a user id (between reset() and the next
// login, and in apps that authenticate by token alone); "null" and
// "undefined" are what a missing id becomes once stored as a string.
func NamesUser(id string) bool {
	switch id {
	case "", "anonymous", "null", "undefined":
		return false
	}
	return true
}

// Session names the login the facts show: the user when the id names one
// (a token refreshed for the same user, by anyone, keeps the session);
// otherwise the token, where a token our own refresh obtained continues
// the session of the one it replaced and any other new token starts a new
// session. Every kiss.session.reset() starts a new session either way.
func (f Facts) Session() string {
	s := "reset " + strconv.FormatInt(f.Resets, 10)
	if NamesUser(f.User) {
		return s + " user " + f.User
	}
	return s + " token " + f.root()
}

// root is the digest that names the token's session.
func (f Facts) root() string {
	if f.Token != "" && f.Link.Token == f.Token && f.Link.Root != "" {
		return f.Link.Root
	}
	return f.Token
}

// Sessions names the session of the moment (its ID is Options.Session) and
// knows which new token comes from our own refresh.
type Sessions struct {
	// Read returns the facts of the moment.
	Read func() Facts
	// Keep stores a link where every tab reads it back into Facts.Link:
	// a tab that did not refresh must agree on the session too.
	Keep func(Link)

	mu         sync.Mutex
	refreshing bool
	from       Facts // the facts when our refresh began
}

// ID is the session of the moment.
func (s *Sessions) ID() string { return s.linked(s.Read()).Session() }

// linked records, while our refresh runs, a new token as that refresh's:
// a page's refresh (KissJS's getNewToken) stores the token and calls
// init() before it returns, and the socket init() opens must already be
// in the refreshed session.
func (s *Sessions) linked(f Facts) Facts {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.refreshing || f.Token == "" || f.Token == s.from.Token || f.Resets != s.from.Resets {
		return f
	}
	l := Link{Token: f.Token, Root: s.from.root()}
	if f.Link != l {
		f.Link = l
		if s.Keep != nil {
			s.Keep(l)
		}
	}
	return f
}

// Refresh runs refresh, our own refresh of the token (after a 498): a new
// token the page shows while it runs, or when it ends well, continues the
// session of the token it replaced. Only one runs at a time per client
// (one token check at a time); a reset meanwhile still ends the session.
func (s *Sessions) Refresh(refresh func() TokenStatus) TokenStatus {
	f := s.Read()
	s.mu.Lock()
	s.refreshing, s.from = true, f
	s.mu.Unlock()
	st := refresh()
	if st == TokenRefreshed {
		s.linked(s.Read())
	}
	s.mu.Lock()
	s.refreshing = false
	s.mu.Unlock()
	return st
}
