// Package chaos drives and judges chaos runs of the client: a seeded
// schedule of faults, and a ledger of what was sent, written, received and
// pushed, which tells whether anything was lost, duplicated or reordered.
//
// It is pure Go (no net, no syscall/js), so the native chaos test and the
// browser one share it: each feeds the ledger from its own instrumentation,
// and both apply a fault as its Steps describe it, through the same HTTP
// controls (the dev server's, or the same handlers mounted natively).
package chaos

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Kind is one sort of fault.
type Kind int

const (
	// Drop cuts the TCP connection with a reset (proxy): the client sees 1006.
	Drop Kind = iota
	// Close has the server close every socket with Fault.Code.
	Close
	// StallReads stops all traffic both ways without closing anything
	// (proxy): a half-open peer, which only the heartbeat detects. Hold is
	// longer than heartbeat delay + timeout.
	StallReads
	// StallHandshake cuts the connection and holds new ones unanswered for
	// Hold, longer than the connect timeout, so attempts time out.
	StallHandshake
	// DelayFrames holds every chunk of traffic for Fault.Delay during Hold.
	DelayFrames
	// RefuseUpgrades cuts the connection and refuses upgrades (503) for Hold.
	RefuseUpgrades
	// ExpireToken expires the session token and cuts the connection: the
	// refused upgrade makes the client's checker refresh the token.
	ExpireToken
	// Restart is a graceful restart: upgrades refused for Hold, every socket
	// closed with 1001.
	Restart
	numKinds
)

var kindNames = [...]string{"drop", "close", "stall-reads", "stall-handshake", "delay-frames",
	"refuse-upgrades", "expire-token", "restart"}

func (k Kind) String() string {
	if k >= 0 && k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// AllKinds lists every kind, in declaration order.
func AllKinds() []Kind {
	out := make([]Kind, numKinds)
	for i := range out {
		out[i] = Kind(i)
	}
	return out
}

// CloseCodes are the codes a Close fault picks from. 1006 is missing: no
// endpoint may send it. 4002 and 4003 stop the client by design, so the
// driver calls Start again after them (and counts it).
var CloseCodes = []int{1000, 1001, 1011, 4000, 4001, 4500, 4002, 4003}

// Stops reports whether a close with code stops the client for good, so the
// driver must call Start again.
func Stops(code int) bool { return code == 4002 || code == 4003 }

// Fault is one step of a schedule.
type Fault struct {
	Kind  Kind
	Code  int           // Close: the close code
	Hold  time.Duration // how long the fault lasts (0: it is instantaneous)
	Delay time.Duration // DelayFrames: the delay of each chunk
	Pause time.Duration // quiet time after the client recovered
}

func (f Fault) String() string {
	s := f.Kind.String()
	switch {
	case f.Kind == Close:
		s += fmt.Sprintf(" %d", f.Code)
	case f.Kind == DelayFrames:
		s += fmt.Sprintf(" %v for %v", f.Delay, f.Hold)
	case f.Hold > 0:
		s += fmt.Sprintf(" for %v", f.Hold)
	}
	return s
}

// Timing is the client configuration the fault durations derive from: a
// stall must outlast the heartbeat to be detected, a held handshake must
// outlast the connect timeout.
type Timing struct {
	HeartbeatDelay   time.Duration
	HeartbeatTimeout time.Duration
	ConnectTimeout   time.Duration
}

// DefaultTiming is the configuration of the native chaos run: heartbeat
// every 100 ms, dead after 300 ms, handshakes abandoned after 300 ms.
func DefaultTiming() Timing {
	return Timing{
		HeartbeatDelay:   100 * time.Millisecond,
		HeartbeatTimeout: 300 * time.Millisecond,
		ConnectTimeout:   300 * time.Millisecond,
	}
}

// Schedule is DefaultTiming().Schedule.
func Schedule(seed int64, n int, kinds []Kind) []Fault {
	return DefaultTiming().Schedule(seed, n, kinds)
}

// Schedule returns n faults drawn from kinds (every kind when kinds is
// empty), the same for the same seed. Kinds come in shuffled rounds, each
// kind once per round, so a short run still sees every kind.
func (tm Timing) Schedule(seed int64, n int, kinds []Kind) []Fault {
	if len(kinds) == 0 {
		kinds = AllKinds()
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6b6973736a73)) // "kissjs"
	between := func(lo, hi time.Duration) time.Duration {
		if hi <= lo {
			return lo
		}
		return lo + time.Duration(rng.Int64N(int64(hi-lo)+1)).Round(time.Millisecond)
	}
	ms := time.Millisecond
	out := make([]Fault, 0, max(n, 0))
	var round []Kind
	for len(out) < n {
		if len(round) == 0 {
			round = append(round, kinds...)
			rng.Shuffle(len(round), func(i, j int) { round[i], round[j] = round[j], round[i] })
		}
		f := Fault{Kind: round[0], Pause: between(20*ms, 150*ms)}
		round = round[1:]
		switch f.Kind {
		case Close:
			f.Code = CloseCodes[rng.IntN(len(CloseCodes))]
		case StallReads:
			detect := tm.HeartbeatDelay + tm.HeartbeatTimeout
			f.Hold = detect + between(50*ms, 250*ms)
		case StallHandshake:
			f.Hold = tm.ConnectTimeout + between(50*ms, tm.ConnectTimeout)
		case DelayFrames:
			// A round trip crosses the proxy twice and may queue behind a
			// chunk each way: up to 4 delays, kept under the timeout.
			f.Delay = between(5*ms, max(5*ms, tm.HeartbeatTimeout/5))
			f.Hold = between(200*ms, 800*ms)
		case RefuseUpgrades, Restart:
			f.Hold = between(50*ms, 400*ms)
		}
		out = append(out, f)
	}
	return out
}
