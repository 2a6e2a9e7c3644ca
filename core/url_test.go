package core_test

import (
	"testing"

	"github.com/kissjs/kiss-websocket/core"
)

func TestURLs(t *testing.T) {
	t.Parallel()
	cases := []struct{ got, want string }{
		{core.DefaultBase(true, "app.test", 80, 443), "wss://app.test:443/?token="},
		{core.DefaultBase(false, "app.test", 8080, 443), "ws://app.test:8080/?token="},
		{core.DefaultBase(true, "app.test:9443", 80, 443), "wss://app.test:9443/?token="},
		{core.DefaultBase(false, "[::1]", 80, 443), "ws://[::1]:80/?token="},
		{core.SocketURL("wss://a/?token=", "a+b/c"), "wss://a/?token=a%2Bb%2Fc"},
		{core.SocketURL("wss://a/socket", "tok"), "wss://a/socket"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestSplitURLAndHTTPOrigin(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, scheme, host, origin string
		ok                       bool
	}{
		{"ws://h:1/?token=", "ws", "h:1", "http://h:1", true},
		{"WSS://h/p?q", "wss", "h", "https://h", true},
		{"https://h?x", "https", "h", "https://h", true},
		{"http://[::1]:8/", "http", "[::1]:8", "http://[::1]:8", true},
		{"ftp://h/", "", "", "", false},
		{"ws:///path", "", "", "", false},
		{"h/p", "", "", "", false},
	}
	for _, c := range cases {
		scheme, host, ok := core.SplitURL(c.in)
		if scheme != c.scheme || host != c.host || ok != c.ok {
			t.Errorf("SplitURL(%q) = %q, %q, %v", c.in, scheme, host, ok)
		}
		if got := core.HTTPOrigin(c.in); got != c.origin {
			t.Errorf("HTTPOrigin(%q) = %q, want %q", c.in, got, c.origin)
		}
	}
	for in, want := range map[string]bool{"": true, "wss://x/?token=": true, "wss://x/feed": false, "wss://x/?token=abc": false} {
		if got := core.CarriesToken(in); got != want {
			t.Errorf("CarriesToken(%q) = %v", in, got)
		}
	}
}
