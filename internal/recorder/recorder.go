//go:build !js

// Package recorder is a loopback HTTP and WebSocket server that plays a
// third-party origin in the browser tests of token safety. It records every
// request it gets (preflights and upgrades included) with its URI, headers
// and body, and every text frame its sockets receive, and it lets everything
// through: CORS is open to any origin and any header, so a leaked token
// actually arrives and shows up in the record instead of being stopped by a
// preflight the test never sees.
package recorder

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// maxBody bounds how much of a request body is kept: a token is short, and
// a test page posting megabytes should not balloon the record.
const maxBody = 1 << 20

// writeTimeout bounds one frame written to a socket, so a client that
// stopped reading cannot hold up Push for long.
const writeTimeout = 5 * time.Second

// Request is one request as the recorder received it.
type Request struct {
	Method string `json:"method"`
	// URI is the request target exactly as sent: path and raw query.
	URI string `json:"uri"`
	// Headers holds every header, Host included (net/http moves it out of
	// the header map, but a token could hide there as well as anywhere).
	Headers map[string][]string `json:"headers"`
	// Body is the first maxBody bytes of the body; "" for none.
	Body string `json:"body"`
}

// Recorder is the server. Its zero value is not usable; call New.
type Recorder struct {
	ln     net.Listener
	hs     *http.Server
	served chan struct{} // closed when Serve has returned

	mu       sync.Mutex
	requests []Request
	frames   []string
	sockets  map[*websocket.Conn]struct{}
	pending  int        // upgrades between the 101 answer and sockets
	settled  *sync.Cond // signalled as pending falls
	refuse   bool
	closed   bool
	handlers sync.WaitGroup // every running handler, sockets included
}

// New listens on a free loopback port and serves until Close.
func New() (*Recorder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	rec := &Recorder{ln: ln, served: make(chan struct{}), sockets: map[*websocket.Conn]struct{}{}}
	rec.settled = sync.NewCond(&rec.mu)
	rec.hs = &http.Server{Handler: http.HandlerFunc(rec.handle), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(rec.served)
		_ = rec.hs.Serve(ln) // ends with http.ErrServerClosed on Close
	}()
	return rec, nil
}

// URL is http://127.0.0.1:PORT; the same host and port serve WebSockets.
func (rec *Recorder) URL() string { return "http://" + rec.ln.Addr().String() }

// Close stops listening, drops every socket without a close frame (a
// handshake would wait on clients that may never answer) and returns once
// every handler has ended.
func (rec *Recorder) Close() {
	rec.mu.Lock()
	rec.closed = true
	rec.mu.Unlock()
	rec.DropAll()
	_ = rec.hs.Close() // plain connections; hijacked ones went with DropAll
	<-rec.served
	rec.handlers.Wait()
}

// Requests returns a copy of the record, oldest first.
func (rec *Recorder) Requests() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := make([]Request, len(rec.requests))
	for i, r := range rec.requests {
		r.Headers = http.Header(r.Headers).Clone()
		out[i] = r
	}
	return out
}

// Frames returns a copy of the text frames the sockets received, in order.
func (rec *Recorder) Frames() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string{}, rec.frames...)
}

// Reset forgets the requests and frames recorded so far; open sockets stay.
func (rec *Recorder) Reset() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.requests, rec.frames = nil, nil
}

// Refuse makes upgrades fail with 403 while on, which a browser reports as
// close 1006 with an empty reason.
func (rec *Recorder) Refuse(on bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.refuse = on
}

// Sockets counts the open WebSockets.
func (rec *Recorder) Sockets() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.waitSettled()
	return len(rec.sockets)
}

// waitSettled waits, with mu held, for upgrades in flight: a client sees
// the 101 answer before Accept returns, so a test that dials and at once
// asks for Sockets, Push or DropAll must still find its socket.
func (rec *Recorder) waitSettled() {
	for rec.pending > 0 {
		rec.settled.Wait()
	}
}

