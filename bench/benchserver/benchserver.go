//go:build !js

package benchserver

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/kissjs/kiss-websocket/internal/kissserver"
)

// Limits of the bench endpoints, so a typo cannot pin the dev server.
const (
	MaxBenchFrames    = 10_000_000
	MaxBenchFrameSize = 64 << 10
	minBenchFrameSize = len(`{"channel":"bench","seq":"0000000000","pad":""}`)
	// benchBatchBytes is how much a push collects before one write to the
	// network: about 650 frames of 100 bytes per system call.
	benchBatchBytes = 64 << 10
)

// echoPrefix marks the frames a bench socket sends back: what
// JSON.stringify makes of {channel: "echo", ...}.
var echoPrefix = []byte(`{"channel":"echo"`)

// Bench serves the endpoints `make bench` drives, in front of next (the
// KissJS server), all under /bench/:
//
//	/bench/ws?id=ID                       a bench socket (WebSocket upgrade)
//	POST /bench/push?id=ID&n=N&size=B     push N frames of B bytes to it
//	GET  /bench/count?id=ID               {"frames","bytes"} it has received
//	/bench/cached/*                       Cached's files (the loader's), cached for a year
//	/bench/*                              static, the bench page
//
// A bench socket answers "ping" with "pong", sends back every frame that
// starts with {"channel":"echo" (as the KissJS server echoes to the sender)
// and counts the others. Unlike the KissJS socket it keeps no copy of what
// it receives and checks no token, so the server costs as little as
// possible next to the browser being measured.
type Bench struct {
	next, static http.Handler

	// Cached, when set, serves the loader's files under /bench/cached/ (the
	// prefix stripped) as a versioned directory is served in production:
	// Cache-Control: public, max-age=31536000, immutable, so a second visit
	// takes them from the cache without asking.
	Cached http.Handler

	mu     sync.Mutex
	socks  map[string]*benchSock
	closed bool
	wg     sync.WaitGroup
}

// NewBench serves the bench endpoints and hands every other path to next;
// static serves the bench page (request paths keep their /bench prefix
// stripped) with the headers that make it cross-origin isolated, which
// gives performance.now() 5 us resolution instead of 100 us.
func NewBench(next, static http.Handler) *Bench {
	return &Bench{next: next, static: http.StripPrefix("/bench", static), socks: make(map[string]*benchSock)}
}

// ServeHTTP routes /bench/* and passes everything else to next.
func (b *Bench) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == "/bench/ws":
		b.serveSocket(w, r)
	case p == "/bench/push":
		b.handlePush(w, r)
	case p == "/bench/count":
		b.handleCount(w, r)
	case b.Cached != nil && strings.HasPrefix(p, "/bench/cached/"):
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimPrefix(p, "/bench/cached")
		r2.URL.RawPath = ""
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		b.Cached.ServeHTTP(w, r2)
	case strings.HasPrefix(p, "/bench/"):
		h := w.Header()
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
		b.static.ServeHTTP(w, r)
	default:
		b.next.ServeHTTP(w, r)
	}
}

// Close ends every bench socket with 1001 and waits for their goroutines.
func (b *Bench) Close() {
	b.mu.Lock()
	b.closed = true
	var open []*benchSock
	for _, s := range b.socks {
		if s.ws != nil { // nil: still upgrading, and it will see closed
			open = append(open, s)
		}
	}
	b.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range open {
		wg.Go(func() {
			s.out.batch(false)
			_ = s.ws.Close(websocket.StatusGoingAway, "server shutting down")
		})
	}
	wg.Wait()
	b.wg.Wait()
}

// benchSock is one open bench socket.
type benchSock struct {
	ready  chan struct{} // closed once ws is set (or the upgrade failed)
	ws     *websocket.Conn
	out    *batchConn
	frames atomic.Int64
	bytes  atomic.Int64
	push   sync.Mutex // one push at a time
}

