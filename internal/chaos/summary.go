package chaos

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Summary is the table a chaos run prints.
type Summary struct {
	Faults     map[Kind]int
	CloseCodes map[int]int // Close faults by code
	Restarts   int         // Start called again after 4002/4003

	// Client -> server messages. Reclaimed: given back unsent by a socket
	// that failed, to go out on the next one.
	Sent, Accepted, Delivered, InFlight, Refused, Lost, Reclaimed int
	// Server -> client pushes written on at least one socket: delivered, in
	// flight (the client's socket failed after the write), orphaned (written
	// only on sockets the client had already dropped) or lost. NotWritten:
	// the server had no open socket or its write failed; DeliveredAnyway: of
	// those, the client still got.
	Pushed, PushDelivered, PushInFlight, PushOrphaned, PushLost int
	PushNotWritten, PushDeliveredAnyway                         int

	Sockets          int // client sockets opened
	MaxClientSockets int // open at once, on the client's side
	MaxServerSockets int // open at once at the server, lingering ones included
	MaxLingering     int // open at the server although the client had dropped them

	// In flight, by the fault in progress when their socket ended.
	InFlightBy, PushInFlightBy map[string]int

	Reconnect  Quantiles          // abnormal end of a socket -> next socket open
	Detect     map[Kind]Quantiles // fault -> end of the socket it hit
	Violations int
}

// Quantiles of a set of durations.
type Quantiles struct {
	N             int
	P50, P99, Max time.Duration
}

// QuantilesOf is the p50, p99 and max of ds (any order; ds is not changed).
func QuantilesOf(ds []time.Duration) Quantiles {
	if len(ds) == 0 {
		return Quantiles{}
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	at := func(p float64) time.Duration { return ds[int(p*float64(len(ds)-1)+0.5)] }
	return Quantiles{N: len(ds), P50: at(0.5), P99: at(0.99), Max: ds[len(ds)-1]}
}

func (q Quantiles) String() string {
	if q.N == 0 {
		return "n=0"
	}
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("n=%d p50 %v p99 %v max %v", q.N, r(q.P50), r(q.P99), r(q.Max))
}

// Summary sums the run up.
func (l *Ledger) Summary() Summary {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.analyze(true)
	s := Summary{
		Faults: map[Kind]int{}, CloseCodes: map[int]int{}, Restarts: l.restarts,
		Sent: t.sent, Accepted: t.accepted, Delivered: t.delivered, InFlight: t.inFlight,
		Refused: t.refused, Lost: t.lost, Reclaimed: l.reclaimed,
		Pushed: t.pushed, PushDelivered: t.pushDelivered, PushInFlight: t.pushInFlight, PushOrphaned: t.pushOrphaned,
		PushLost: t.pushLost, PushNotWritten: t.notWritten, PushDeliveredAnyway: t.lateDelivered,
		Sockets: len(l.sockets), MaxServerSockets: l.serverMax, MaxLingering: l.lingerMax,
		Detect: map[Kind]Quantiles{}, Violations: len(t.violations),
		InFlightBy: t.inFlightBy, PushInFlightBy: t.pushInFlightBy,
	}
	for _, f := range l.faults {
		s.Faults[f.f.Kind]++
		if f.f.Kind == Close {
			s.CloseCodes[f.f.Code]++
		}
	}

	socks := l.openOrder()
	var reconnect []time.Duration
	open := 0
	type edge struct {
		at time.Time
		d  int
	}
	var edges []edge
	for i, sk := range socks {
		edges = append(edges, edge{sk.opened, +1})
		if sk.isEnded {
			edges = append(edges, edge{sk.ended, -1})
		}
		if sk.isEnded && sk.abnormal && i+1 < len(socks) {
			reconnect = append(reconnect, socks[i+1].opened.Sub(sk.ended))
		}
	}
	slices.SortStableFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.d - b.d // an end and an open at the same instant do not overlap
	})
	for _, e := range edges {
		open += e.d
		s.MaxClientSockets = max(s.MaxClientSockets, open)
	}
	s.Reconnect = QuantilesOf(reconnect)

	// Detection: from each fault to the first abnormal socket end after it,
	// if that comes before the next fault.
	detect := map[Kind][]time.Duration{}
	faults := slices.Clone(l.faults)
	slices.SortStableFunc(faults, func(a, b injected) int { return a.at.Compare(b.at) })
	ends := make([]time.Time, 0, len(socks))
	for _, sk := range socks {
		if sk.isEnded && sk.abnormal { // not the client's own close at the end
			ends = append(ends, sk.ended)
		}
	}
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	for i, f := range faults {
		j, _ := slices.BinarySearchFunc(ends, f.at, func(e, at time.Time) int { return e.Compare(at) })
		if j == len(ends) || (i+1 < len(faults) && !ends[j].Before(faults[i+1].at)) {
			continue
		}
		detect[f.f.Kind] = append(detect[f.f.Kind], ends[j].Sub(f.at))
	}
	for k, ds := range detect {
		s.Detect[k] = QuantilesOf(ds)
	}
	return s
}

