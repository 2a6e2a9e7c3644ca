//go:build !js

package core_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kissjs/kiss-websocket/core"
	"github.com/kissjs/kiss-websocket/internal/rules"
)

// The loader's first file runs a twin of some of core's rules: it opens the
// first socket while the wasm loads (the URL, KissJS's leniency for port,
// sslPort and socketUrl) and tells which configs only Go may take. Both run
// the vectors of internal/rules; wasm/rules_test.go runs them in Chromium.

// rawConfig is a vector's config as core.Decode takes it.
func rawConfig(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	v, err := rules.Value(raw)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := opaque(v).(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// opaque turns the vectors' special values into core.Decode's Opaque.
func opaque(v any) any {
	switch x := v.(type) {
	case rules.Special:
		return core.Opaque(x)
	case map[string]any:
		for k, e := range x {
			x[k] = opaque(e)
		}
	case []any:
		return core.Opaque("array")
	}
	return v
}

// vectorPage is a vector's page as the browser reads it.
func vectorPage(t *testing.T, u rules.URL) core.Page {
	t.Helper()
	p := core.Page{Location: u.Location.Host, LocationSecure: u.Location.HTTPS}
	s := u.Session
	if s == nil {
		return p
	}
	p.Session = true
	if len(s.Host) > 0 {
		if h, err := rules.Value(s.Host); err == nil {
			p.Host, _ = h.(string)
		}
	}
	if len(s.Secure) > 0 {
		v, err := rules.Value(s.Secure)
		if err != nil {
			t.Fatal(err)
		}
		p.Insecure = !rules.Truthy(v)
	}
	if len(s.WebsocketHost) > 0 {
		v, err := rules.Value(s.WebsocketHost)
		if err != nil {
			t.Fatal(err)
		}
		p.WebsocketHost, p.HasWebsocketHost = v.(string)
	}
	return p
}

func TestRuleVectorsURL(t *testing.T) {
	t.Parallel()
	v, err := rules.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range v.URLs {
		cfg, err := core.Decode(rawConfig(t, u.Config))
		if err != nil {
			t.Errorf("%s: Decode: %v (a KissJS field never rejects)", u.Name, err)
			continue
		}
		if got := vectorPage(t, u).URL(cfg, u.Token); got != u.Want {
			t.Errorf("%s: core builds %q, the vector says %q", u.Name, got, u.Want)
		}
	}
}

// The fields only Go may take are the table's own, and a config gives one
// exactly when the vectors say the loader must wait for Go; any other
// config Decode takes without an error, as the loader's early open assumes.
func TestRuleVectorsStrict(t *testing.T) {
	t.Parallel()
	v, err := rules.Load()
	if err != nil {
		t.Fatal(err)
	}
	if want := core.StrictFields(); !slices.Equal(v.Strict, want) {
		t.Fatalf("rules.json strict %q, core's table %q", v.Strict, want)
	}
	for _, f := range v.Fast {
		raw := rawConfig(t, f.Config)
		if got := !givesAny(raw, v.Strict); got != f.Fast {
			t.Errorf("%s: fast %v by the strict fields, the vector says %v", f.Config, got, f.Fast)
		}
		if _, err := core.Decode(raw); f.Fast && err != nil {
			t.Errorf("%s: a config the loader takes fails in Go: %v", f.Config, err)
		}
	}
	for _, u := range v.URLs {
		if givesAny(rawConfig(t, u.Config), v.Strict) {
			t.Errorf("%s: a URL vector's config must be one the loader takes", u.Name)
		}
	}
}

// givesAny reports whether raw gives a value (not null or undefined) at one
// of the paths.
func givesAny(raw map[string]any, paths []string) bool {
	for _, p := range paths {
		var v any = raw
		for _, k := range strings.Split(p, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[k]
		}
		if v != nil {
			return true
		}
	}
	return false
}
