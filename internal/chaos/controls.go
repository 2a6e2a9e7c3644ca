package chaos

import (
	"strconv"
	"time"
)

// Step is one action of a fault: a POST of a dev-server control (Path with
// its query Params, such as /test/proxy/stall?on=1), or, when Path is
// empty, a wait of Hold while the fault is on (a run may look at the server
// meanwhile). Params is a map, not url.Values: this package stays off net/.
type Step struct {
	Path   string
	Params map[string]string
	Hold   time.Duration
}

// Steps is the one description of what f does, for the native chaos run
// (which mounts the same controls on its own servers) and the browser one
// (which calls the dev server's) alike. token is the session token an
// ExpireToken fault expires.
func (f Fault) Steps(token string) []Step {
	ms := strconv.Itoa(int(f.Hold / time.Millisecond))
	post := func(path string, kv ...string) Step {
		q := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			q[kv[i]] = kv[i+1]
		}
		return Step{Path: path, Params: q}
	}
	hold := Step{Hold: f.Hold}
	drop := post("/test/proxy/drop")
	switch f.Kind {
	case Drop:
		return []Step{drop}
	case Close:
		return []Step{post("/test/close", "code", strconv.Itoa(f.Code), "reason", "chaos")}
	case StallReads:
		return []Step{post("/test/proxy/stall", "on", "1"), hold, post("/test/proxy/stall", "on", "0")}
	case StallHandshake:
		return []Step{post("/test/proxy/hold", "on", "1"), drop, hold, post("/test/proxy/hold", "on", "0")}
	case DelayFrames:
		return []Step{post("/test/proxy/delay", "ms", strconv.Itoa(int(f.Delay/time.Millisecond))), hold,
			post("/test/proxy/delay", "ms", "0")}
	case RefuseUpgrades:
		return []Step{post("/test/refuse", "status", "503", "ms", ms), drop, hold, post("/test/refuse", "status", "0")}
	case ExpireToken:
		return []Step{post("/test/expire", "token", token), drop}
	case Restart:
		return []Step{post("/test/goaway", "ms", ms), hold, post("/test/refuse", "status", "0")}
	}
	return nil
}

// Unfault lifts every fault that lasts, for the end of a run.
func Unfault() []Step {
	return []Step{
		{Path: "/test/proxy/stall", Params: map[string]string{"on": "0"}},
		{Path: "/test/proxy/hold", Params: map[string]string{"on": "0"}},
		{Path: "/test/proxy/delay", Params: map[string]string{"ms": "0"}},
		{Path: "/test/refuse", Params: map[string]string{"status": "0"}},
	}
}

// Run applies steps in order: post for each control, a wait for each Hold
// (the fault is on for that long). Each run posts through its own client.
func Run(steps []Step, post func(path string, params map[string]string)) {
	for _, s := range steps {
		if s.Path == "" {
			time.Sleep(s.Hold)
			continue
		}
		post(s.Path, s.Params)
	}
}
