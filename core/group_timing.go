package core

import "time"

// GroupTiming is shared mode's one table of timers and sizes. The zero
// value is not useful: start from DefaultGroupTiming. Every field says what
// it bounds and why it has its value; the group state machine reads no
// other duration.
type GroupTiming struct {
	// ByeWait is how long a follower whose leader was replaced waits for
	// that leader's bye before it moves to the new one. The bye comes on the
	// old leader's own channel behind its acks, so once it is in, what that
	// leader wrote is confirmed and nothing is resent twice; a leader that
	// crashed says none. 500 ms: well above a message between tabs, short
	// enough that a crash costs the followers half a second.
	ByeWait time.Duration
	// StaleBatch is the age past which a leader does not write a follower's
	// batch before the lock manager has confirmed that it still leads: a
	// batch that old waited while this leader was stuck, and its follower may
	// have moved to a thief and resent it. A follower takes its frames back
	// ByeWait after it saw another tab lead, and posts nothing to the old
	// leader meanwhile, so StaleBatch must stay below ByeWait by more than
	// an ack's way back. 250 ms (the loader's 1 s let a stuck leader write,
	// between 0.5 and 1 s late, frames already resent through the thief).
	StaleBatch time.Duration
	// StealAfter is how long a follower's frames (or its join, once bound)
	// may go unanswered before it takes the lock over: its leader is frozen
	// unseen, or stuck in a long task. Not sooner: a leader's long task (a
	// loop of 100k sends) takes seconds on a slow machine, and its socket is
	// alive meanwhile. 5 s.
	StealAfter time.Duration
	// JoinWait and JoinJitter: a join that no leader answered within
	// JoinWait plus up to JoinJitter (uniform) asks the lock manager, and
	// takes the lock over if someone holds it without answering. The jitter
	// keeps followers from stealing in turn. 3 s plus up to 1 s.
	JoinWait, JoinJitter time.Duration
	// YieldWait is how long a hidden leader that handed the lead to a
	// visible tab waits for that tab to take the lock before leading again.
	// 3 s.
	YieldWait time.Duration
	// BatchFrames is the most frames one message from a follower to its
	// leader carries: the leader acknowledges a batch once it wrote it, and
	// a huge one keeps the follower waiting for that long. 256.
	BatchFrames int
}

// DefaultGroupTiming returns the values each field documents.
func DefaultGroupTiming() GroupTiming {
	return GroupTiming{
		ByeWait:     500 * time.Millisecond,
		StaleBatch:  250 * time.Millisecond,
		StealAfter:  5 * time.Second,
		JoinWait:    3 * time.Second,
		JoinJitter:  time.Second,
		YieldWait:   3 * time.Second,
		BatchFrames: 256,
	}
}
