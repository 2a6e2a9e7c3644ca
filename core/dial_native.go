//go:build !js

package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// NativeDialer dials with coder/websocket, for Go programs and for the tests
// that run the whole state machine against the real server.
type NativeDialer struct {
	HTTPClient   *http.Client
	Header       http.Header   // e.g. Origin
	ReadLimit    int64         // largest frame accepted; default 1 MiB
	WriteTimeout time.Duration // per frame; default 10 s
}

// Dial opens the socket. A refused upgrade is reported as the browser
// reports it: a *CloseError with 1006 and no reason.
func (d NativeDialer) Dial(c Context, url string) (Conn, error) {
	ctx, cancel := StdContext(c)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: d.HTTPClient, HTTPHeader: d.Header})
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		if c.Err() != nil {
			// Not err: it quotes the URL, token included.
			return nil, fmt.Errorf("kiss.websocket: dial abandoned: %w", c.Err())
		}
		return nil, &CloseError{Code: CodeAbnormal}
	}
	limit := d.ReadLimit
	if limit <= 0 {
		limit = 1 << 20
	}
	ws.SetReadLimit(limit)
	wt := d.WriteTimeout
	if wt <= 0 {
		wt = 10 * time.Second
	}
	return &nativeConn{ws: ws, writeTimeout: wt, closeDone: make(chan struct{})}, nil
}

type nativeConn struct {
	ws           *websocket.Conn
	writeTimeout time.Duration
	closing      sync.Once
	closeStarted atomic.Bool
	aborted      atomic.Bool
	closeDone    chan struct{} // closed when our own closing handshake is over
	echo         *CloseError   // the close frame that ended it; nil if none
}

// Serve reads on its own goroutine until the socket ends.
func (n *nativeConn) Serve(h Handler) {
	go n.read(h)
}

func (n *nativeConn) read(h Handler) {
	var buf bytes.Buffer
	for {
		typ, r, err := n.ws.Reader(context.Background())
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			ce := closeErrorOf(err)
			if !ce.WasClean && n.closeStarted.Load() {
				// The goroutine of our own Close may have read the peer's
				// close frame, failing this read with ErrClosed: ask it.
				<-n.closeDone
				if n.echo != nil {
					ce = n.echo
				}
			}
			h.HandleClose(ce)
			n.ws.CloseNow()
			return
		}
		h.HandleFrame(typ == websocket.MessageText, buf.Bytes())
	}
}

// closeErrorOf reports a close frame exactly, and anything else (TCP reset,
// EOF) as 1006, as a browser does.
func closeErrorOf(err error) *CloseError {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return &CloseError{Code: int(ce.Code), Reason: ce.Reason, WasClean: true}
	}
	if errors.Is(err, websocket.ErrMessageTooBig) {
		// we closed it with 1009: a frame past ReadLimit (not a token matter)
		return &CloseError{Code: int(websocket.StatusMessageTooBig), Reason: "MESSAGE_TOO_BIG"}
	}
	return &CloseError{Code: CodeAbnormal}
}

func (n *nativeConn) WriteText(data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), n.writeTimeout)
	defer cancel()
	return n.ws.Write(ctx, websocket.MessageText, data)
}

// Close runs the handshake on its own goroutine: the caller may be the read
// goroutine itself (a close() from inside onmessage). Only the first call
// does anything, and none after Abort.
func (n *nativeConn) Close(code int, reason string) error {
	if n.aborted.Load() {
		return nil
	}
	n.closing.Do(func() {
		n.closeStarted.Store(true)
		go func() {
			defer close(n.closeDone)
			var ce websocket.CloseError
			switch err := n.ws.Close(websocket.StatusCode(code), reason); {
			case err == nil: // the peer echoed our code
				n.echo = &CloseError{Code: code, Reason: reason, WasClean: true}
			case errors.As(err, &ce):
				n.echo = &CloseError{Code: int(ce.Code), Reason: ce.Reason, WasClean: true}
			}
		}()
	})
	return nil
}

func (n *nativeConn) Ping() error { return n.WriteText(pingFrame) }

func (n *nativeConn) Abort() {
	n.aborted.Store(true)
	n.ws.CloseNow()
}

// StdContext is a context.Context that ends when ctx does (at once if it
// already has), for passing a dial's or a token check's Context to an API
// that takes a context.Context. Call cancel when done with it.
func StdContext(ctx Context) (context.Context, context.CancelFunc) {
	if c, ok := ctx.(context.Context); ok {
		return context.WithCancel(c)
	}
	std, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-ctx.Done():
			cancel()
		case <-std.Done():
		}
	}()
	return std, cancel
}