func (b *Bench) serveSocket(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if id == "" || !kissserver.IsUpgrade(r) {
		kissserver.HTTPError(w, http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	if b.closed || b.socks[id] != nil {
		b.mu.Unlock()
		kissserver.HTTPError(w, http.StatusConflict)
		return
	}
	b.wg.Add(1)
	defer b.wg.Done()
	s := &benchSock{ready: make(chan struct{})}
	b.socks[id] = s // reserved: a second upgrade with this id gets 409
	b.mu.Unlock()
	var once sync.Once
	ready := func() { once.Do(func() { close(s.ready) }) }
	defer func() {
		b.mu.Lock()
		delete(b.socks, id)
		b.mu.Unlock()
		ready()
	}()

	hj := &batchHijacker{ResponseWriter: w}
	ws, err := websocket.Accept(hj, r, nil)
	if err != nil {
		return // Accept has answered
	}
	defer ws.CloseNow()
	b.mu.Lock()
	s.ws, s.out = ws, hj.conn
	closed := b.closed
	b.mu.Unlock()
	ready()
	if closed {
		_ = ws.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	ws.SetReadLimit(kissserver.DefaultMaxFrameBytes)
	s.read()
}

// read counts frames and answers pings and echoes until the socket ends.
func (s *benchSock) read() {
	ctx := context.Background() // a cancellable context costs a goroutine hop per write
	var buf bytes.Buffer
	for {
		typ, rd, err := s.ws.Reader(ctx)
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(rd)
		}
		if err != nil {
			return
		}
		data := buf.Bytes()
		switch {
		case typ == websocket.MessageText && string(data) == "ping":
			err = s.ws.Write(ctx, typ, []byte("pong"))
		default:
			s.frames.Add(1)
			s.bytes.Add(int64(len(data)))
			if bytes.HasPrefix(data, echoPrefix) {
				err = s.ws.Write(ctx, typ, data)
			}
		}
		if err != nil {
			return
		}
	}
}

// sock returns the open socket registered as id, or nil. A socket whose
// upgrade is still being accepted is waited for: the client sees it open
// (the 101 is written) before the server has registered it, and a push it
// sends at once must not get a 404.
func (b *Bench) sock(ctx context.Context, id string) *benchSock {
	b.mu.Lock()
	s := b.socks[id]
	b.mu.Unlock()
	if s == nil {
		return nil
	}
	select {
	case <-s.ready:
	case <-ctx.Done():
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.socks[id] == s && s.ws != nil {
		return s
	}
	return nil
}

// handlePush writes n frames of size bytes, each
// {"channel":"bench","seq":"0000000042","pad":"xx…"}, and answers once the
// last one is handed to the network. The frames go through
// coder/websocket one message per frame, but the connection under it
// collects them into 64 KiB writes: the server stays far ahead of any
// browser (several hundred thousand frames/s on one core).
func (b *Bench) handlePush(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		kissserver.HTTPError(w, http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	n, err1 := strconv.Atoi(q.Get("n"))
	size, err2 := strconv.Atoi(q.Get("size"))
	if q.Get("size") == "" {
		size, err2 = 100, nil
	}
	if err1 != nil || err2 != nil || n < 1 || n > MaxBenchFrames || size < minBenchFrameSize || size > MaxBenchFrameSize {
		kissserver.HTTPError(w, http.StatusBadRequest)
		return
	}
	s := b.sock(r.Context(), q.Get("id"))
	if s == nil {
		kissserver.HTTPError(w, http.StatusNotFound)
		return
	}
	start := time.Now()
	sent, err := s.pushFrames(n, size)
	reply := map[string]any{"sent": sent, "ms": float64(time.Since(start).Microseconds()) / 1000}
	if err != nil {
		reply["error"] = "socket closed"
	}
	kissserver.WriteJSON(w, http.StatusOK, reply)
}

// pushFrames writes n frames and returns how many were written.
func (s *benchSock) pushFrames(n, size int) (int, error) {
	s.push.Lock()
	defer s.push.Unlock()
	frame := BenchFrame(0, size)
	seq := bytes.Index(frame, []byte(`"seq":"`)) + len(`"seq":"`)
	s.out.batch(true)
	defer s.out.batch(false)
	ctx := context.Background()
	for i := range n {
		putSeq(frame[seq:seq+10], i)
		if err := s.ws.Write(ctx, websocket.MessageText, frame); err != nil {
			return i, err
		}
	}
	return n, nil
}

// BenchFrame is the frame number seq of a push, padded to size bytes
// (at least the 47 bytes of an empty pad).
func BenchFrame(seq, size int) []byte {
	f := []byte(`{"channel":"bench","seq":"0000000000","pad":"`)
	putSeq(f[len(f)-19:len(f)-9], seq)
	for len(f) < size-2 {
		f = append(f, 'x')
	}
	return append(f, '"', '}')
}

// putSeq writes seq as 10 decimal digits.
func putSeq(dst []byte, seq int) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + seq%10)
		seq /= 10
	}
}

func (b *Bench) handleCount(w http.ResponseWriter, r *http.Request) {
	s := b.sock(r.Context(), r.URL.Query().Get("id"))
	if s == nil {
		kissserver.HTTPError(w, http.StatusNotFound)
		return
	}
	kissserver.WriteJSON(w, http.StatusOK, map[string]int64{"frames": s.frames.Load(), "bytes": s.bytes.Load()})
}

// batchHijacker hands coder/websocket a connection that can batch writes.
type batchHijacker struct {
	http.ResponseWriter
	conn *batchConn
}

func (h *batchHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil { // nothing is pending, but be sure
		c.Close()
		return nil, nil, err
	}
	h.conn = &batchConn{Conn: c}
	return h.conn, bufio.NewReadWriter(brw.Reader, bufio.NewWriter(h.conn)), nil
}

// batchConn writes through at once, except while a push runs: then it
// collects writes (coder/websocket flushes after every frame) and sends
// them benchBatchBytes at a time. coder/websocket serialises frame writes,
// and mu covers the final flush racing with an echo.
type batchConn struct {
	net.Conn
	mu      sync.Mutex
	batched bool
	buf     []byte
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.batched {
		return c.Conn.Write(p)
	}
	c.buf = append(c.buf, p...)
	if len(c.buf) >= benchBatchBytes {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// batch turns batching on or off; off flushes what was collected.
func (c *batchConn) batch(on bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batched = on
	if !on {
		_ = c.flushLocked()
	}
}

func (c *batchConn) flushLocked() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	c.buf = c.buf[:0]
	return err
}
