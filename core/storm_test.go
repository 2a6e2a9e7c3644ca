//go:build unix

package core_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
	"github.com/kissjs/kiss-websocket/internal/kissserver"
)

// TestStorm measures a reconnection storm: many native clients on one
// server, which first restarts (GoAway: every socket closed with 1001) and
// later loses every TCP connection at once (DropAll: 1006). It prints when
// the clients come back, per 100 ms, for KissJS's default reconnection
// (delay 5 s, delta 2) and for no jitter at all (delta 0). It takes about a
// minute and is skipped unless KISS_STORM=1:
//
//	KISS_STORM=1 go test -run TestStorm -v -timeout 15m ./core/
//
// KISS_STORM_CLIENTS changes the number of clients (default 2000).
func TestStorm(t *testing.T) {
	if os.Getenv("KISS_STORM") != "1" {
		t.Skip("set KISS_STORM=1 to run the reconnection storm")
	}
	n := 2000
	if s := os.Getenv("KISS_STORM_CLIENTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("KISS_STORM_CLIENTS=%q", s)
		}
		n = v
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	// Both ends of every socket live in this process, plus token checks.
	if need := uint64(2*n + 500); lim.Cur < need {
		t.Skipf("open file limit %d, need %d for %d clients (ulimit -n)", lim.Cur, need, n)
	}
	t.Logf("%d clients, open file limit %d", n, lim.Cur)
	for _, delta := range []float64{2, 0} {
		cfg := core.Defaults() // delay 5 s, 10 attempts, heartbeat 10 s / 35 s
		cfg.Reconnection.Delta = delta
		t.Run(fmt.Sprintf("delay=5s,delta=%v", delta), func(t *testing.T) { storm(t, n, cfg) })
	}
}

// arrivals records when each client first (re)connected, by phase.
type arrivals struct {
	mu    sync.Mutex
	phase int
	at    map[int]map[int]time.Time // phase -> client -> first arrival
	lost  int                       // EVT_CONNECTION_LOST or EVT_UNUSABLE_TOKEN: must stay 0
}

func (a *arrivals) add(client int, kind core.EventKind) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	switch kind {
	case core.EventConnected, core.EventReconnected:
		if a.at[a.phase] == nil {
			a.at[a.phase] = map[int]time.Time{}
		}
		if _, seen := a.at[a.phase][client]; !seen {
			a.at[a.phase][client] = now
		}
	case core.EventConnectionLost, core.EventUnusableToken:
		a.lost++
	}
}

func (a *arrivals) count(phase int) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.at[phase])
}

