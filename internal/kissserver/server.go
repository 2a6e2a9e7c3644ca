//go:build !js

// Package kissserver is a KissJS-protocol WebSocket server: token-checked
// upgrades, text ping/pong, per-user channel delivery, the session endpoints
// KissJS calls (/checkTokenValidity, /refreshToken, /logout, /login) and fault
// controls (close codes, dropped TCP, stalls, refused upgrades) so the client
// can be tested against every path it must survive.
package kissserver

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxFrameBytes = 1 << 20
	DefaultTokenTTL      = time.Hour
)

// Options configure a Server. The zero value is a working server with the
// controls off and no static files.
type Options struct {
	// OriginPatterns are extra allowed Origin host patterns, as in
	// websocket.AcceptOptions; the request's own host is always allowed.
	OriginPatterns []string
	// MaxFrameBytes limits each message read from a client; a larger one is
	// closed with 1009. Default DefaultMaxFrameBytes.
	MaxFrameBytes int64
	// Controls enables the /test/* HTTP controls. Off by default because they
	// let anyone on the network close, stall or impersonate sessions.
	Controls bool
	// Static serves every path that is neither an upgrade nor an endpoint
	// of this package; nil answers 404.
	Static http.Handler
	// Logf receives diagnostics. It may be nil. It never receives a token:
	// messages never include one and are redacted before the call anyway.
	Logf func(format string, args ...any)
	// TokenTTL is the lifetime of an access token. Default DefaultTokenTTL.
	TokenTTL time.Duration
	// MaxSocketsPerUser, when above 0, closes a user's socket beyond that
	// many open ones with 4002 TOO_MANY_SOCKETS, as a KissJS server that
	// limits sockets does. SetSocketLimit changes it while serving.
	MaxSocketsPerUser int
}

// Server is an http.Handler speaking the KissJS WebSocket protocol.
type Server struct {
	opts   Options
	tokens *tokenStore
	mux    *http.ServeMux

	// wg counts upgraded connections' handler goroutines, so Close can wait.
	wg sync.WaitGroup

	mu         sync.Mutex
	settled    *sync.Cond        // signalled when an upgrade leaves upgrades
	upgrades   map[uint64]string // upgrades between the token check and register: user by ticket
	lastTicket uint64            // tickets go up in the order upgrades begin
	closed     bool
	nextID     int64
	conns      []*conn               // by ID; open ones plus the most recent closed
	stats      map[string]*userStats // per user; "" aggregates every user
	stallCh    chan struct{}         // non-nil while stalled; closed to resume
	holdCh     chan struct{}         // non-nil while upgrades are held; closed to let them on
	held       int                   // upgrade requests waiting on holdCh
	refusal    refusal
	limit      int // sockets per user; 0: no limit
}

// New returns a Server, filling in the defaults for zero Options fields.
func New(opts Options) *Server {
	if opts.MaxFrameBytes <= 0 {
		opts.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	s := &Server{
		opts:     opts,
		tokens:   newTokenStore(opts.TokenTTL),
		stats:    make(map[string]*userStats),
		upgrades: make(map[uint64]string),
	}
	s.limit = max(opts.MaxSocketsPerUser, 0)
	s.settled = sync.NewCond(&s.mu)
	s.mux = s.routes()
	return s
}

// ServeHTTP hands WebSocket upgrades (on any path) to the socket handler and
// everything else to the endpoints, the controls or Options.Static.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if IsUpgrade(r) {
		s.serveWebSocket(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Close closes every socket with 1001 "server shutting down", refuses later
// upgrades with 503 and waits for the connection goroutines. http.Server's
// Shutdown does not track hijacked connections, hence this method.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.HoldUpgrades(false) // held upgrades go on, to be refused
	s.CloseAll(1001, "server shutting down")
	s.wg.Wait()
}

// logf formats, redacts anything shaped like a token and forwards to
// Options.Logf.
func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf == nil {
		return
	}
	s.opts.Logf("%s", redact("kissserver: "+fmt.Sprintf(format, args...)))
}
