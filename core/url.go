package core

import (
	"strconv"
	"strings"
)

// DefaultBase is KissJS's default socket address: wss:// unless secure is
// false, the host (host[:port]) with sslPort or port added when it names
// none, and the path "/?token=".
func DefaultBase(secure bool, host string, port, sslPort int) string {
	scheme, p := "wss://", sslPort
	if !secure {
		scheme, p = "ws://", port
	}
	if !hasPort(host) && p > 0 {
		if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
			host = "[" + host + "]"
		}
		host += ":" + strconv.Itoa(p)
	}
	return scheme + host + "/?token="
}

// hasPort reports whether host ("name", "name:80", "[::1]", "[::1]:80")
// names a port.
func hasPort(host string) bool {
	if strings.HasPrefix(host, "[") {
		return strings.Contains(host, "]:")
	}
	return strings.Count(host, ":") == 1
}

// SocketURL is the address of one attempt: base (socketUrl, or DefaultBase
// when socketUrl is empty) with the token appended, URL-encoded, only when
// base ends with "token=". KissJS glued the raw token onto any socketUrl.
func SocketURL(base, token string) string {
	if strings.HasSuffix(base, "token=") {
		return base + escapeQuery(token)
	}
	return base
}

// CarriesToken reports whether the URL made from socketURL holds the token:
// the default URL (socketURL empty) or one ending in "token=".
func CarriesToken(socketURL string) bool {
	return socketURL == "" || strings.HasSuffix(socketURL, "token=")
}

// SplitURL returns the scheme (lower case) and host of a ws, wss, http or
// https URL with a host; ok is false for anything else.
func SplitURL(s string) (scheme, host string, ok bool) {
	scheme, rest, found := strings.Cut(s, "://")
	if !found {
		return "", "", false
	}
	host, _, _ = strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	scheme = asciiLower(scheme)
	switch scheme {
	case "ws", "wss", "http", "https":
		if host != "" {
			return scheme, host, true
		}
	}
	return "", "", false
}

// HTTPOrigin is the origin of the HTTP endpoints beside a socket address
// (ws and http give http, wss and https give https), or "".
func HTTPOrigin(socketURL string) string {
	scheme, host, ok := SplitURL(socketURL)
	switch {
	case !ok:
		return ""
	case scheme == "ws" || scheme == "http":
		return "http://" + host
	}
	return "https://" + host
}

// escapeQuery percent-encodes s for a query value, leaving only RFC 3986
// unreserved characters. (net/url would pull the whole net package into the
// wasm build.)
func escapeQuery(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// asciiLower lowercases ASCII letters only, which is all a URL scheme has;
// strings.ToLower would link the Unicode case tables into the wasm.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
