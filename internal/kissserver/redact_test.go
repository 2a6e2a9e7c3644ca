//go:build !js

package kissserver_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/kissjs/kiss-websocket/internal/kissserver"
)

// logSink collects Logf output from the server's goroutines.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logSink) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func TestLogsNeverSeeAToken(t *testing.T) {
	t.Parallel()
	var sink logSink
	ts := start(t, kissserver.Options{Logf: sink.logf, MaxFrameBytes: 4096, Controls: true})

	st, body := ts.do(t, "POST", "/login", "", `{"username":"dev","password":"pw"}`)
	if st != http.StatusOK {
		t.Fatalf("login: %d", st)
	}
	sess := decode[sessionReply](t, body)
	tokens := []string{sess.Token, sess.RefreshToken}
	bad := strings.Repeat("0f", 32) // token-shaped, never issued
	tokens = append(tokens, bad)

	c := ts.mustDialToken(t, sess.Token)
	for _, frame := range []string{"ping", `{"channel":"x","token":"` + sess.Token + `"}`, "junk " + sess.Token} {
		sendText(t, c, frame)
	}
	recv(t, c)
	recv(t, c)
	_ = c.Write(ctx(t), websocket.MessageBinary, []byte(sess.Token))
	ts.refusedWith(t, bad, nil)
	ts.refusedWith(t, sess.Token, http.Header{"Origin": {"http://evil.example/?token=" + sess.Token}})
	ts.do(t, "GET", "/checkTokenValidity", bad, "")
	ts.ExpireToken(sess.Token)
	ts.refusedWith(t, sess.Token, nil)
	ts.do(t, "POST", "/refreshToken", "", `{"refreshToken":"`+bad+`"}`)
	_, body = ts.do(t, "POST", "/refreshToken", "", `{"refreshToken":"`+sess.RefreshToken+`"}`)
	fresh := decode[sessionReply](t, body)
	tokens = append(tokens, fresh.Token, fresh.RefreshToken)
	c2 := ts.mustDialToken(t, fresh.Token)
	errc := readErr(c2)
	_ = c2.Write(ctx(t), websocket.MessageText, []byte(strings.Repeat(fresh.Token, 100))) // over the limit
	<-errc
	ts.do(t, "POST", "/test/revoke?token="+fresh.Token, "", "")
	ts.do(t, "GET", "/logout", fresh.Token, "")
	errc = readErr(c)
	ts.CloseAll(4003, "bye")
	wantClose(t, errc, 4003, "bye")

	logs := sink.all()
	if !strings.Contains(logs, "refused") || !strings.Contains(logs, "open") {
		t.Fatalf("expected upgrade logs, got:\n%s", logs)
	}
	for _, tok := range tokens {
		if strings.Contains(logs, tok) {
			t.Fatalf("a token reached Logf:\n%s", logs)
		}
	}
}
