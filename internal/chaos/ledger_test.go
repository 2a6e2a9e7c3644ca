package chaos_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/internal/chaos"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// clean is a history that keeps every promise, with one of each excuse:
//
//	socket 1 open 0-100 ms, dropped: wrote 1 2 3, the server got 1 2 (3 in flight)
//	4 refused (outbox full) while reconnecting, 5 queued
//	socket 2 open 150 ms until the client's close at 500 ms: flushed 5, wrote 6
//	pushes: 1 at 10 ms delivered; 2 at 90 ms lost with socket 1 (in flight);
//	3 not written (no socket); 4 at 120 ms, no socket open (in flight);
//	5 at 200 ms delivered
func clean() *chaos.Ledger {
	l := chaos.NewLedger()
	l.Injected(chaos.Fault{Kind: chaos.Drop}, at(99))
	l.Opened(1, at(0))
	for _, seq := range []int{1, 2, 3} {
		l.Sent(seq, true)
		l.Wrote(1, seq)
	}
	l.ServerConn(10, 1, []int{1, 2})
	l.Ended(1, at(100), true)
	l.Sent(4, false)
	l.Sent(5, true)
	l.Opened(2, at(150))
	l.Wrote(2, 5)
	l.Sent(6, true)
	l.Wrote(2, 6)
	l.ServerConn(11, 2, []int{5, 6})
	l.Ended(2, at(500), false)

	l.Pushed(1, at(10), 1)
	l.Received(1)
	l.Pushed(2, at(90), 1)
	l.Pushed(3, at(110), 0)
	l.Pushed(4, at(120), 1)
	l.Pushed(5, at(200), 1)
	l.Received(5)
	return l
}

func TestCleanHistoryPasses(t *testing.T) {
	t.Parallel()
	l := clean()
	if v := l.Check(); len(v) != 0 {
		t.Fatalf("violations in a clean history: %v", v)
	}
	s := l.Summary()
	want := chaos.Summary{Sent: 6, Accepted: 5, Delivered: 4, InFlight: 1, Refused: 1,
		Pushed: 4, PushDelivered: 2, PushInFlight: 1, PushOrphaned: 1, PushNotWritten: 1,
		Sockets: 2, MaxClientSockets: 1}
	got := s
	if s.InFlightBy["drop"] != 1 || s.PushInFlightBy["drop"] != 1 {
		t.Fatalf("in flight by fault: %v and %v, want drop 1 and 1", s.InFlightBy, s.PushInFlightBy)
	}
	got.Faults, got.CloseCodes, got.Detect, got.Reconnect = nil, nil, nil, chaos.Quantiles{}
	got.InFlightBy, got.PushInFlightBy = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("summary\n%+v\nwant\n%+v", got, want)
	}
	if s.Reconnect.N != 1 || s.Reconnect.P50 != 50*time.Millisecond {
		t.Fatalf("reconnection %v, want one of 50ms", s.Reconnect)
	}
	if q := s.Detect[chaos.Drop]; q.N != 1 || q.Max != time.Millisecond {
		t.Fatalf("detection %v, want one of 1ms", q)
	}
	table := s.String()
	rows := map[string]string{}
	for _, line := range strings.Split(table, "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			rows[f[0]] = f[1]
		}
	}
	if rows["drop"] != "1" || rows["violations"] != "0" || rows["lost"] != "0" || !strings.Contains(table, "client 1") {
		t.Fatalf("table:\n%s", table)
	}
}

// The ledger sees the same thing whatever order the records arrive in.
func TestRecordOrderDoesNotMatter(t *testing.T) {
	t.Parallel()
	l := chaos.NewLedger()
	l.ServerConn(11, 0, []int{2}) // socket found from the writes
	l.Ended(1, at(100), true)
	l.Wrote(1, 2)
	l.Wrote(1, 1)
	l.ServerConn(11, 0, []int{1, 2})
	l.Opened(1, at(0))
	l.Sent(2, true)
	l.Sent(1, true)
	l.Ended(1, at(300), false) // only the first end counts
	if v := l.Check(); len(v) != 0 {
		t.Fatalf("violations: %v", v)
	}
}

