package core_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// The group state machine fed by hand: each test gives events and reads
// the effects. The simulation (groupsim_test.go) runs it with real clients
// through faults; these pin its single steps.

var epoch = 1e9 * time.Second // a Date.now()

// fxs describes effects as "kind[ detail]" strings, for comparing.
func fxs(out []core.GroupEffect) []string {
	var s []string
	for _, fx := range out {
		d := fx.Kind.String()
		switch fx.Kind {
		case core.FxPost:
			d += " " + fx.Msg.T.String()
		case core.FxLock:
			if fx.Steal {
				d += " steal"
			}
		case core.FxStartTimer, core.FxStopTimer:
			d += " " + fx.Timer.String()
		case core.FxListen:
			d += " " + strconv.FormatBool(fx.On)
		case core.FxLead:
			if fx.On {
				d += " gen " + strconv.FormatUint(fx.Req, 10)
			} else {
				d += " off"
			}
		case core.FxFast:
			if fx.On {
				d += " from " + strconv.FormatUint(fx.Msg.Seq, 10)
			} else {
				d += " off"
			}
		}
		s = append(s, d)
	}
	return s
}

func wantFx(t *testing.T, got []core.GroupEffect, want ...string) {
	t.Helper()
	if g := strings.Join(fxs(got), ", "); g != strings.Join(want, ", ") {
		t.Fatalf("effects:\n  %s\nwant\n  %s", g, strings.Join(want, ", "))
	}
}

func find(t *testing.T, out []core.GroupEffect, kind core.GroupEffectKind) core.GroupEffect {
	t.Helper()
	for _, fx := range out {
		if fx.Kind == kind {
			return fx
		}
	}
	t.Fatalf("no %s in %v", kind, fxs(out))
	return core.GroupEffect{}
}

const appURL = "wss://app.example/?token=abc.def&x=1"

// The key leaves the token out, and the name is the loader's hash of it
// (vectors from the loader's own hash, run in node), so a lock or channel
// name never carries the token, the URL or the user.
func TestGroupKeyAndName(t *testing.T) {
	t.Parallel()
	key := core.GroupKey(appURL, "user:alice")
	if key != "wss://app.example/?token=&x=1\nuser:alice" {
		t.Fatalf("key %q", key)
	}
	for _, c := range []struct{ key, name string }{
		{key, "kiss-websocket:5436fa74-e3ac7594"},
		{"ws://h/\nuser:é😀", "kiss-websocket:474e754d-c7258ff5"},
		{"", "kiss-websocket:811c9dc5-2545f491"},
	} {
		if got := core.GroupName(c.key); got != c.name {
			t.Errorf("GroupName(%q) = %s, want %s", c.key, got, c.name)
		}
	}
}

// tab is one group machine and its clock.
type handT struct {
	g   *core.Group
	now time.Duration
}

func handTab(name string) *handT {
	return &handT{g: core.NewGroup(core.GroupOptions{Tab: name, Rand: func() float64 { return 0.5 }}), now: epoch}
}

func (tb *handT) step(evs ...core.GroupEvent) []core.GroupEffect {
	return append([]core.GroupEffect(nil), tb.g.Step(tb.now, evs)...)
}

func (tb *handT) dial(conn core.ConnID) []core.GroupEffect {
	return tb.step(core.GroupEvent{Kind: core.EvDial, Conn: conn, URL: appURL, Session: "user:alice"})
}

func (tb *handT) msg(channel string, m core.GroupMsg) []core.GroupEffect {
	return tb.step(core.GroupEvent{Kind: core.EvMessage, Name: channel, Msg: m})
}

var (
	key      = core.GroupKey(appURL, "user:alice")
	name     = core.GroupName(key)
	timing   = core.DefaultGroupTiming()
	openInfo = core.SocketInfo{Gen: 1}
)

