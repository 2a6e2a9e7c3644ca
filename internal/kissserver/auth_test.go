//go:build !js

package kissserver_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/kissjs/kiss-websocket/internal/kissserver"
)

// sessionReply mirrors the JSON of /login and /refreshToken.
type sessionReply struct {
	UserID       string `json:"userId"`
	Token        string `json:"token"`
	RefreshToken string `json:"refreshToken"`
	ExpiresIn    int    `json:"expiresIn"`
	WS           struct {
		Port    int `json:"port"`
		SSLPort int `json:"sslPort"`
	} `json:"ws"`
}

func (ts *testServer) port(t *testing.T) int {
	t.Helper()
	u, err := url.Parse(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRefreshFlow(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	old := ts.Login("dev")
	ts.ExpireToken(old.Token) // what makes KissJS refresh

	st, body := ts.do(t, "POST", "/refreshToken", "", `{"refreshToken":"`+old.RefreshToken+`"}`)
	if st != http.StatusOK {
		t.Fatalf("refresh: %d %s", st, body)
	}
	got := decode[sessionReply](t, body)
	if got.Token == "" || got.Token == old.Token || got.RefreshToken == old.RefreshToken || got.ExpiresIn != 3600 || got.UserID != "dev" {
		t.Fatalf("refresh answer %+v: want a new pair of user dev valid 3600 s", got)
	}
	if p := ts.port(t); got.WS.Port != p || got.WS.SSLPort != p {
		t.Fatalf("ws ports %+v, want both %d", got.WS, p)
	}
	for _, tc := range []struct {
		name, token string
		want        int
	}{{"new token", got.Token, 200}, {"old token", old.Token, 401}} {
		if st, _ := ts.do(t, "GET", "/checkTokenValidity", tc.token, ""); st != tc.want {
			t.Fatalf("%s: check %d, want %d", tc.name, st, tc.want)
		}
	}
	if st, _ := ts.do(t, "POST", "/refreshToken", "", `{"refreshToken":"`+old.RefreshToken+`"}`); st != http.StatusUnauthorized {
		t.Fatalf("reusing the refresh token: %d, want 401", st)
	}
	c := ts.mustDialToken(t, got.Token)
	sendText(t, c, "ping")
	if recv(t, c) != "pong" {
		t.Fatal("no pong on the refreshed token")
	}
}

func TestRefreshBadRequests(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	for _, tc := range []struct{ body string }{{`{"refreshToken":"nope"}`}, {`{}`}} {
		if st, _ := ts.do(t, "POST", "/refreshToken", "", tc.body); st != http.StatusUnauthorized {
			t.Fatalf("body %s: %d, want 401", tc.body, st)
		}
	}
	if st, _ := ts.do(t, "POST", "/refreshToken", "", `{`); st != http.StatusBadRequest {
		t.Fatalf("broken JSON: %d, want 400", st)
	}
}

// /login takes user dev with any password; with the test controls on, any
// user (each browser test logs in as its own). The answer names the user.
func TestLogin(t *testing.T) {
	t.Parallel()
	plain := start(t, kissserver.Options{})
	withControls := start(t, kissserver.Options{Controls: true})
	tests := []struct {
		name, body string
		ts         *testServer
		want       int
		user       string
	}{
		{"dev with any password", `{"username":"dev","password":"whatever"}`, plain, http.StatusOK, "dev"},
		{"dev without password", `{"username":"dev"}`, plain, http.StatusOK, "dev"},
		{"other user", `{"username":"alice","password":"x"}`, plain, http.StatusUnauthorized, ""},
		{"other user with the test controls", `{"username":"alice","password":"x"}`, withControls, http.StatusOK, "alice"},
		{"no user with the test controls", `{"password":"x"}`, withControls, http.StatusUnauthorized, ""},
		{"broken JSON", `{"username":`, plain, http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, body := tt.ts.do(t, "POST", "/login", "", tt.body)
			if st != tt.want {
				t.Fatalf("status %d, want %d", st, tt.want)
			}
			if st == http.StatusOK {
				s := decode[sessionReply](t, body)
				if s.UserID != tt.user {
					t.Fatalf("userId %q, want %q", s.UserID, tt.user)
				}
				if p := tt.ts.port(t); s.WS.Port != p || s.WS.SSLPort != p {
					t.Fatalf("ws ports %+v, want both %d", s.WS, p)
				}
				tt.ts.mustDialToken(t, s.Token)
			}
		})
	}
}

// /verifyToken (kiss.session.login({token})) trades a valid token for a
// session of its user; any other token is refused.
func TestVerifyToken(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	given := ts.Login("carol")
	st, body := ts.do(t, "POST", "/verifyToken", "", `{"token":"`+given.Token+`"}`)
	if st != http.StatusOK {
		t.Fatalf("verify: %d %s", st, body)
	}
	got := decode[sessionReply](t, body)
	if got.UserID != "carol" || got.Token == "" || got.RefreshToken == "" {
		t.Fatalf("verify answer %+v, want a session of carol", got)
	}
	ts.mustDialToken(t, got.Token)
	ts.mustDialToken(t, given.Token) // still valid
	ts.RevokeToken(given.Token)
	for _, b := range []string{`{"token":"` + given.Token + `"}`, `{"token":"nope"}`, `{}`} {
		if st, _ := ts.do(t, "POST", "/verifyToken", "", b); st != http.StatusUnauthorized {
			t.Fatalf("verify %s: %d, want 401", b, st)
		}
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	s := ts.Login("dev")
	if st, _ := ts.do(t, "GET", "/logout", s.Token, ""); st != http.StatusOK {
		t.Fatalf("logout: %d", st)
	}
	if st, _ := ts.do(t, "GET", "/checkTokenValidity", s.Token, ""); st != http.StatusUnauthorized {
		t.Fatalf("check after logout: %d, want 401", st)
	}
	if st := ts.refusedWith(t, s.Token, nil); st != http.StatusUnauthorized {
		t.Fatalf("upgrade after logout: %d, want 401", st)
	}
}

func TestPortsWithoutPortInHost(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	req, err := http.NewRequestWithContext(ctx(t), "POST", ts.URL+"/login", strings.NewReader(`{"username":"dev"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "kiss.example" // as behind a proxy on the default port
	st, body := ts.sendReq(t, req)
	if got := decode[sessionReply](t, body); st != http.StatusOK || got.WS.Port != 80 || got.WS.SSLPort != 443 {
		t.Fatalf("status %d, ws ports %+v, want 80/443", st, got.WS)
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{Controls: true})
	for _, path := range []string{"/checkTokenValidity", "/refreshToken", "/logout", "/login", "/verifyToken", "/test/state", "/test/close"} {
		req, err := http.NewRequestWithContext(ctx(t), "OPTIONS", ts.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", "http://127.0.0.1:9999")
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := ts.hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("preflight %s: %d, ACAO %q", path, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}
