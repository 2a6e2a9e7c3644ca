//go:build !js

package kissserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kissjs/kiss-websocket/internal/kissserver"
	"github.com/kissjs/kiss-websocket/internal/testhttp"
)

// testServer is a kissserver.Server on a real loopback listener.
type testServer struct {
	*kissserver.Server
	hs  *httptest.Server
	URL string // http://127.0.0.1:PORT
}

// start serves a new Server; cleanup closes it before the listener, and
// sockets dialled later are closed before both.
func start(t *testing.T, opts kissserver.Options) *testServer {
	t.Helper()
	srv := kissserver.New(opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, hs: hs, URL: hs.URL}
}

// ctx returns a context that bounds one test's network waits.
func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

// dial opens a socket with token and optional extra headers.
func (ts *testServer) dial(t *testing.T, token string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(ts.URL, "http") + "/?token=" + url.QueryEscape(token)
	c, resp, err := websocket.Dial(ctx(t), u, &websocket.DialOptions{HTTPClient: ts.hs.Client(), HTTPHeader: hdr})
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if c != nil {
		t.Cleanup(func() { _ = c.CloseNow() })
	}
	return c, resp, err
}

// mustDial opens a socket for a fresh login of user.
func (ts *testServer) mustDial(t *testing.T, user string) *websocket.Conn {
	t.Helper()
	return ts.mustDialToken(t, ts.Login(user).Token)
}

func (ts *testServer) mustDialToken(t *testing.T, token string) *websocket.Conn {
	t.Helper()
	c, _, err := ts.dial(t, token, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return c
}

// refusedWith dials and returns the HTTP status of the refused upgrade.
func (ts *testServer) refusedWith(t *testing.T, token string, hdr http.Header) int {
	t.Helper()
	c, resp, err := ts.dial(t, token, hdr)
	if err == nil {
		_ = c.CloseNow()
		t.Fatal("upgrade accepted, want refused")
	}
	if resp == nil {
		t.Fatalf("no HTTP response: %v", err)
	}
	return resp.StatusCode
}

// refusedForAWhile calls refuse(d), which must refuse upgrades with want
// for d, and checks that an upgrade made halfway through is refused and one
// made once it is over is accepted. A loaded machine may take longer than d
// to dial: an upgrade accepted after d (measured from before refuse) proves
// nothing, so d doubles and it tries again; one accepted before d is over
// fails at once.
func (ts *testServer) refusedForAWhile(t *testing.T, token string, want int, d time.Duration, refuse func(time.Duration)) {
	t.Helper()
	for ; ; d *= 2 {
		if d > 10*time.Second {
			t.Fatal("no upgrade reached the server within a refusal of 10 s")
		}
		begun := time.Now()
		refuse(d)
		time.Sleep(time.Until(begun.Add(d / 2)))
		c, resp, err := ts.dial(t, token, nil)
		inside := time.Since(begun) < d
		if err == nil {
			_ = c.CloseNow()
			if inside {
				t.Fatalf("upgrade accepted %v into a refusal of %v", time.Since(begun), d)
			}
			continue
		}
		if resp == nil {
			t.Fatalf("no HTTP response: %v", err)
		}
		if resp.StatusCode != want {
			t.Fatalf("refused with %d, want %d", resp.StatusCode, want)
		}
		time.Sleep(time.Until(begun.Add(d + 50*time.Millisecond)))
		ts.mustDialToken(t, token)
		return
	}
}

// do sends an HTTP request and returns status and body.
func (ts *testServer) do(t *testing.T, method, path, bearer, body string) (int, string) {
	t.Helper()
	var h map[string]string
	if bearer != "" {
		h = map[string]string{"Authorization": "Bearer " + bearer}
	}
	return ts.sendReq(t, testhttp.Request(t, method, ts.URL+path, body, h))
}

// answer sends req and returns the response and its body.
func answer(t *testing.T, ts *testServer, req *http.Request) (*http.Response, string) {
	t.Helper()
	return testhttp.Do(t, ts.hs.Client(), req)
}

// sendReq sends req and returns status and body.
func (ts *testServer) sendReq(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, body := answer(t, ts, req)
	return resp.StatusCode, body
}

// sendText writes a text frame.
func sendText(t *testing.T, c *websocket.Conn, text string) {
	t.Helper()
	if err := c.Write(ctx(t), websocket.MessageText, []byte(text)); err != nil {
		t.Fatalf("write %q: %v", text, err)
	}
}

// recv reads one text frame.
func recv(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	typ, b, err := c.Read(ctx(t))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageText {
		t.Fatalf("read %v frame, want text", typ)
	}
	return string(b)
}

// readErr reads in the background and delivers the error that ends the
// socket, skipping data frames.
func readErr(c *websocket.Conn) <-chan error {
	ch := make(chan error, 1)
	go func() {
		for {
			if _, _, err := c.Read(context.Background()); err != nil {
				ch <- err
				return
			}
		}
	}()
	return ch
}

// wantClose waits for the socket to end with code and reason.
func wantClose(t *testing.T, errc <-chan error, code websocket.StatusCode, reason string) {
	t.Helper()
	select {
	case err := <-errc:
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code || ce.Reason != reason {
			t.Fatalf("socket ended with %v, want close %d %q", err, code, reason)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("socket still open")
	}
}

// silent asserts that nothing arrives on c within d. It spends the socket:
// the timed-out read closes it, as coder/websocket does on a cancelled read.
func silent(t *testing.T, c *websocket.Conn, d time.Duration) {
	t.Helper()
	rctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if typ, b, err := c.Read(rctx); err == nil {
		t.Fatalf("got %v frame %q, want nothing within %v", typ, b, d)
	}
}

// decode parses a JSON body.
func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return v
}

// eventually polls cond for up to 2 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
