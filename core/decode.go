package core

import (
	"math"
	"strconv"
)

// Opaque stands for a JavaScript value that is not a number, string, boolean,
// null/undefined or plain object; it holds its typeof ("function", "bigint",
// "symbol") or "array". The browser bridge passes hooks as Opaque("function").
type Opaque string

// describe renders a rejected value for an error or warning. It never
// prints a string's content (a misplaced token must not end up in a log),
// except a short one made only of a number's characters ("-5", "1e3",
// "70000"), which no token is.
func describe(v any) string {
	if s, ok := v.(string); ok && len(s) <= 12 && numberish(s) {
		return `"` + s + `"`
	}
	return describeSecret(v)
}

// describeSecret is describe for a field a token may be in (socketUrl): a
// string is only "a string".
func describeSecret(v any) string {
	switch v := v.(type) {
	case float64:
		if math.IsNaN(v) {
			return "NaN"
		}
		if math.IsInf(v, 1) {
			return "Infinity"
		}
		if math.IsInf(v, -1) {
			return "-Infinity"
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case string:
		return "a string"
	case Opaque:
		if v != "" && (v[0] == 'a' || v[0] == 'e' || v[0] == 'i' || v[0] == 'o' || v[0] == 'u') {
			return "an " + string(v)
		}
		return "a " + string(v)
	case map[string]any:
		return "an object"
	default:
		return "an unsupported value"
	}
}

// numberish reports whether s is not empty and has only characters a
// number is written with.
func numberish(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E', c == ' ':
		default:
			return false
		}
	}
	return s != ""
}

// decimal reads a string of digits as KissJS's callers pass numbers (ports
// read back from localStorage): digits, an optional fraction, and spaces
// around them. Signs, exponents and hex are not numbers here. (By hand:
// strconv.ParseFloat would add its tables to the wasm.)
func decimal(s string) (float64, bool) {
	s = trimSpace(s)
	var n, frac, scale float64 = 0, 0, 1
	digits, dot := 0, -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9' && dot < 0:
			n = n*10 + float64(c-'0')
			digits++
		case c >= '0' && c <= '9':
			frac = frac*10 + float64(c-'0')
			scale *= 10
		case c == '.' && dot < 0 && digits > 0 && i < len(s)-1:
			dot = i
		default:
			return 0, false
		}
	}
	return n + frac/scale, digits > 0
}

// trimSpace drops ASCII white space at both ends (a loop: strings.TrimSpace
// links the Unicode tables into the wasm).
func trimSpace(s string) string {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' }
	for s != "" && isSpace(s[0]) {
		s = s[1:]
	}
	for s != "" && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}
