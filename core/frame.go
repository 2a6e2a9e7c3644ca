//go:build !js

package core

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// frameKind is what an incoming frame is to the client.
type frameKind int

const (
	// framePong is the text frame "pong" exactly: it answers our heartbeat and
	// is swallowed (never published, never given to hooks).
	framePong frameKind = iota
	// frameMessage is any JSON value KissJS publishes: an object whose
	// "channel", if any, is a string, an array, a number, a string (the JSON
	// string "pong", quotes included, is a message) or a boolean. Only an
	// object can carry a channel; the others go to "*" subscribers alone.
	frameMessage
	// frameMalformed is what KissJS drops: binary, not UTF-8, not JSON, null,
	// or an object whose channel is not a string. It is counted and logged.
	frameMalformed
)

// classify sorts an incoming frame without allocating, and returns the raw
// bytes of the top-level "channel" string (without quotes, still escaped:
// channelName reads them) when there is one. Keys are compared unescaped
// and the last duplicate key wins, as with JSON.parse. The rule runs in the
// loader too (onFrame, publishFrame): internal/rules/frames.json holds the
// vectors both must pass.
func classify(text bool, data []byte) (kind frameKind, channel []byte, reason string) {
	if !text {
		return frameMalformed, nil, "binary frame"
	}
	if string(data) == "pong" {
		return framePong, nil, ""
	}
	if !utf8.Valid(data) {
		return frameMalformed, nil, "invalid UTF-8"
	}
	if !validJSON(data) {
		return frameMalformed, nil, "not JSON"
	}
	i := skipSpace(data, 0)
	switch data[i] {
	case 'n':
		return frameMalformed, nil, "null"
	case '{':
	default:
		return frameMessage, nil, "" // an array or a scalar: no channel
	}
	channel, ok := topLevelChannel(data, i+1)
	if !ok {
		return frameMalformed, nil, "channel is not a string"
	}
	return frameMessage, channel, ""
}

// topLevelChannel walks the members of a JSON object known to be valid.
func topLevelChannel(data []byte, i int) (channel []byte, ok bool) {
	ok = true
	for {
		i = skipSpace(data, i)
		if data[i] == '}' {
			return channel, ok
		}
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
		keyEnd := skipString(data, i)
		key := data[i+1 : keyEnd-1]
		i = skipSpace(data, keyEnd)
		i = skipSpace(data, i+1) // the colon
		end := skipValue(data, i)
		if keyIs(key, "channel") {
			if data[i] == '"' {
				channel, ok = data[i+1:end-1], true
			} else {
				channel, ok = nil, false
			}
		}
		i = end
	}
}

// keyIs reports whether the raw (valid, still escaped) key is s.
func keyIs(key []byte, s string) bool {
	if bytes.IndexByte(key, '\\') < 0 {
		return string(key) == s
	}
	if len(key) > 6*len(s) { // each escape stands for one character at least
		return false
	}
	var buf [64]byte
	return string(unquote(buf[:0], key)) == s
}

// channelName is the channel as JSON.parse reads it from its raw bytes:
// raw itself unless it holds an escape. A lone surrogate escape becomes
// U+FFFD (UTF-8 has no word for it; JavaScript keeps it).
func channelName(raw []byte) []byte {
	if raw == nil || bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	return unquote(make([]byte, 0, len(raw)), raw)
}

// unquote appends the content of a valid JSON string, decoded, to dst.
func unquote(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(raw[i+1:])
			i += 4
			if utf16.IsSurrogate(r) && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if pair := utf16.DecodeRune(r, hex4(raw[i+3:])); pair != utf8.RuneError {
					r = pair
					i += 6
				}
			}
			dst = utf8.AppendRune(dst, r) // a lone surrogate: U+FFFD
		default: // " \ /
			dst = append(dst, raw[i])
		}
	}
	return dst
}

// hex4 reads the four hex digits of a valid \u escape.
func hex4(d []byte) rune {
	var r rune
	for _, c := range d[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the closing quote of the string at i.
func skipString(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(data)
}

// skipValue returns the index after the valid JSON value at i.
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				j = skipString(data, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(data)
	default:
		j := i
		for j < len(data) && data[j] != ',' && data[j] != '}' && data[j] != ']' && data[j] != ' ' &&
			data[j] != '\n' && data[j] != '\t' && data[j] != '\r' {
			j++
		}
		return j
	}
}

// maxDepth bounds nesting so a hostile frame cannot exhaust the stack. It is
// encoding/json's bound; JSON.parse in the browser takes deeper values still,
// but a frame nested 10000 deep is no message any KissJS server sends.
const maxDepth = 10000

// validJSON reports whether data is one JSON value (RFC 8259) with optional
// surrounding whitespace. It is ours rather than encoding/json's so the wasm
// binary does not carry reflection-based JSON (about 300 KB).
func validJSON(data []byte) bool {
	end := scanValue(data, 0, 0)
	return end >= 0 && skipSpace(data, end) == len(data)
}

// scanValue returns the index after the value starting at or after i, or -1.
func scanValue(d []byte, i, depth int) int {
	i = skipSpace(d, i)
	if i >= len(d) || depth > maxDepth {
		return -1
	}
	switch d[i] {
	case '{':
		return scanContainer(d, i, depth, '}', true)
	case '[':
		return scanContainer(d, i, depth, ']', false)
	case '"':
		return scanString(d, i)
	case 't':
		return scanLiteral(d, i, "true")
	case 'f':
		return scanLiteral(d, i, "false")
	case 'n':
		return scanLiteral(d, i, "null")
	}
	return scanNumber(d, i)
}

func scanContainer(d []byte, i, depth int, closer byte, object bool) int {
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == closer {
		return i + 1
	}
	for {
		if object {
			i = skipSpace(d, i)
			if i >= len(d) || d[i] != '"' {
				return -1
			}
			if i = scanString(d, i); i < 0 {
				return -1
			}
			if i = skipSpace(d, i); i >= len(d) || d[i] != ':' {
				return -1
			}
			i++
		}
		if i = scanValue(d, i, depth+1); i < 0 {
			return -1
		}
		i = skipSpace(d, i)
		switch {
		case i >= len(d):
			return -1
		case d[i] == ',':
			i++
		case d[i] == closer:
			return i + 1
		default:
			return -1
		}
	}
}

func scanString(d []byte, i int) int {
	for j := i + 1; j < len(d); j++ {
		switch c := d[j]; {
		case c == '"':
			return j + 1
		case c < 0x20:
			return -1
		case c == '\\':
			j++
			if j >= len(d) {
				return -1
			}
			switch d[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(d) || !isHex(d[j+1]) || !isHex(d[j+2]) || !isHex(d[j+3]) || !isHex(d[j+4]) {
					return -1
				}
				j += 4
			default:
				return -1
			}
		}
	}
	return -1
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func scanLiteral(d []byte, i int, lit string) int {
	if len(d)-i < len(lit) || string(d[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

func scanNumber(d []byte, i int) int {
	digits := func(j int) int {
		k := j
		for k < len(d) && d[k] >= '0' && d[k] <= '9' {
			k++
		}
		return k
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		i = digits(i)
	default:
		return -1
	}
	if i < len(d) && d[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}
