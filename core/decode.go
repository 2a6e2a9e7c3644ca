package core

import (
	"math"
	"strconv"
)

// Opaque stands for a JavaScript value that is not a number, string, boolean,
// null/undefined or plain object; it holds its typeof ("function", "bigint",
// "symbol") or "array". The browser bridge passes hooks as Opaque("function").
type Opaque string

// describe renders a rejected value for an error message. It never prints a
// string's content (a misplaced token must not end up in a log).
func describe(v any) string {
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
		return "a " + string(v)
	case map[string]any:
		return "an object"
	default:
		return "an unsupported value"
	}
}
