//go:build !js

package core_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// leakCheck fails the test when s holds the token, raw or URL-encoded.
type leakCheck struct {
	t     *testing.T
	forms []string
}

func newLeakCheck(t *testing.T, token string) leakCheck {
	return leakCheck{t: t, forms: []string{token, core.EscapeQuery(token)}}
}

func (l leakCheck) in(where string, s string) {
	l.t.Helper()
	for _, f := range l.forms {
		if strings.Contains(s, f) {
			l.t.Errorf("%s holds the token: %s", where, s)
		}
	}
}

func (l leakCheck) err(where string, err error) {
	l.t.Helper()
	if err != nil {
		l.in(where, err.Error())
		l.in(where+" (%+v)", fmt.Sprintf("%+v", err))
	}
}

// A socketUrl that carries a token must not put it in the config error a
// page would log.
func TestConfigErrorsNeverHoldTheToken(t *testing.T) {
	t.Parallel()
	const tok = "Secr3t+Tok/en=="
	leak := newLeakCheck(t, tok)
	c := core.New(core.Options{Dialer: core.NativeDialer{}, URL: func(core.Config) (string, error) { return "ws://127.0.0.1:1/", nil }})
	for _, u := range []string{
		"ftp://app.test/?token=" + tok,
		"wss://app.test/ ?token=" + tok,
		"?token=" + tok,
		"ws:///?token=" + tok,
	} {
		cfg := fast()
		cfg.SocketURL = u
		err := cfg.Validate()
		var ce *core.ConfigError
		if !errors.As(err, &ce) || ce.Field != "socketUrl" {
			t.Fatalf("%q: %v, want a socketUrl ConfigError", u, err)
		}
		leak.err("Validate", err)
		_, _, err = c.Start(cfg)
		leak.err("Start", err)
		_, err = core.Decode(map[string]any{"socketUrl": u})
		leak.err("Decode", err)
	}
	// A token pasted into any other field.
	for _, field := range []string{"socketUrl", "port", "sslPort", "connectTimeout", "reconnection", "heartbeat", "outbox", "onopen"} {
		_, err := core.Decode(map[string]any{field: map[string]any{"x": tok}})
		leak.err("Decode "+field, err)
		_, err = core.Decode(map[string]any{field: tok + " " + tok})
		leak.err("Decode "+field, err)
	}
	if err := c.Send([]byte(`{"token":"` + tok + `"}`)); !errors.Is(err, core.ErrSendBeforeInit) {
		t.Fatalf("Send before Start: %v", err)
	}
}

// The token reaches neither Options.Log, nor an error, a close, an event
// or the stats, on any path the client takes against the real server:
// malformed frames carrying it, a full outbox, a refused upgrade, a
// revoked token, a hung handshake, a URL callback that fails.
func TestTokenNeverLeaksFromTheClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token()
	leak := newLeakCheck(t, tok)
	rec := newRecorder()
	c := e.client(t, rec)
	cfg := fast()
	cfg.Outbox.MaxMessages = 1
	connected(t, c, rec, cfg)

	// Malformed frames that carry the token are dropped and logged.
	for _, f := range []struct {
		data   string
		binary bool
	}{{tok, true}, {"not json " + tok, false}, {`{"channel":1,"token":"` + tok + `"}`, false}, {`"` + tok, false}, {`[` + tok + `]`, false}} {
		e.srv.SendRaw(e.user, []byte(f.data), f.binary)
	}
	eventually(t, wait, "5 dropped frames", func() bool { return c.Stats().Dropped == 5 })

	// Outbox full while the server refuses: ErrOutboxFull.
	e.goDown()
	waitFor(t, rec, core.EventDisconnected, wait)
	leak.err("Send", c.Send([]byte(`{"channel":"a","token":"`+tok+`"}`)))
	err := c.Send([]byte(`{"channel":"b","token":"` + tok + `"}`))
	if !errors.Is(err, core.ErrOutboxFull) {
		t.Fatalf("second Send: %v, want ErrOutboxFull", err)
	}
	leak.err("Send", err)

	// Back, then the token is revoked and the connection cut: refused
	// upgrades (401), the check says unusable, the client stops.
	e.comeBack(t, rec)
	e.srv.RevokeToken(tok)
	e.srv.DropAll()
	waitFor(t, rec, core.EventUnusableToken, wait)
	leak.err("Close", c.Close())

	// A hung handshake, and a URL callback whose error holds the token.
	url := hungListener(t) + "?token=" + core.EscapeQuery(tok)
	for _, urlFn := range []func(core.Config) (string, error){
		func(core.Config) (string, error) { return url, nil },
		func(core.Config) (string, error) { return "", fmt.Errorf("no session for token %s", tok) },
	} {
		r2 := newRecorder()
		c2 := core.New(core.Options{Dialer: core.NativeDialer{}, URL: urlFn, OnEvent: r2.add, Log: r2.log})
		t.Cleanup(func() { shutdown(t, c2) })
		slow := fast()
		slow.ConnectTimeout, slow.Reconnection.MaxAttempts = 100*time.Millisecond, 1
		if r := result(t, start(t, c2, slow), wait); r != core.ResultFailed {
			t.Fatalf("attempt: %v", r)
		}
		waitFor(t, r2, core.EventConnectionLost, wait)
		for _, g := range r2.all() {
			leak.in("event", g.String())
			if g.Close != nil {
				leak.err("CloseError", g.Close)
			}
		}
		leak.in("Stats", fmt.Sprintf("%+v", c2.Stats()))
		leak.in("Log", strings.Join(r2.logLines(), "\n"))
	}

	logs := rec.logLines()
	if len(logs) != 5 {
		t.Fatalf("log lines %q, want one per dropped frame", logs)
	}
	leak.in("Log", strings.Join(logs, "\n"))
	for _, g := range rec.all() {
		if g.Kind == core.EventMessage {
			continue // the echo of what we sent: the page's own data
		}
		leak.in("event", g.String())
		if g.Close != nil {
			leak.err("CloseError", g.Close)
		}
	}
	leak.in("Stats", fmt.Sprintf("%+v", c.Stats()))
}

