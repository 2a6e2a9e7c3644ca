//go:build !js

package kissserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// CodeTooManySockets is KissJS's close code for a socket beyond the limit
// of sockets per user.
const CodeTooManySockets websocket.StatusCode = 4002

// writeTimeout bounds each frame written to a client, so one client that
// stopped reading cannot hold up delivery to the others for long.
const writeTimeout = 5 * time.Second

// serveWebSocket checks the refusal state and the token before upgrading,
// because a browser only ever reports a refused upgrade as 1006: KissJS
// then asks /checkTokenValidity why.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	s.waitHold(r.Context())
	if status := s.refusedWith(); status != 0 {
		s.logf("upgrade from %s refused: %d (controls or shutdown)", r.RemoteAddr, status)
		HTTPError(w, status)
		return
	}
	st, user := s.tokens.check(r.URL.Query().Get("token"))
	if st != tokenValid {
		s.logf("upgrade from %s refused: 401 (token %s)", r.RemoteAddr, stateName(st))
		HTTPError(w, http.StatusUnauthorized)
		return
	}
	ticket, ok := s.beginUpgrade(user)
	if !ok {
		HTTPError(w, http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()

	sw := &statusWriter{ResponseWriter: w}
	ws, err := websocket.Accept(sw, r, &websocket.AcceptOptions{OriginPatterns: s.opts.OriginPatterns})
	if err != nil { // Accept has answered
		s.register(ticket, user, nil)
		if sw.status == http.StatusForbidden {
			// The browser only sees a failed socket: the log has to say why.
			s.logf("upgrade from %s refused: 403, %s", r.RemoteAddr, foreignOrigin(r))
		} else {
			s.logf("upgrade from %s failed: %v", r.RemoteAddr, err)
		}
		return
	}
	ws.SetReadLimit(s.opts.MaxFrameBytes) // before register: no frame is read yet
	c := s.register(ticket, user, ws)
	if c == nil {
		_ = ws.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	if c.tooMany {
		s.logf("conn %d (user %q) from %s closed: 4002, over the limit of sockets per user", c.id, user, r.RemoteAddr)
		_ = ws.Close(CodeTooManySockets, "TOO_MANY_SOCKETS")
		return
	}
	s.logf("conn %d (user %q) open from %s", c.id, user, r.RemoteAddr)
	s.readLoop(c)
	// Ends the socket unless a control already does; 1011 only reaches a
	// client whose socket failed without a close frame having been sent.
	c.shut(func(ws *websocket.Conn) { _ = ws.Close(websocket.StatusInternalError, "") })
	s.unregister(c)
}

// foreignOrigin explains a 403 for an Origin that is neither the request's
// host nor allowed by OriginPatterns (the dev server's -origin flag), and
// names the pattern that would allow it. Only the Origin's scheme and host
// are repeated, never a path or query.
func foreignOrigin(r *http.Request) string {
	u, err := url.Parse(r.Header.Get("Origin"))
	if err != nil || u.Host == "" {
		return "the page's Origin names no host that -origin could allow (a sandboxed frame or a file: page sends \"null\"): serve the page over http(s)"
	}
	// Patterns are path.Match patterns: an IPv6 host's brackets need escaping.
	literal := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`).Replace
	also := ""
	if port := u.Port(); port != "" {
		also = fmt.Sprintf(", or '%s:*' for any port", literal(strings.TrimSuffix(u.Host, ":"+port)))
	}
	return fmt.Sprintf("the page's Origin %s://%s is not this server's host %q and matches no -origin pattern: "+
		"start the dev server with -origin '%s'%s (repeatable, comma-separated)",
		u.Scheme, u.Host, r.Host, literal(u.Host), also)
}

// statusWriter remembers the status an http.ResponseWriter was given;
// Unwrap lets websocket.Accept reach the connection to hijack.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func stateName(st tokenState) string {
	if st == tokenExpired {
		return "expired"
	}
	return "unknown or revoked"
}

// readLoop reads frames until the socket ends. While the server is stalled
// it neither reads nor answers, like a hung peer: a frame read just as the
// stall began is held until it ends.
func (s *Server) readLoop(c *conn) {
	ctx := context.Background() // cancelling a Read's context kills the socket
	for s.waitStall(c) {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			s.logf("conn %d closed: %v", c.id, describeClose(err))
			return
		}
		if !s.waitStall(c) {
			return
		}
		s.handleFrame(ctx, c, typ, data)
	}
}

// describeClose keeps the log short: the close code when there is one.
func describeClose(err error) string {
	if code := websocket.CloseStatus(err); code != -1 {
		return fmt.Sprintf("close code %d", int(code))
	}
	return err.Error()
}

// handleFrame answers "ping", delivers channel messages and drops the rest.
func (s *Server) handleFrame(ctx context.Context, c *conn, typ websocket.MessageType, data []byte) {
	if typ != websocket.MessageText {
		s.count(func() { c.ignored++ })
		s.logf("conn %d: ignored binary frame (%d bytes)", c.id, len(data))
		return
	}
	if string(data) == "ping" {
		s.count(func() { c.pings++ })
		s.write(ctx, c, []byte("pong"))
		return
	}
	s.record(c, string(data))
	if !hasChannel(data) {
		s.count(func() { c.ignored++ })
		s.logf("conn %d: ignored text frame without a string channel (%d bytes)", c.id, len(data))
		return
	}
	s.write(ctx, c, data) // echo first, as KissJS's own server does
	for _, o := range s.openConns(c.user) {
		if o != c {
			s.write(ctx, o, data)
		}
	}
}

// hasChannel reports whether data is a JSON object with a string channel.
func hasChannel(data []byte) bool {
	var m struct {
		Channel *string `json:"channel"`
	}
	return json.Unmarshal(data, &m) == nil && m.Channel != nil
}

// write sends one text frame and reports success. Failures are only
// logged: a failed write means that socket is ending, which its own reader
// handles.
func (s *Server) write(ctx context.Context, c *conn, data []byte) bool {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, data); err != nil {
		s.logf("conn %d: write failed: %v", c.id, err)
		return false
	}
	return true
}
