package core

import "time"

// ConnID names one connection the client opened in shared mode (one
// Opener.Open): the tab's own socket while it leads, a stand-in over the
// leader's otherwise. The executor numbers them; 0 is none.
type ConnID uint64

// SocketInfo is what a follower's stand-in shows of the shared socket, and
// the generation its frames are written on (a batch sent for an older
// socket is not written on a newer one).
type SocketInfo struct {
	Protocol, Extensions string
	Gen                  uint64
	// Lock is the lock manager's client id of the leader's hold ("" until
	// the leader knows it): a follower that suspects its leader is gone
	// asks the lock manager whether it still holds the lock.
	Lock string
}

// GroupEventKind says what happened to a tab in shared mode.
type GroupEventKind uint8

const (
	// EvDial: the client opens Conn to URL in Session (Opener.Open). The
	// group is the URL (token left out) and the session: a tab whose key
	// changed leaves its group for the new one.
	EvDial GroupEventKind = iota + 1
	// EvServe: the client finished its open sequence on Conn (Conn.Serve):
	// frames may reach it, and a leader's followers may write.
	EvServe
	// EvSend: the client wrote Frames on the stand-in Conn, in order, all
	// those of one task. (A leader's own frames go straight to its socket.)
	EvSend
	// EvPing: the client's heartbeat ping on the stand-in Conn.
	EvPing
	// EvClose: the client closes Conn with Code and Reason (close(), or a
	// page into the back/forward cache): this tab is done with the socket.
	EvClose
	// EvAbort: the client dropped Conn and listens to it no more.
	EvAbort
	// EvSocketOpen: the real socket Conn opened; Info.Protocol and
	// Info.Extensions are the browser's.
	EvSocketOpen
	// EvSocketClose: the real socket Conn closed as Close says; Frames are
	// those it still buffered (bufferedAmount), oldest first, and Owners
	// (as long as Frames) who wrote each: "" this tab's client, else the
	// follower tab that sent it.
	EvSocketClose
	// EvLockGranted: lock request Req was granted: the executor holds the
	// lock until it is told to release it.
	EvLockGranted
	// EvLockFailed: lock request Req was aborted, or the lock it held was
	// stolen.
	EvLockFailed
	// EvLockState: the answer to query Req: Holder is the lock manager's
	// client id of the group lock's holder, "" when none holds it.
	EvLockState
	// EvMessage: Msg arrived on the channel named Name.
	EvMessage
	// EvTimer: the timer Timer started with id Req fired.
	EvTimer
	// EvHidden and EvVisible: the page's visibility changed.
	EvHidden
	EvVisible
	// EvFreeze: the page is being frozen (Page Lifecycle): nothing will run
	// until it resumes, so a leader hands the lead over first.
	EvFreeze
	// EvResume: the frozen page runs again.
	EvResume
	// EvLeave: this tab is done with the group: its client ended (a
	// terminal event), or the page goes away (pagehide). The bridge
	// suspends or closes the client first.
	EvLeave
	// EvGone: the page goes away for good (pagehide, not persisted). As
	// EvLeave, and the tab joins no group again: its page runs on for a
	// moment, and a client reconnecting meanwhile (the leader's socket was
	// just handed over) must not queue for the lock nor ask the leader to
	// yield to a tab about to vanish. Its next socket never opens.
	EvGone
	// EvSent: the page posted Frames, sent on the stand-in Conn, to its
	// leader by itself (the rule of FxFast), numbered from Req.
	EvSent
	// EvWritten: the page wrote Code frames a follower posted to this
	// leader's inbox on the real socket Conn, and acknowledged them, by
	// itself (the rule of FxLead).
	EvWritten
)

// GroupEvent is one input of Group.Step. Only the fields its Kind names are
// read.
type GroupEvent struct {
	Kind   GroupEventKind
	Conn   ConnID
	URL    string
	Frames [][]byte
	Owners []string
	Code   int
	Reason string
	Close  CloseError
	Info   SocketInfo
	Req    uint64
	Holder string
	Name   string
	Msg    GroupMsg
	Timer  GroupTimer
	// Session names the session of EvDial (Options.Session).
	Session string
}