// NativeDialer is public: a Go program may log what Dial returns, so its
// errors must not repeat the URL's token either.
func TestNativeDialErrorsNeverHoldTheToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token()
	leak := newLeakCheck(t, tok)
	d := core.NativeDialer{HTTPClient: e.hc}
	q := "/?token=" + core.EscapeQuery(tok)

	e.srv.RevokeToken(tok)
	_, err := d.Dial(context.Background(), "ws://"+e.host+q) // 401
	leak.err("Dial refused", err)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = d.Dial(ctx, hungListener(t)+q) // hangs until ctx ends
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial to a hung listener: %v, want the context's error", err)
	}
	leak.err("Dial timed out", err)

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err = d.Dial(ctx, "ws://"+e.host+q)
	leak.err("Dial cancelled", err)

	_, err = d.Dial(context.Background(), closedPort(t)+q) // connection refused
	leak.err("Dial refused connection", err)
}

// A socket URL that carries no token (a third-party feed) makes a 1006 a
// network failure: the checker, which would offer the token, is never asked.
// The same outage on the default URL is checked once, with its URL.
func TestTokenCheckOnlyForAURLThatCarriesTheToken(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		socketURL string
		checks    int32
	}{{"", 1}, {"ws://feed.example/?token=", 1}, {"ws://feed.example/stream", 0}} {
		e := newEnv(t)
		rec := newRecorder()
		var asked []string
		var mu sync.Mutex
		cl := e.client(t, rec, func(o *core.Options) {
			inner := o.CheckToken
			o.CheckToken = func(ctx core.Context, url string) core.TokenStatus {
				mu.Lock()
				asked = append(asked, url)
				mu.Unlock()
				return inner(ctx, url)
			}
		})
		cfg := fast()
		cfg.SocketURL = c.socketURL // e.url dials the real server whatever it says
		connected(t, cl, rec, cfg)
		e.srv.RefuseUpgrades(403, 0)
		e.srv.DropAll()
		expect(t, rec, wait, core.EventClose, core.EventDisconnected, core.EventReconnecting, core.EventClose)
		e.srv.RefuseUpgrades(0, 0)
		waitFor(t, rec, core.EventReconnected, wait)
		mu.Lock()
		got := append([]string(nil), asked...)
		mu.Unlock()
		if int32(len(got)) != c.checks || e.checks.Load() != c.checks {
			t.Fatalf("socketUrl %q: %d token checks, want %d", c.socketURL, len(got), c.checks)
		}
		if len(got) == 1 && !strings.Contains(got[0], "token=") {
			t.Fatalf("socketUrl %q: checked with %q, not the attempt's URL", c.socketURL, got[0])
		}
	}
}