// A tab's first dial joins the group and asks for the lead; the grant makes
// it lead, which moves its stand-in to a socket of its own (a handover of
// the same attempt), and its next dial opens the real socket.
func TestGroupFirstTabLeads(t *testing.T) {
	t.Parallel()
	a := handTab("a")
	out := a.dial(1)
	wantFx(t, out, "listen true", "lock", "post join", "start-timer join")
	if j := find(t, out, core.FxStartTimer); j.After != timing.JoinWait+timing.JoinJitter/2 {
		t.Fatalf("join wait %v, want JoinWait plus half the jitter", j.After)
	}
	req := find(t, out, core.FxLock).Req
	out = a.step(core.GroupEvent{Kind: core.EvLockGranted, Req: req})
	wantFx(t, out, "listen true", "post lead", "query", "stop-timer join", "handover")
	out = a.dial(2)
	wantFx(t, out, "open-socket")
	out = a.step(core.GroupEvent{Kind: core.EvSocketOpen, Conn: 2})
	wantFx(t, out, "opened")
	out = a.step(core.GroupEvent{Kind: core.EvServe, Conn: 2})
	wantFx(t, out, "post open", "post open", "lead gen 1")
	if !a.g.Leading() || a.g.Stats().Tabs != 1 {
		t.Fatalf("leading %v, stats %+v", a.g.Leading(), a.g.Stats())
	}
}

// leader returns tab "a" leading with its socket live (generation 1).
func leader(t *testing.T) *handT {
	t.Helper()
	a := handTab("a")
	req := find(t, a.dial(1), core.FxLock).Req
	a.step(core.GroupEvent{Kind: core.EvLockGranted, Req: req})
	a.dial(2)
	a.step(core.GroupEvent{Kind: core.EvSocketOpen, Conn: 2})
	a.step(core.GroupEvent{Kind: core.EvServe, Conn: 2})
	return a
}

// follower returns tab "b" open (served) on leader "a" (generation 1).
func follower(t *testing.T) *handT {
	t.Helper()
	b := handTab("b")
	b.dial(1)
	out := b.msg(name, core.GroupMsg{T: core.MsgHello, From: "a", To: "b", Key: key, Open: true, Info: openInfo})
	wantFx(t, out, "listen true", "stop-timer join", "opened", "fast from 1")
	b.step(core.GroupEvent{Kind: core.EvServe, Conn: 1})
	return b
}

// A leader answers a join, relays to its follower, writes its batch on
// the socket it was sent for and acknowledges it at once.
func TestGroupLeaderServesAFollower(t *testing.T) {
	t.Parallel()
	a := leader(t)
	out := a.msg(name, core.GroupMsg{T: core.MsgJoin, From: "b", Key: key})
	wantFx(t, out, "relay", "post hello")
	if h := find(t, out, core.FxPost).Msg; !h.Open || h.To != "b" || h.Info.Gen != 1 {
		t.Fatalf("hello %+v", h)
	}
	batch := core.GroupMsg{T: core.MsgSend, From: "b", Gen: 1, At: a.now, Seq: 7, Frames: [][]byte{[]byte("x"), []byte("y")}}
	out = a.msg(name+"/a/in", batch)
	wantFx(t, out, "write", "post ack")
	if ack := out[1].Msg; ack.To != "b" || ack.Seq != 8 {
		t.Fatalf("ack %+v", ack)
	}
	// for a socket that is gone: no write, and the follower hears so
	batch.Gen = 0
	out = a.msg(name+"/a/in", batch)
	wantFx(t, out, "post close")
	if c := out[0].Msg; c.To != "b" || c.Gen != 0 || !c.Close.Relayed {
		t.Fatalf("close %+v", c)
	}
}

// A batch that waited longer than StaleBatch is written only once the
// lock manager has said this tab still holds the lock.
func TestGroupStaleBatchWaitsForTheLock(t *testing.T) {
	t.Parallel()
	for _, holder := range []string{"me", "thief"} {
		a := leader(t)
		out := a.msg(name+"/a/in", core.GroupMsg{T: core.MsgSend, From: "b", Gen: 1, At: a.now - timing.StaleBatch - time.Millisecond,
			Seq: 1, Frames: [][]byte{[]byte("old")}})
		wantFx(t, out, "query", "lead off")
		q := out[0].Req
		// the lead's own query (id 4 here) told it its client id: "me"
		a.step(core.GroupEvent{Kind: core.EvLockState, Req: leadQuery(t), Holder: "me"})
		out = a.step(core.GroupEvent{Kind: core.EvLockState, Req: q, Holder: holder})
		if holder == "me" {
			wantFx(t, out, "write", "post ack", "lead gen 1")
		} else {
			wantFx(t, out, "lead gen 1") // stolen: the follower resends it through the thief
		}
	}
}