func storm(t *testing.T, n int, cfg core.Config) {
	srv := kissserver.New(kissserver.Options{})
	hs := httptest.NewServer(srv)
	tr := &http.Transport{MaxIdleConnsPerHost: 100}
	hc := &http.Client{Transport: tr}
	defer func() {
		srv.Close()
		hs.Close()
		tr.CloseIdleConnections()
	}()
	host := strings.TrimPrefix(hs.URL, "http://")
	check := func(tok string) func(core.Context, string) core.TokenStatus {
		return func(ctx core.Context, _ string) core.TokenStatus {
			if st := validity(ctx, hc, hs.URL, tok); st != tokenExpired {
				return st
			}
			return core.TokenUnknown // storm tokens do not expire
		}
	}
	arr := &arrivals{at: map[int]map[int]time.Time{}}
	clients := make([]*core.Client, n)
	for i := range clients {
		tok := srv.Login(fmt.Sprintf("user%d", i)).Token
		clients[i] = core.New(core.Options{
			Dialer:     core.NativeDialer{HTTPClient: hc},
			URL:        func(core.Config) (string, error) { return core.SocketURL("ws://"+host+"/?token=", tok), nil },
			CheckToken: check(tok),
			OnEvent:    func(e core.Event) { arr.add(i, e.Kind) },
		})
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
		deadline := time.Now().Add(30 * time.Second)
		for _, c := range clients {
			for c.State() != core.StateClosed && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			c.Wait()
		}
	}()

	// Connect everyone, 100 handshakes at a time.
	began := time.Now()
	sem := make(chan struct{}, 100)
	for _, c := range clients {
		sem <- struct{}{}
		res, _, err := c.Start(cfg)
		if err != nil {
			t.Fatal(err)
		}
		go func() { <-res; <-sem }()
	}
	if !waitAll(arr, 0, n, time.Minute) {
		t.Fatalf("only %d of %d clients connected", arr.count(0), n)
	}
	t.Logf("%d clients connected in %v", n, time.Since(began).Round(time.Millisecond))

	phases := []struct {
		name  string
		cause func()
	}{
		{"server restart: GoAway(0), every socket closed with 1001", func() { srv.GoAway(0) }},
		{"network cut: DropAll, every TCP connection reset (1006)", srv.DropAll},
	}
	for i, ph := range phases {
		arr.mu.Lock()
		arr.phase = i + 1
		arr.mu.Unlock()
		attempts := func() (sum uint64) {
			for _, c := range clients {
				sum += c.Stats().Attempts
			}
			return sum
		}
		before := attempts()
		t0 := time.Now()
		ph.cause()
		ok := waitAll(arr, i+1, n, time.Minute)
		arr.mu.Lock()
		var times []time.Time
		for _, at := range arr.at[i+1] {
			times = append(times, at)
		}
		lost := arr.lost
		arr.mu.Unlock()
		t.Logf("\n%s  attempts: %d for %d clients; upgrades accepted in total: %d\n",
			report(ph.name, cfg.Reconnection, t0, times, n), attempts()-before, n, srv.Upgrades(""))
		if !ok {
			t.Errorf("only %d of %d clients came back within a minute", len(times), n)
		}
		if lost != 0 {
			t.Errorf("%d clients gave up", lost)
		}
		time.Sleep(time.Second) // let the last handshakes settle
	}
}

func waitAll(arr *arrivals, phase, n int, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for arr.count(phase) < n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// report renders the arrivals after t0 as a histogram per 100 ms, ten
// buckets a line, with the quantiles and the time until all were back.
func report(name string, r core.Reconnection, t0 time.Time, times []time.Time, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s; delay %v, delta %v:\n", name, r.Delay, r.Delta)
	if len(times) == 0 {
		b.WriteString("  nobody came back\n")
		return b.String()
	}
	offs := make([]time.Duration, len(times))
	for i, at := range times {
		offs[i] = at.Sub(t0)
	}
	slices.Sort(offs)
	const bucket = 100 * time.Millisecond
	counts := make([]int, int(offs[len(offs)-1]/bucket)+1)
	for _, d := range offs {
		counts[int(d/bucket)]++
	}
	peak, peakAt := 0, 0
	for i, c := range counts {
		if c > peak {
			peak, peakAt = c, i
		}
	}
	fmt.Fprintf(&b, "  arrivals per 100 ms (row = 1 s, from the outage):\n")
	for s := 0; s*10 < len(counts); s++ {
		row := counts[s*10 : min(s*10+10, len(counts))]
		if slices.Max(row) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %3ds |", s)
		for _, c := range row {
			fmt.Fprintf(&b, " %4d", c)
		}
		b.WriteString("\n")
	}
	q := func(p float64) time.Duration { return offs[int(p*float64(len(offs)-1))].Round(time.Millisecond) }
	fmt.Fprintf(&b, "  back: %d of %d; first %v, median %v, p99 %v, all back after %v\n",
		len(offs), n, q(0), q(0.5), q(0.99), offs[len(offs)-1].Round(time.Millisecond))
	fmt.Fprintf(&b, "  peak %d arrivals in the 100 ms from %v (%.0f/s)\n",
		peak, time.Duration(peakAt)*bucket, float64(peak)/bucket.Seconds())
	return b.String()
}