// DropAll cuts every open socket's TCP connection without a close frame
// (CloseNow closes the connection with no handshake), so the browser sees
// 1006 with an empty reason. Sockets is 0 when it returns.
func (rec *Recorder) DropAll() {
	for _, ws := range rec.take(true) {
		_ = ws.CloseNow()
	}
}

// Push sends text to every open socket and reports how many it reached.
func (rec *Recorder) Push(text string) int {
	reached := 0
	for _, ws := range rec.take(false) {
		if write(ws, []byte(text)) == nil {
			reached++
		}
	}
	return reached
}

// take lists the open sockets, forgetting them if remove.
func (rec *Recorder) take(remove bool) []*websocket.Conn {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.waitSettled()
	out := make([]*websocket.Conn, 0, len(rec.sockets))
	for ws := range rec.sockets {
		out = append(out, ws)
		if remove {
			delete(rec.sockets, ws)
		}
	}
	return out
}

// handle records r and answers it: upgrade, preflight, or "{}".
func (rec *Recorder) handle(w http.ResponseWriter, r *http.Request) {
	if !rec.begin() {
		http.Error(w, "recorder closed", http.StatusServiceUnavailable)
		return
	}
	defer rec.handlers.Done()
	rec.record(r)
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	switch {
	case isUpgrade(r):
		rec.serveSocket(w, r)
	case r.Method == http.MethodOptions:
		allow := r.Header.Get("Access-Control-Request-Headers")
		if allow == "" {
			allow = "*"
		}
		h.Set("Access-Control-Allow-Headers", allow)
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		// Chrome asks before a page reaches a more private address.
		if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
			h.Set("Access-Control-Allow-Private-Network", "true")
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		h.Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	}
}

// begin counts a handler in, unless the recorder is closed: Close waits
// only for handlers that began before it.
func (rec *Recorder) begin() bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.closed {
		return false
	}
	rec.handlers.Add(1)
	return true
}

func (rec *Recorder) record(r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody)) // a short read still shows what came
	headers := r.Header.Clone()
	headers["Host"] = []string{r.Host}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.requests = append(rec.requests, Request{Method: r.Method, URI: r.RequestURI, Headers: headers, Body: string(body)})
}

// isUpgrade reports whether r asks for a WebSocket; Accept checks the rest.
func isUpgrade(r *http.Request) bool {
	return strings.Contains(strings.ToLower(strings.Join(r.Header.Values("Upgrade"), ",")), "websocket")
}

// serveSocket accepts any origin (the recorder is somebody else's feed),
// then echoes each text frame, answering "ping" with "pong".
func (rec *Recorder) serveSocket(w http.ResponseWriter, r *http.Request) {
	if !rec.beginUpgrade() {
		http.Error(w, "upgrade refused", http.StatusForbidden)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil { // Accept has answered
		rec.endUpgrade(nil)
		return
	}
	defer ws.CloseNow() // the hijacked connection is ours to close
	if !rec.endUpgrade(ws) {
		return
	}
	defer rec.remove(ws)
	ctx := context.Background() // cancelling a Read's context kills the socket
	for {
		typ, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			continue
		}
		rec.frame(string(data))
		if string(data) == "ping" {
			data = []byte("pong")
		}
		if write(ws, data) != nil {
			return
		}
	}
}

// beginUpgrade counts an upgrade in flight; false while refusing.
func (rec *Recorder) beginUpgrade() bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !rec.refuse {
		rec.pending++
	}
	return !rec.refuse
}

// endUpgrade ends an upgrade in flight, registering ws (nil: Accept
// failed); false when ws is not to be served.
func (rec *Recorder) endUpgrade(ws *websocket.Conn) bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.pending--
	rec.settled.Broadcast()
	if ws == nil || rec.closed {
		return false
	}
	rec.sockets[ws] = struct{}{}
	return true
}

func (rec *Recorder) remove(ws *websocket.Conn) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	delete(rec.sockets, ws)
}

func (rec *Recorder) frame(text string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.frames = append(rec.frames, text)
}

func write(ws *websocket.Conn, data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	return ws.Write(ctx, websocket.MessageText, data)
}