// GroupTimer names the group's timers; each is armed at most once.
type GroupTimer uint8

const (
	// TimerJoin: a join no leader answered (JoinWait + jitter).
	TimerJoin GroupTimer = iota + 1
	// TimerWatch: a follower's frames unacknowledged (StealAfter).
	TimerWatch
	// TimerBye: a replaced leader's bye awaited (ByeWait).
	TimerBye
	// TimerYield: a yield to a visible tab not taken (YieldWait).
	TimerYield
	timerCount
)

var timerNames = [...]string{"", "join", "watch", "bye", "yield"}

func (t GroupTimer) String() string {
	if int(t) < len(timerNames) {
		return timerNames[t]
	}
	return "unknown"
}

// GroupEffectKind says what the executor must do.
type GroupEffectKind uint8

const (
	// FxOpened: tell the client Conn is open (Info: the shared socket's).
	FxOpened GroupEffectKind = iota + 1
	// FxDeliver: hand Frames to the client of Conn, in order.
	FxDeliver
	// FxPong: Conn's ping was answered (the client's heartbeat).
	FxPong
	// FxClosed: Conn closed as Close says; Frames were never written and go
	// back to the outbox (Conn's Reclaimer), oldest first.
	FxClosed
	// FxHandover: Conn moved to another leader (Handler.HandleHandover, or
	// ErrHandover before it opened); Frames go back to the outbox.
	FxHandover
	// FxUnsent: Frames written on Conn after it closed: the executor broke
	// its contract (a conn's sends come before its later events).
	FxUnsent
	// FxReclaim: Frames a connection the client dropped had sent, in
	// Session, and its leader never wrote: back to the outbox
	// (Client.Reclaim), before the next connection opens.
	FxReclaim
	// FxLost: Frames followers sent, that this tab acknowledged and its
	// socket (handed over as the tab froze, closed or lost the lead) failed
	// to send before they moved on: nobody can send them in their order any
	// more. For the executor's diagnostics.
	FxLost
	// FxHurry: this tab leads now: its client, if waiting between
	// attempts, tries now (Client.Hurry).
	FxHurry
	// FxOpenSocket: open the real socket Conn to URL.
	FxOpenSocket
	// FxWrite: write a follower's Frames on the real socket Conn; From is
	// that follower, Req the seq of its first frame.
	FxWrite
	// FxCloseSocket: close the real socket Conn with Code and Reason; what
	// it buffers goes out first.
	FxCloseSocket
	// FxRelay: while On, copy each frame the real socket Conn receives to
	// the channel Name (several per message, at most a task's), and post
	// them before anything else posted on Name.
	FxRelay
	// FxListen: listen to the channel Name (On) or stop (and close it).
	FxListen
	// FxPost: post Msg on the channel Name (Msg.From is set).
	FxPost
	// FxLock: request the lock Name as Req, stealing it if Steal.
	FxLock
	// FxAbortLock: abort lock request Req if it still waits.
	FxAbortLock
	// FxRelease: release the lock request Req holds.
	FxRelease
	// FxQuery: ask the lock manager who holds the lock Name; answer with
	// EvLockState{Req}.
	FxQuery
	// FxStartTimer: start Timer as id Req, firing After from now.
	FxStartTimer
	// FxStopTimer: stop Timer.
	FxStopTimer
	// FxFast: while On, the page posts what it sends on the stand-in Conn
	// itself, then tells Go (EvSent): each message a MsgSend to the channel
	// Name, Msg's From and Gen, numbered on from Msg.Seq, at most Req
	// frames; encoded by SendParts. Off (or another Conn's rule), it hands
	// the sends to Go. A follower's frames then reach its leader without a
	// call into Go first.
	FxFast
	// FxLead: while On, the page writes by itself what followers post to
	// this leader's inbox Name, then tells Go (EvWritten): a MsgSend for
	// the socket generation Req whose At is at most After old, on the real
	// socket Conn, and posts its ack (Msg, with To and Seq set, encoded by
	// AckParts) on the channel Reason. Anything else it hands to Go, as it does while the
	// page has anything else for Go. Off, it hands Go every message.
	FxLead
)

