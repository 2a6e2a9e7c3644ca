package core

import (
	"net"
	"net/url"
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
	if _, _, err := net.SplitHostPort(host); err != nil && p > 0 {
		host = net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(p))
	}
	return scheme + host + "/?token="
}

// SocketURL is the address of one attempt: base (socketUrl, or DefaultBase
// when socketUrl is empty) with the token appended, URL-encoded, only when
// base ends with "token=". KissJS glued the raw token onto any socketUrl.
func SocketURL(base, token string) string {
	if strings.HasSuffix(base, "token=") {
		return base + url.QueryEscape(token)
	}
	return base
}
