//go:build js && wasm

package main

import (
	"encoding/json"
	"testing"

	"github.com/kissjs/kiss-websocket/internal/rules"
)

// The loader's twins of core's rules (the first socket's address, which
// configs it may take before Go) pass the same vectors as core does
// natively (core/rules_test.go).
func TestLoaderRulesPassTheVectors(t *testing.T) {
	p := newPage(t, pageOpts{noWait: true})
	out := p.eval(`(function (v) {
		function js(x) {
			if (x && typeof x === "object" && !Array.isArray(x)) {
				var keys = Object.keys(x);
				if (keys.length === 1 && keys[0] === "$") {
					return {"undefined": undefined, "NaN": NaN, "Infinity": Infinity, "-Infinity": -Infinity,
						"function": function () {}}[x.$];
				}
				var o = {};
				keys.forEach(function (k) { o[k] = js(x[k]); });
				return o;
			}
			return x;
		}
		var rules = kiss.websocket._rules, bad = [];
		v.urls.forEach(function (u) {
			var sess = null;
			if (u.session) {
				sess = {};
				if ("host" in u.session) sess.host = js(u.session.host);
				if ("secure" in u.session) sess.secure = js(u.session.secure);
				if ("websocketHost" in u.session) sess.getWebsocketHost = function () { return js(u.session.websocketHost); };
			}
			var loc = {host: u.location.host, protocol: u.location.https ? "https:" : "http:"};
			var got = rules.url(js(u.config), sess, loc, u.token);
			if (got !== u.url) bad.push(u.name + ": the loader builds " + got + ", the vector says " + u.url);
			if (!rules.fast(js(u.config))) bad.push(u.name + ": the loader would not take this config");
		});
		v.fast.forEach(function (f) {
			if (rules.fast(js(f.config)) !== f.fast) bad.push(JSON.stringify(f.config) + ": fast " + !f.fast + ", the vector says " + f.fast);
		});
		if (JSON.stringify(rules.strict) !== JSON.stringify(v.strict)) bad.push("strict fields " + JSON.stringify(rules.strict) + ", the vectors say " + JSON.stringify(v.strict));
		return JSON.stringify({bad: bad, n: v.urls.length + v.fast.length});
	})(` + rules.JSON() + `)`).String()
	var res struct {
		Bad []string
		N   int
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	for _, b := range res.Bad {
		t.Error(b)
	}
	v, err := rules.Load()
	if err != nil {
		t.Fatal(err)
	}
	if res.N != len(v.URLs)+len(v.Fast) || res.N == 0 {
		t.Fatalf("the page ran %d vectors of %d", res.N, len(v.URLs)+len(v.Fast))
	}
}