var effectNames = [...]string{"", "opened", "deliver", "pong", "closed", "handover", "unsent", "reclaim", "lost", "hurry",
	"open-socket", "write", "close-socket", "relay", "listen", "post", "lock", "abort-lock", "release",
	"query", "start-timer", "stop-timer", "fast", "lead"}

func (k GroupEffectKind) String() string {
	if int(k) < len(effectNames) {
		return effectNames[k]
	}
	return "unknown"
}

// GroupEffect is one output of Group.Step. Only the fields its Kind names
// are set.
type GroupEffect struct {
	Kind    GroupEffectKind
	Conn    ConnID
	URL     string
	Frames  [][]byte
	From    string
	Close   CloseError
	Code    int
	Reason  string
	Info    SocketInfo
	On      bool
	Steal   bool
	Name    string
	Msg     GroupMsg
	Req     uint64
	Timer   GroupTimer
	After   time.Duration
	Session string
}

// MsgType is the kind of a message between the tabs of a group.
type MsgType uint8

// On the group's channel: every tab of the group hears them.
const (
	// MsgLead: From leads now (Key, Hidden).
	MsgLead MsgType = iota + 1
	// MsgBye: From stops leading; Next is whom it hands the lead to. Also
	// on From's own channel, behind its acks and frames.
	MsgBye
	// MsgJoin: From's stand-in asks the leader for the socket (Key, Hidden).
	MsgJoin
	// MsgHello: the leader answers To's join (Key, Open, Hidden, Info).
	MsgHello
	// MsgOpen: the leader's socket is open (Info). Also on its own channel.
	MsgOpen
	// MsgPart: From's stand-in ended.
	MsgPart
	// MsgVis: From's page is hidden or visible (Hidden).
	MsgVis
	// MsgWant: From is visible and asks a hidden leader for the lead.
	MsgWant
	// On a leader's own channel: its followers hear them.
	// MsgFrames: server frames, relayed by the executor (FxRelay).
	MsgFrames
	// MsgClose: the leader's socket of generation Gen closed (Close);
	// Resend holds, for each follower (Owners), the frames of its that the
	// socket never sent. With To, it answers that follower's batch for a
	// socket that is gone (its close crossed the hello it opened with).
	MsgClose
	// MsgAck: To's frames up to Seq are written on the socket.
	MsgAck
	// MsgPong: the answer to To's ping (RTT: the socket's own round trip).
	MsgPong
	// In a leader's inbox: only it hears them.
	// MsgSend: From's Frames, seqs from Seq, for the socket of generation
	// Gen, posted at At.
	MsgSend
	// MsgPing: From's heartbeat.
	MsgPing
)

var msgNames = [...]string{"", "lead", "bye", "join", "hello", "open", "part", "vis", "want",
	"frames", "close", "ack", "pong", "send", "ping"}

func (t MsgType) String() string {
	if int(t) < len(msgNames) {
		return msgNames[t]
	}
	return "unknown"
}

// GroupMsg is one message between tabs, as posted (a structured clone: the
// receiver must not change it). Only the fields its T names are set.
type GroupMsg struct {
	T        MsgType
	From, To string
	Key      string
	Hidden   bool
	Open     bool
	Info     SocketInfo
	Next     string
	Gen      uint64
	At       time.Duration
	Seq      uint64
	Frames   [][]byte
	Close    CloseError
	RTT      time.Duration
	// Owners and Resend: MsgClose's frames given back, Resend[i] to
	// Owners[i].
	Owners []string
	Resend [][][]byte
}