// leadQuery is the id of the query leader() made when it took the lead:
// the machine numbers its requests, queries and timers in order.
func leadQuery(t *testing.T) uint64 {
	t.Helper()
	a := handTab("a")
	req := find(t, a.dial(1), core.FxLock).Req
	return find(t, a.step(core.GroupEvent{Kind: core.EvLockGranted, Req: req}), core.FxQuery).Req
}

// A follower sends in batches of at most BatchFrames, keeps them until
// acknowledged, and gives the rest back when its leader's socket closes.
func TestGroupFollowerBatchesAndAcks(t *testing.T) {
	t.Parallel()
	b := follower(t)
	frames := make([][]byte, timing.BatchFrames+44)
	for i := range frames {
		frames[i] = []byte("f" + strconv.Itoa(i))
	}
	out := b.step(core.GroupEvent{Kind: core.EvSend, Conn: 1, Frames: frames})
	wantFx(t, out, "post send", "post send", "start-timer watch", "fast from 301")
	if n := len(out[0].Msg.Frames); n != timing.BatchFrames {
		t.Fatalf("first batch %d frames", n)
	}
	if w := out[2].After; w != timing.StealAfter {
		t.Fatalf("watch %v, want StealAfter", w)
	}
	b.msg(name+"/a", core.GroupMsg{T: core.MsgAck, From: "a", To: "b", Seq: uint64(timing.BatchFrames)})
	if p := b.g.Pending(); p != 44 {
		t.Fatalf("%d pending, want 44", p)
	}
	out = b.msg(name+"/a", core.GroupMsg{T: core.MsgClose, From: "a", Gen: 1, Close: core.CloseError{Code: 1006, WasClean: true, Relayed: true},
		Owners: []string{"b"}, Resend: [][][]byte{{[]byte("acked but never sent")}}})
	c := find(t, out, core.FxClosed)
	if c.Close.WasClean || !c.Close.Relayed || len(c.Frames) != 45 || string(c.Frames[0]) != "acked but never sent" {
		t.Fatalf("closed %+v with %d frames", c.Close, len(c.Frames))
	}
}

// A stand-in the client drops while frames wait stays bound to its leader
// (an orphan): the next connection opens only once the leader answered.
func TestGroupOrphanHoldsTheNextConnection(t *testing.T) {
	t.Parallel()
	for _, answer := range []string{"ack", "close"} {
		b := follower(t)
		b.step(core.GroupEvent{Kind: core.EvSend, Conn: 1, Frames: [][]byte{[]byte("x")}})
		out := b.step(core.GroupEvent{Kind: core.EvAbort, Conn: 1}) // the heartbeat gave up
		wantFx(t, out, "post part", "fast off")
		b.dial(2)
		out = b.msg(name, core.GroupMsg{T: core.MsgHello, From: "a", To: "b", Key: key, Open: true, Info: openInfo})
		if strings.Contains(strings.Join(fxs(out), ","), "opened") {
			t.Fatalf("opened before the orphan settled: %v", fxs(out))
		}
		if answer == "ack" {
			out = b.msg(name+"/a", core.GroupMsg{T: core.MsgAck, From: "a", To: "b", Seq: 1})
			wantFx(t, out, "opened", "stop-timer watch", "fast from 2")
		} else {
			out = b.msg(name+"/a", core.GroupMsg{T: core.MsgClose, From: "a", Gen: 1, Close: core.CloseError{Code: 1006, Relayed: true}})
			wantFx(t, out, "reclaim", "stop-timer watch", "listen false", "post part", "closed")
			if r := out[0]; len(r.Frames) != 1 || r.Session != "user:alice" {
				t.Fatalf("reclaim %+v", r)
			}
		}
	}
}

// A follower that loses a steal to another tab waits in the lock's queue
// again: with nobody queued, no one would lead once the others leave.
func TestGroupLostStealQueuesAgain(t *testing.T) {
	t.Parallel()
	b := handTab("b")
	b.dial(1)
	b.msg(name, core.GroupMsg{T: core.MsgBye, From: "a", Next: "b"}) // asked to take over
	out := b.msg(name, core.GroupMsg{T: core.MsgBye, From: "a", Next: "b"})
	steal := find(t, out, core.FxLock)
	if !steal.Steal {
		t.Fatalf("not a steal: %v", fxs(out))
	}
	out = b.step(core.GroupEvent{Kind: core.EvLockFailed, Req: steal.Req})
	if l := find(t, out, core.FxLock); l.Steal {
		t.Fatalf("queued again with a steal: %v", fxs(out))
	}
}

