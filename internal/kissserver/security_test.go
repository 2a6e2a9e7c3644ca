//go:build !js

package kissserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kissjs/kiss-websocket/internal/kissserver"
)

// Refusals answer with a plain status text: none repeats the token it was
// given, in its body or its headers.
func TestRefusalsNeverEchoTheToken(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	sess := ts.Login("dev")
	bad := strings.Repeat("c0", 32) // token-shaped, never issued
	revoked := ts.Login("dev")
	ts.RevokeToken(revoked.Token)
	check := func(what string, resp *http.Response, body string, tokens ...string) {
		t.Helper()
		for _, tok := range tokens {
			if strings.Contains(body, tok) || strings.Contains(strings.Join(headerLines(resp), "\n"), tok) {
				t.Errorf("%s: the answer repeats the token:\n%v\n%s", what, resp.Header, body)
			}
		}
	}
	for _, tok := range []string{bad, revoked.Token} {
		_, resp, err := ts.dial(t, tok, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("upgrade with a bad token: %v %v", resp, err)
		}
		check("refused upgrade", resp, "", tok)

		req, _ := http.NewRequestWithContext(ctx(t), "GET", ts.URL+"/checkTokenValidity", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, body := answer(t, ts, req)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("check of a bad token: %d", resp.StatusCode)
		}
		check("token check", resp, body, tok)

		req, _ = http.NewRequestWithContext(ctx(t), "POST", ts.URL+"/refreshToken", strings.NewReader(`{"refreshToken":"`+tok+`"}`))
		resp, body = answer(t, ts, req)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("refresh with a bad token: %d", resp.StatusCode)
		}
		check("refresh", resp, body, tok)
	}
	// The good token's refusal for a foreign origin does not repeat it either.
	_, resp, err := ts.dial(t, sess.Token, http.Header{"Origin": {"http://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v %v", resp, err)
	}
	check("foreign origin", resp, "", sess.Token)
}

func headerLines(resp *http.Response) []string {
	var out []string
	for k, vs := range resp.Header {
		out = append(out, k+": "+strings.Join(vs, ", "))
	}
	return out
}

// Only the page's own host and the configured patterns may open a socket:
// a page elsewhere must not ride on a token it got hold of. Browsers send
// "null" from sandboxed frames and file: pages.
func TestForeignOriginsAreRefused(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{OriginPatterns: []string{"app.example"}})
	tok := ts.Login("dev").Token
	host := strings.TrimPrefix(ts.URL, "http://")
	for _, origin := range []string{
		"http://evil.example",
		"null",
		"http://app.example.evil.example",
		"http://evil-app.example",
		"http://" + host + ".evil.example",
		"http://127.0.0.2:" + strings.Split(host, ":")[1],
		"file://",
	} {
		if got := ts.refusedWith(t, tok, http.Header{"Origin": {origin}}); got != http.StatusForbidden {
			t.Errorf("origin %q: %d, want 403", origin, got)
		}
	}
	for _, origin := range []string{"http://app.example", "https://app.example", ts.URL} {
		if _, _, err := ts.dial(t, tok, http.Header{"Origin": {origin}}); err != nil {
			t.Errorf("origin %q refused: %v", origin, err)
		}
	}
	if n := ts.Upgrades(""); n != 3 {
		t.Errorf("%d upgrades, want 3", n)
	}
}

// Without MaxFrameBytes a frame over 1 MiB still ends the socket with 1009,
// before the server buffers more of it.
func TestDefaultFrameLimitClosesWith1009(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	c := ts.mustDial(t, "dev")
	c.SetReadLimit(1 << 22)
	errc := readErr(c)
	at := `{"channel":"big","pad":"`
	ok := at + strings.Repeat("x", kissserver.DefaultMaxFrameBytes-len(at)-2) + `"}`
	sendText(t, c, ok) // exactly the limit: accepted and echoed
	eventually(t, "the frame at the limit", func() bool { return len(ts.Received("dev")) == 1 })
	_ = c.Write(ctx(t), websocket.MessageText, []byte(ok+" ")) // one byte over
	select {
	case err := <-errc:
		if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
			t.Fatalf("socket ended with %v, want 1009", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("socket still open")
	}
	if n := len(ts.Received("dev")); n != 1 {
		t.Fatalf("%d frames received, want only the one at the limit", n)
	}
}
