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

// Page is what a browser page shows of where its socket goes by default:
// KissJS's kiss.session when the page has one, and the page's location. The
// browser reads it; Page.URL holds the rule. The loader has a twin of this
// rule for the socket init() opens while the wasm loads, held to it by the
// shared test vectors in internal/rules.
type Page struct {
	// Session: the page has a kiss.session object.
	Session bool
	// WebsocketHost is what kiss.session.getWebsocketHost() returned, when
	// it returned a string (HasWebsocketHost). It is asked only when the
	// config names no port: KissJS's own address wins then.
	WebsocketHost    string
	HasWebsocketHost bool
	// Insecure: kiss.session.secure is set and false to JavaScript. KissJS
	// defaults to wss://, even on an http page.
	Insecure bool
	// Host is kiss.session.host when it is a non-empty string.
	Host string
	// Location is location.host; LocationSecure, an https page. They are
	// the address without KissJS, and the host when kiss.session has none.
	Location       string
	LocationSecure bool
}

// Base is the address of a socket of cfg, before the token: cfg.SocketURL
// when set; else, with no port named, kiss.session.getWebsocketHost() +
// "/?token="; else DefaultBase, secure unless kiss.session.secure is false
// (without KissJS: as the page is), on kiss.session.host or the page's host,
// with cfg's port or sslPort.
func (p Page) Base(cfg Config) string {
	if cfg.SocketURL != "" {
		return cfg.SocketURL
	}
	if p.Session && !cfg.NamedPorts && p.HasWebsocketHost {
		return p.WebsocketHost + "/?token="
	}
	secure, host := p.LocationSecure, p.Location
	if p.Session {
		secure = !p.Insecure
		if p.Host != "" {
			host = p.Host
		}
	}
	return DefaultBase(secure, host, cfg.Port, cfg.SSLPort)
}

// URL is the address of the next attempt: Base with the token, as SocketURL
// adds it.
func (p Page) URL(cfg Config, token string) string { return SocketURL(p.Base(cfg), token) }

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