func TestEachViolationIsFound(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		spoil func(l *chaos.Ledger)
		want  string // the violation's What
		seq   int
	}{
		{"delivered twice", func(l *chaos.Ledger) { l.ServerConn(11, 2, []int{2, 5, 6}); l.Wrote(2, 2) }, "duplicate", 2},
		{"reordered on one socket", func(l *chaos.Ledger) { l.ServerConn(11, 2, []int{6, 5}) }, "out-of-order", 5},
		{"reordered across sockets", func(l *chaos.Ledger) {
			l.Sent(7, true)
			l.Wrote(1, 7)
			l.ServerConn(10, 1, []int{1, 2, 7}) // 7 arrived on the old socket, before 5 on the new
		}, "out-of-order", 5},
		{"accepted, never written", func(l *chaos.Ledger) { l.Sent(7, true) }, "lost", 7},
		{"gap before what arrived", func(l *chaos.Ledger) { l.ServerConn(10, 1, []int{1, 3}) }, "lost", 2},
		{"written on a socket closed normally", func(l *chaos.Ledger) {
			l.Sent(7, true)
			l.Wrote(2, 7)
		}, "lost", 7},
		{"written on a socket still open", func(l *chaos.Ledger) {
			l.Opened(3, at(600))
			l.Sent(7, true)
			l.Wrote(3, 7)
		}, "lost", 7},
		{"refused, then delivered", func(l *chaos.Ledger) { l.Wrote(2, 4); l.ServerConn(11, 2, []int{4, 5, 6}) }, "refused-delivered", 4},
		{"refused, then written", func(l *chaos.Ledger) { l.Wrote(2, 4) }, "refused-written", 4},
		{"written twice", func(l *chaos.Ledger) { l.Wrote(2, 3) }, "written-twice", 3},
		{"delivered, never sent", func(l *chaos.Ledger) { l.ServerConn(11, 2, []int{5, 6, 9}) }, "unknown", 9},
		{"delivered on another socket", func(l *chaos.Ledger) { l.ServerConn(10, 1, []int{1, 2, 5}); l.ServerConn(11, 2, []int{6}) }, "misrouted", 5},
		{"two sockets at once", func(l *chaos.Ledger) { l.Opened(3, at(400)) }, "sockets", 0},
		{"push delivered twice", func(l *chaos.Ledger) { l.Received(5) }, "push-duplicate", 5},
		{"push out of order", func(l *chaos.Ledger) { l.Pushed(6, at(210), 1); l.Received(4); l.Received(6) }, "push-out-of-order", 4},
		{"push lost on a healthy socket", func(l *chaos.Ledger) { l.Pushed(6, at(300), 1) }, "push-lost", 6},
		{"push never sent", func(l *chaos.Ledger) { l.Received(8) }, "push-unknown", 8},
		{"reclaimed, then lost", func(l *chaos.Ledger) { l.Reclaimed(1, 3) }, "lost", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := clean()
			tc.spoil(l)
			vs := l.Check()
			found := false
			for _, v := range vs {
				if v.What == tc.want && v.Seq == tc.seq {
					found = true
				}
			}
			if !found {
				t.Fatalf("want %s of seq %d, got %v", tc.want, tc.seq, vs)
			}
			if s := l.Summary(); s.Violations != len(vs) {
				t.Fatalf("summary counts %d violations, Check %d", s.Violations, len(vs))
			}
		})
	}
}

func TestCheckSoFarLeavesOutWhatIsOnItsWay(t *testing.T) {
	t.Parallel()
	l := clean()
	l.Opened(3, at(600))
	l.Sent(7, true)
	l.Wrote(3, 7)   // on its way on the open socket 3
	l.Sent(8, true) // in the outbox
	l.Pushed(6, at(700), 1)
	l.ServerConn(13, 0, []int{10}) // before the sender recorded Send's answer
	l.Received(7)                  // before the pusher recorded the push
	if vs := l.CheckSoFar(); len(vs) != 0 {
		t.Fatalf("mid-run: %v", vs)
	}
	if vs := l.Check(); len(vs) != 5 {
		t.Fatalf("at the end: %v, want 7, 8 and push 6 lost, 10 and push 7 unknown", vs)
	}
	l.Sent(10, true)
	l.Pushed(7, at(710), 1)
	l.Sent(9, true)
	l.Wrote(3, 9)
	l.ServerConn(12, 3, []int{9}) // 9 arrived, 7 before it did not: a gap
	vs := l.CheckSoFar()
	if len(vs) != 1 || vs[0].What != "lost" || vs[0].Seq != 7 {
		t.Fatalf("mid-run gap: %v", vs)
	}
}

// A message the failed socket gave back unsent and the next socket sent is
// delivered once, not written twice.
func TestReclaimedMessagesCountOnce(t *testing.T) {
	t.Parallel()
	l := clean()
	l.Reclaimed(1, 3) // 3 never left socket 1...
	l.Wrote(2, 3)     // ...and went out first on socket 2
	l.ServerConn(11, 2, []int{3, 5, 6})
	if vs := l.Check(); len(vs) != 0 {
		t.Fatalf("violations: %v", vs)
	}
	if s := l.Summary(); s.Delivered != 5 || s.InFlight != 0 || s.Reclaimed != 1 {
		t.Fatalf("summary %+v", s)
	}
}
