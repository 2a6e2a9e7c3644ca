package core

import (
	"errors"
	"strconv"
)

// Context is what a dial or a token check needs of its context: Done
// closes when the client gives up on it, and Err then says why. Every
// context.Context is one (StdContext goes the other way, natively). The
// client's own contexts have no deadline: an interface method that takes a
// context.Context keeps time.Time's formatter in the wasm, since its
// Deadline returns a time.Time (about 20 KB brotli).
type Context interface {
	Done() <-chan struct{}
	Err() error
}

// Dialer opens one socket. Natively it is NativeDialer (coder/websocket); in
// the browser it is the page's own WebSocket.
type Dialer interface {
	// Dial returns once the socket is open. It fails with a *CloseError when
	// the browser reports a close before open, or any other error (treated as
	// 1006 with an empty reason, like a refused upgrade). It gives up when ctx
	// ends.
	Dial(ctx Context, url string) (Conn, error)
}

// Opener is a Dialer whose socket exists from the moment its attempt
// starts, as in KissJS, which creates its WebSocket inside init() and, on a
// reconnection, before it publishes EVT_RECONNECTING (a subscriber sees the
// new socket at readyState 0). The client calls Open with its lock held,
// before it reports the attempt, so Open (and Options.URL) must not block
// or call back into the client. The client then waits on its own goroutine.
// session is the session the socket is opened in (Options.Session, read
// with its token): the browser's shared mode groups tabs by it.
type Opener interface {
	Open(url, session string) (Opening, error)
}

// MadeIn is an Opening that already knows the session its socket was made
// in: the browser's first socket, which init() makes while the wasm loads,
// carries the token of that moment. The client takes that session over
// the one of the moment it adopts the socket, which may be the next
// login's.
type MadeIn interface {
	MadeIn() string
}

// Announced is a Conn whose open the page has already been told of: the
// browser's first socket may open while the wasm still loads, and the loader
// then runs KissJS's open sequence itself (init resolves true, EVT_CONNECTED,
// onopen) and publishes its frames in their own events. The client adopts
// such a socket as it is: it runs the rest of its open sequence (the outbox,
// the heartbeat, from now) and reports no EventConnected for it, which the
// page would otherwise see twice.
type Announced interface {
	Announced() bool
}

// Opening is a socket whose handshake is under way.
type Opening interface {
	// Wait returns once the socket is open, as Dialer.Dial does.
	Wait(ctx Context) (Conn, error)
	// Abort drops the socket now, open or not; it may be called more than
	// once, and after Wait returned.
	Abort()
	// Close is the page's close() reaching a socket still connecting, as
	// KissJS's does (connection.close(4003, "DEFINITIVE_CLOSE")): it starts
	// the close without waiting, and Wait then reports how the socket ended.
	Close(code int, reason string) error
}

// Conn is one open socket.
type Conn interface {
	// Serve starts handing frames and the final close to h. The client calls it
	// once, after its open sequence, so nothing arrives before EVT_CONNECTED.
	Serve(h Handler)
	// WriteText sends one text frame. It must not block for long.
	WriteText(data []byte) error
	// Ping sends the heartbeat's text frame "ping"; the answer reaches the
	// Handler's HandlePong.
	Ping() error
	// Close starts the closing handshake without waiting for it; the close
	// then reaches the Handler. The client also calls it on a socket already
	// closing (a second close() of the page, as KissJS makes that call too),
	// where it must do no harm.
	Close(code int, reason string) error
	// Abort drops the socket at once (a dead peer will not answer a close).
	// The Handler may or may not hear of it.
	Abort()
}

// Reclaimer is a Conn that can tell which frames it accepted never left
// (the browser's bufferedAmount at an abnormal close). The client puts them
// back at the front of the outbox, so they go out on the next socket.
type Reclaimer interface {
	Unsent() [][]byte
}

// CloseError is how a socket ended, exactly as the peer or the browser
// reported it.
type CloseError struct {
	Code     int
	Reason   string
	WasClean bool
	// Relayed marks, in shared mode, the close of the socket another tab
	// held, as that tab reported it: the tab that held it checks the token
	// after a 1006, so here a 1006 is a network failure (no tab races
	// another to spend the one refresh token).
	Relayed bool
}

func (e *CloseError) Error() string {
	s := "websocket closed with code " + strconv.Itoa(e.Code)
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

// Errors of the JavaScript API, worded as KissJS words them.
var (
	ErrSendBeforeInit  = errors.New("No connection to opened: kiss.websocket.init has not been called.")
	ErrCloseBeforeInit = errors.New("No connection to close: kiss.websocket.init has not been called.")
)

// ErrHandover is how, in shared mode, a socket still connecting ends when
// the shared socket moved to another tab's lead (or to this tab's): an
// Opening's Wait (or a Dial) returns it. The server did not fail: the client
// goes on with the same attempt, spending none and reporting nothing. An
// open socket that moves tells its Handler's HandleHandover instead.
var ErrHandover = errors.New("kiss.websocket: the shared socket moved to another tab")

// errConnectTimeout is the cause of a dial abandoned after ConnectTimeout.
var errConnectTimeout = errors.New("connect timeout")

// asCloseError turns a failed dial into the close a browser would report.
// It walks the chain itself: errors.As and errors.Is link reflectlite.
func asCloseError(ctx *stopper, err error) *CloseError {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if ce, ok := e.(*CloseError); ok {
			return ce
		}
	}
	if ctx.Err() == errConnectTimeout {
		return &CloseError{Code: CodeAbnormal, Reason: "CONNECT_TIMEOUT"}
	}
	return &CloseError{Code: CodeAbnormal}
}