// A hidden leader hands the lead to a visible follower once its socket
// has closed, and leads again if that tab does not take it.
func TestGroupYieldToAVisibleTab(t *testing.T) {
	t.Parallel()
	a := leader(t)
	a.step(core.GroupEvent{Kind: core.EvHidden})
	out := a.msg(name, core.GroupMsg{T: core.MsgJoin, From: "b", Key: key})
	wantFx(t, out, "relay", "post hello", "relay", "close-socket", "handover", "lead off")
	out = a.step(core.GroupEvent{Kind: core.EvSocketClose, Conn: 2, Close: core.CloseError{Code: 1000, WasClean: true}})
	wantFx(t, out, "post bye", "post bye", "start-timer yield")
	if out[0].Msg.Next != "b" || out[2].After != timing.YieldWait {
		t.Fatalf("bye %+v, yield wait %v", out[0].Msg, out[2].After)
	}
	out = a.step(core.GroupEvent{Kind: core.EvTimer, Timer: core.TimerYield, Req: out[2].Req})
	wantFx(t, out, "post lead")
	if !a.g.Leading() {
		t.Fatal("not leading again")
	}
}

// A leader that was stuck asks the lock manager before it writes a batch
// that waited longer than StaleBatch, which is below ByeWait: a follower
// that saw a thief lead takes its frames back ByeWait later.
func TestGroupStaleBatchIsYoungerThanByeWait(t *testing.T) {
	t.Parallel()
	if timing.StaleBatch >= timing.ByeWait {
		t.Fatalf("StaleBatch %v must be below ByeWait %v", timing.StaleBatch, timing.ByeWait)
	}
	a := leader(t)
	// posted just before the follower moved, read by the leader just after
	out := a.msg(name+"/a/in", core.GroupMsg{T: core.MsgSend, From: "b", Gen: 1, At: a.now - timing.ByeWait,
		Seq: 1, Frames: [][]byte{[]byte("x")}})
	wantFx(t, out, "query", "lead off")
}

// A follower posts nothing to a leader it knows another tab replaced:
// what it sends waits for the move, and goes to the next leader.
func TestGroupNoBatchToAReplacedLeader(t *testing.T) {
	t.Parallel()
	b := follower(t)
	out := b.msg(name, core.GroupMsg{T: core.MsgLead, From: "c", Key: key})
	wantFx(t, out, "start-timer bye", "fast off")
	bye := out[0]
	if bye.After != timing.ByeWait {
		t.Fatalf("bye wait %v", bye.After)
	}
	out = b.step(core.GroupEvent{Kind: core.EvSend, Conn: 1, Frames: [][]byte{[]byte("x")}})
	wantFx(t, out, "start-timer watch")
	out = b.step(core.GroupEvent{Kind: core.EvTimer, Timer: core.TimerBye, Req: bye.Req})
	h := find(t, out, core.FxHandover)
	if len(h.Frames) != 1 || string(h.Frames[0]) != "x" {
		t.Fatalf("handover gave back %q", h.Frames)
	}
}

// A follower whose leader seems replaced (another tab claims the lead and
// no bye came) asks the lock manager before it moves: if its leader still
// holds the lock, the claim was stale (a tab running again after a freeze
// announced a grant already stolen from it) and it stays, sending what it
// held back; otherwise it moves.
func TestGroupStaleClaimToTheLeadIsChecked(t *testing.T) {
	t.Parallel()
	for _, holder := range []string{"lock-of-a", "lock-of-c"} {
		b := handTab("b")
		b.dial(1)
		b.msg(name, core.GroupMsg{T: core.MsgHello, From: "a", To: "b", Key: key, Open: true,
			Info: core.SocketInfo{Gen: 1, Lock: "lock-of-a"}})
		b.step(core.GroupEvent{Kind: core.EvServe, Conn: 1})
		bye := find(t, b.msg(name, core.GroupMsg{T: core.MsgLead, From: "c", Key: key}), core.FxStartTimer)
		b.step(core.GroupEvent{Kind: core.EvSend, Conn: 1, Frames: [][]byte{[]byte("held")}})
		out := b.step(core.GroupEvent{Kind: core.EvTimer, Timer: core.TimerBye, Req: bye.Req})
		q := find(t, out, core.FxQuery)
		out = b.step(core.GroupEvent{Kind: core.EvLockState, Req: q.Req, Holder: holder})
		if holder == "lock-of-a" {
			wantFx(t, out, "post send", "fast from 2")
			if m := out[0].Msg; string(m.Frames[0]) != "held" || m.Seq != 1 {
				t.Fatalf("sent %+v", m)
			}
		} else {
			h := find(t, out, core.FxHandover)
			if len(h.Frames) != 1 {
				t.Fatalf("handover gave back %q", h.Frames)
			}
		}
	}
}

