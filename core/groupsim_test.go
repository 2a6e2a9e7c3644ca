//go:build !js

package core_test

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

var (
	simN     = flag.Int("groupsim.n", 300, "shared-mode schedules to simulate (60 with -race or -short unless given)")
	simSeed  = flag.Uint64("groupsim.seed", 1, "the first schedule's seed; schedule i runs seed+i (a failure prints its own)")
	simSteps = flag.Int("groupsim.steps", 24, "faults per schedule")
	simTrace = flag.Bool("groupsim.trace", false, "print each schedule's log (use with -groupsim.n=1)")
)

// TestGroupSim runs shared mode as a deterministic simulation: in each
// schedule 1 to 6 tabs, each running the real group state machine and the
// real core.Client, over in-memory BroadcastChannels, Web Locks and a
// KissJS server, through a seeded random schedule of faults (tabs opening,
// closing, crashing, freezing, stuck for seconds, hidden and shown; the app
// sending and closing; the server dropping, refusing, closing with 4002,
// 4003 and 1001; tokens expiring and revoked; a switch of session). The
// ledger checks its invariants all along and at each settled point (see
// simLedger and settled). A failing schedule prints the command that
// replays it with its log.
func TestGroupSim(t *testing.T) {
	n, seed := *simN, *simSeed
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "groupsim.n" })
	if !given && (raceEnabled || testing.Short()) {
		n = 60
	}
	workers := runtime.GOMAXPROCS(0)
	if *simTrace {
		workers = 1
	}
	var (
		next   atomic.Int64
		mu     sync.Mutex
		failed []string
		totals simTotals
	)
	// The schedules allocate much and keep little: collect less often.
	defer debug.SetGCPercent(debug.SetGCPercent(800))
	began := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				s := seed + uint64(i)
				var res simResult
				synctest.Test(t, func(*testing.T) { res = runSchedule(s, *simSteps, *simTrace) })
				mu.Lock()
				totals.add(&res)
				if len(res.bad) > 0 {
					failed = append(failed, fmt.Sprintf("seed %d: %s\n  replay: go test -run '^TestGroupSim$' -count=1 -v ./core/ -groupsim.n=1 -groupsim.seed=%d -groupsim.steps=%d -groupsim.trace",
						s, strings.Join(res.bad[:min(len(res.bad), 5)], "\n    "), s, *simSteps))
					if len(failed) >= 5 {
						next.Store(int64(n)) // enough to go on
					}
				}
				if res.log != "" {
					fmt.Print(res.log)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	fmt.Printf("groupsim: %d schedules (seeds %d..%d, %d faults each) in %v: %s\n",
		totals.schedules, seed, seed+uint64(n)-1, *simSteps, time.Since(began).Round(time.Millisecond), totals)
	for _, f := range failed {
		t.Error(f)
	}
}

type simResult struct {
	bad                        []string
	log                        string
	tabs, faults               int
	accepted, recv, dups, lost int
	crashLost, twice           int
	reordered                  int
	settles                    int
	simTime                    time.Duration
	maxOpen                    int
	faultsByKind               [faultCount]int
}

type simTotals struct {
	simResult
	schedules int
}

func (s *simTotals) add(r *simResult) {
	s.schedules++
	s.tabs += r.tabs
	s.faults += r.faults
	s.accepted += r.accepted
	s.recv += r.recv
	s.dups += r.dups
	s.lost += r.lost
	s.crashLost += r.crashLost
	s.twice += r.twice
	s.reordered += r.reordered
	s.settles += r.settles
	s.simTime += r.simTime
	s.maxOpen = max(s.maxOpen, r.maxOpen)
	for i, n := range r.faultsByKind {
		s.faultsByKind[i] += n
	}
}

func (s simTotals) String() string {
	var kinds []string
	for k := fault(1); k < faultCount; k++ {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, s.faultsByKind[k]))
	}
	return fmt.Sprintf("%d tabs, %d faults, %v simulated, %d settled points; messages accepted %d, read by the server %d "+
		"(leaders gone with frames unconfirmed: resent twice %d, lost in their failed socket %d; given back by a stuck leader's failed socket after later ones, sent late %d; "+
		"lost after a server's own close %d); "+
		"most sockets open at once %d (server frames a tab got twice across two leaders' sockets %d)\n  faults: %s",
		s.tabs, s.faults, s.simTime.Round(time.Second), s.settles, s.accepted, s.recv, s.dups, s.crashLost, s.reordered, s.lost,
		s.maxOpen, s.twice, strings.Join(kinds, ", "))
}
