//go:build !js

package kissserver_test

import (
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/internal/kissserver"
)

func TestLoginIssuesDistinctHexTokens(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{TokenTTL: 90 * time.Second})
	seen := map[string]bool{}
	for range 20 {
		s := ts.Login("dev")
		for _, tok := range []string{s.Token, s.RefreshToken} {
			if b, err := hex.DecodeString(tok); err != nil || len(b) != 32 || seen[tok] {
				t.Fatalf("token %q: want 32 fresh random bytes as hex", tok)
			}
			seen[tok] = true
		}
		if s.ExpiresIn != 90 {
			t.Fatalf("ExpiresIn = %d, want 90", s.ExpiresIn)
		}
	}
}

func TestCheckTokenValidity(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	valid, expired, revoked := ts.Login("dev"), ts.Login("dev"), ts.Login("dev")
	ts.ExpireToken(expired.Token)
	ts.RevokeToken(revoked.Token)
	tests := []struct {
		name, auth string
		want       int
	}{
		{"valid", "Bearer " + valid.Token, http.StatusOK},
		{"lower-case scheme", "bearer " + valid.Token, http.StatusOK},
		{"expired", "Bearer " + expired.Token, 498},
		{"revoked", "Bearer " + revoked.Token, http.StatusUnauthorized},
		{"refresh token is not an access token", "Bearer " + valid.RefreshToken, http.StatusUnauthorized},
		{"unknown", "Bearer 0123", http.StatusUnauthorized},
		{"no header", "", http.StatusUnauthorized},
		{"other scheme", "Basic " + valid.Token, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequestWithContext(ctx(t), "GET", ts.URL+"/checkTokenValidity", nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := ts.hs.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestTokenExpiresAfterTTL(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{TokenTTL: 100 * time.Millisecond})
	tok := ts.Login("dev").Token
	time.Sleep(150 * time.Millisecond)
	if st, _ := ts.do(t, "GET", "/checkTokenValidity", tok, ""); st != 498 {
		t.Fatalf("check after TTL: %d, want 498", st)
	}
	if st := ts.refusedWith(t, tok, nil); st != http.StatusUnauthorized {
		t.Fatalf("upgrade after TTL: %d, want 401", st)
	}
}

func TestRevokeTakesTheRefreshTokenAlong(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	for _, revokeRefresh := range []bool{false, true} {
		s := ts.Login("dev")
		if revokeRefresh {
			ts.RevokeToken(s.RefreshToken)
		} else {
			ts.RevokeToken(s.Token)
		}
		if st, _ := ts.do(t, "GET", "/checkTokenValidity", s.Token, ""); st != http.StatusUnauthorized {
			t.Fatalf("revoke refresh=%v: check %d, want 401", revokeRefresh, st)
		}
		if st, _ := ts.do(t, "POST", "/refreshToken", "", `{"refreshToken":"`+s.RefreshToken+`"}`); st != http.StatusUnauthorized {
			t.Fatalf("revoke refresh=%v: refresh %d, want 401", revokeRefresh, st)
		}
	}
}