// String renders the summary as a table.
func (s Summary) String() string {
	var b strings.Builder
	total := 0
	for _, n := range s.Faults {
		total += n
	}
	fmt.Fprintf(&b, "faults injected        %6d\n", total)
	for _, k := range AllKinds() {
		if s.Faults[k] == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %-20s %6d", k, s.Faults[k])
		if k == Close {
			codes := make([]int, 0, len(s.CloseCodes))
			for c := range s.CloseCodes {
				codes = append(codes, c)
			}
			slices.Sort(codes)
			b.WriteString("   codes")
			for _, c := range codes {
				fmt.Fprintf(&b, " %d×%d", c, s.CloseCodes[c])
			}
		}
		if q, ok := s.Detect[k]; ok {
			fmt.Fprintf(&b, "   socket ended after: %v", q)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "restarts (4002/4003)   %6d\n", s.Restarts)
	fmt.Fprintf(&b, "messages sent          %6d   accepted %d, refused (outbox full) %d\n", s.Sent, s.Accepted, s.Refused)
	fmt.Fprintf(&b, "  delivered            %6d   (reclaimed unsent from a failed socket and sent again: %d)\n", s.Delivered, s.Reclaimed)
	fmt.Fprintf(&b, "  in flight at a drop  %6d%s\n", s.InFlight, byFault(s.InFlightBy))
	fmt.Fprintf(&b, "  lost                 %6d\n", s.Lost)
	fmt.Fprintf(&b, "pushes written         %6d   not written (no open socket / write failed) %d, delivered anyway %d\n",
		s.Pushed, s.PushNotWritten, s.PushDeliveredAnyway)
	fmt.Fprintf(&b, "  delivered            %6d\n", s.PushDelivered)
	fmt.Fprintf(&b, "  in flight at a drop  %6d%s\n", s.PushInFlight, byFault(s.PushInFlightBy))
	fmt.Fprintf(&b, "  to a dropped socket  %6d\n", s.PushOrphaned)
	fmt.Fprintf(&b, "  lost                 %6d\n", s.PushLost)
	fmt.Fprintf(&b, "sockets opened         %6d   max at once: client %d, server %d (lingering half-open: %d)\n",
		s.Sockets, s.MaxClientSockets, s.MaxServerSockets, s.MaxLingering)
	fmt.Fprintf(&b, "reconnection (drop -> open)  %v\n", s.Reconnect)
	fmt.Fprintf(&b, "violations             %6d\n", s.Violations)
	return b.String()
}

// byFault renders counts by fault as "   (stall-reads 40, drop 3)".
func byFault(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	return "   (" + Counts(m) + ")"
}

// Counts renders counts by name as "stall-reads 40, drop 3": most first,
// then by name.
func Counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
