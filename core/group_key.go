package core

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// GroupKey is the group a socket belongs to in shared mode: its URL with
// the token left out (its value only; every tab of a profile reads the same
// one) and the session, so tabs of two users never share a socket. Tabs
// compare the full key before trusting each other.
func GroupKey(url, session string) string {
	return stripToken(url) + "\n" + session
}

// stripToken empties the value of the first token parameter, as the
// loader's /([?&]token=)[^&#]*/ does.
func stripToken(url string) string {
	for i := 0; i+6 <= len(url); i++ {
		if (url[i] == '?' || url[i] == '&') && strings.HasPrefix(url[i+1:], "token=") {
			start := i + 7
			end := start
			for end < len(url) && url[end] != '&' && url[end] != '#' {
				end++
			}
			return url[:start] + url[end:]
		}
	}
	return url
}

// GroupName names a group's lock and channels without the key itself (the
// URL and session stay out of lock and channel names): 64 bits of two
// FNV-style rounds over the key's UTF-16 code units, as the loader's hash.
func GroupName(key string) string {
	a, b := uint32(0x811c9dc5), uint32(0x2545f491)
	mix := func(c uint32) {
		a = (a ^ c) * 16777619
		b = (b ^ c) * 0x5bd1e995
	}
	for _, r := range key {
		if r1, r2 := utf16.EncodeRune(r); r1 != 0xfffd || r2 != 0xfffd {
			mix(uint32(r1))
			mix(uint32(r2))
			continue
		}
		mix(uint32(r))
	}
	return "kiss-websocket:" + strconv.FormatUint(uint64(a), 16) + "-" + strconv.FormatUint(uint64(b), 16)
}

// timeScale is d times f, for a jitter's random number f in [0,1).
func timeScale(d time.Duration, f float64) time.Duration {
	if f < 0 || f >= 1 || f != f {
		f = 0
	}
	return time.Duration(float64(d) * f)
}
