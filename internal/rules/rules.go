// Package rules holds the test vectors of the rules that run twice: in Go
// (core), and in the loader's first file, which opens the first socket while
// the wasm loads and so cannot ask Go (rules.json), and runs the per-frame
// path in JavaScript for speed (frames.json). Both test suites run the same
// vectors: core's natively (core/rules_test.go, core/frame_test.go), the
// loader's in Chromium (wasm/rules_test.go, wasm/frames_test.go). A change
// to a rule on either side fails one of them until both agree again.
package rules

import (
	_ "embed"
	"encoding/json"
	"math"
)

//go:embed rules.json
var vectorsJSON []byte

// Vectors is rules.json.
type Vectors struct {
	// Strict lists the config fields only Go may accept or reject (ours,
	// not KissJS's), as paths: a whole section when every field of it is
	// ours. An init() whose config gives one of them waits for Go.
	Strict []string `json:"strict"`
	// URLs are socket addresses for a config, a page and a token.
	URLs []URL `json:"urls"`
	// Fast says, for a config, whether the loader may open its socket and
	// report its open before Go is there.
	Fast []Fast `json:"fast"`
}

// URL is one socket address.
type URL struct {
	Name     string          `json:"name"`
	Config   json.RawMessage `json:"config"`
	Session  *Session        `json:"session"` // nil: no kiss.session on the page
	Location Location        `json:"location"`
	Token    string          `json:"token"`
	Want     string          `json:"url"`
}

// Session is a page's kiss.session. A field left out is not there;
// WebsocketHost, when there, is what getWebsocketHost() returns.
type Session struct {
	Host          json.RawMessage `json:"host,omitempty"`
	Secure        json.RawMessage `json:"secure,omitempty"`
	WebsocketHost json.RawMessage `json:"websocketHost,omitempty"`
}

// Location is the page's location.
type Location struct {
	Host  string `json:"host"`
	HTTPS bool   `json:"https"`
}

// Fast is one config and whether the loader may take it before Go.
type Fast struct {
	Config json.RawMessage `json:"config"`
	Fast   bool            `json:"fast"`
}

// Load parses the vectors.
func Load() (Vectors, error) {
	var v Vectors
	err := json.Unmarshal(vectorsJSON, &v)
	return v, err
}

// JSON is rules.json as it is, for a test that hands it to a page.
func JSON() string { return string(vectorsJSON) }

// Special is a JavaScript value JSON cannot write, given in rules.json as
// {"$": NAME}: "undefined", "NaN", "Infinity", "-Infinity", "function".
type Special string

// Value decodes a JSON value of rules.json to the shapes core.Decode takes
// (float64, string, bool, nil, map[string]any), with Special where JSON has
// no word for the value (NaN, Infinity, -Infinity become float64;
// "undefined" is nil; "function" stays Special).
func Value(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return special(v), nil
}

func special(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if name, ok := x["$"].(string); ok && len(x) == 1 {
			switch name {
			case "NaN":
				return math.NaN()
			case "Infinity":
				return math.Inf(1)
			case "-Infinity":
				return math.Inf(-1)
			case "undefined":
				return nil
			}
			return Special(name)
		}
		for k, e := range x {
			x[k] = special(e)
		}
	case []any:
		for i, e := range x {
			x[i] = special(e)
		}
	}
	return v
}

// Truthy is JavaScript's truthiness of a decoded value.
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0 && !math.IsNaN(x)
	case string:
		return x != ""
	}
	return true
}