// Frames the page posted itself by the rule Go set (FxFast) wait for
// their ack as send's do, and move the rule on; frames posted by a rule
// that is not the one in force are the executor's broken contract.
func TestGroupFramesThePagePostedByTheRule(t *testing.T) {
	t.Parallel()
	b := follower(t)
	frames := [][]byte{[]byte("1"), []byte("2"), []byte("3")}
	out := b.step(core.GroupEvent{Kind: core.EvSent, Conn: 1, Req: 1, Frames: frames})
	wantFx(t, out, "start-timer watch")
	if p := b.g.Pending(); p != 3 {
		t.Fatalf("%d pending, want 3", p)
	}
	// Go's own path goes on from where the page left off, and says so.
	out = b.step(core.GroupEvent{Kind: core.EvSend, Conn: 1, Frames: [][]byte{[]byte("4")}})
	wantFx(t, out, "post send", "fast from 5")
	if m := out[0].Msg; m.Seq != 4 {
		t.Fatalf("Go's batch numbered %d, want 4", m.Seq)
	}
	b.msg(name+"/a", core.GroupMsg{T: core.MsgAck, From: "a", To: "b", Seq: 4})
	if p := b.g.Pending(); p != 0 {
		t.Fatalf("%d pending after the ack, want 0", p)
	}
	out = b.step(core.GroupEvent{Kind: core.EvSent, Conn: 1, Req: 2, Frames: frames})
	wantFx(t, out, "unsent", "fast from 5") // and the page is given Go's count again
}

// A leader's rule to write followers' batches itself (FxLead) holds while
// a fresh batch would be written at once: not while a stale one waits for
// the lock manager; the page's writes count as Go's.
func TestGroupLeaderRuleFollowsWhatWriteWould(t *testing.T) {
	t.Parallel()
	a := leader(t)
	a.msg(name, core.GroupMsg{T: core.MsgJoin, From: "b", Key: key})
	out := a.step(core.GroupEvent{Kind: core.EvWritten, Conn: 2, Code: 3})
	wantFx(t, out)
	if n := a.g.Stats().RelayedOut; n != 3 {
		t.Fatalf("relayed out %d, want 3", n)
	}
	out = a.msg(name+"/a/in", core.GroupMsg{T: core.MsgSend, From: "b", Gen: 1, At: a.now - time.Second, Seq: 1,
		Frames: [][]byte{[]byte("old")}})
	wantFx(t, out, "query", "lead off")
}

// A leader whose client closed its socket while it was connecting never
// offers that socket to followers once it opens: no open posted, no
// relay, no rule to write their batches (they would be acknowledged and
// never sent).
func TestGroupSocketTheClientClosesIsNeverServed(t *testing.T) {
	t.Parallel()
	a := handTab("a")
	req := find(t, a.dial(1), core.FxLock).Req
	a.step(core.GroupEvent{Kind: core.EvLockGranted, Req: req})
	a.dial(2)
	a.msg(name, core.GroupMsg{T: core.MsgJoin, From: "b", Key: key})
	wantFx(t, a.step(core.GroupEvent{Kind: core.EvClose, Conn: 2, Code: 4003, Reason: "DEFINITIVE_CLOSE"}), "close-socket")
	a.step(core.GroupEvent{Kind: core.EvSocketOpen, Conn: 2})
	if out := a.step(core.GroupEvent{Kind: core.EvServe, Conn: 2}); len(out) != 0 {
		t.Fatalf("served a socket its client closes: %v", fxs(out))
	}
}
