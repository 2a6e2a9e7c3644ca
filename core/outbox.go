package core

import "errors"

// ErrOutboxFull is returned by Send when the outbox has no room for the
// message; nothing is queued and the caller can tell the user.
var ErrOutboxFull = errors.New("kiss.websocket.send: outbox is full while reconnecting; message not queued")

// outbox holds messages sent while the socket is not open, in order, bounded
// by count and bytes. The zero value holds nothing (both limits are 0).
type outbox struct {
	items    [][]byte
	head     int
	bytes    int
	maxMsgs  int
	maxBytes int
}

// newOutbox returns an outbox with the given limits.
func newOutbox(limits OutboxLimits) *outbox {
	return &outbox{maxMsgs: limits.MaxMessages, maxBytes: limits.MaxBytes}
}

// SetLimits changes the limits for later pushes; what is queued stays.
func (o *outbox) SetLimits(limits OutboxLimits) {
	o.maxMsgs, o.maxBytes = limits.MaxMessages, limits.MaxBytes
}

// Push appends msg, or returns ErrOutboxFull when either limit would be passed.
func (o *outbox) Push(msg []byte) error {
	if o.Len()+1 > o.maxMsgs || o.bytes+len(msg) > o.maxBytes {
		return ErrOutboxFull
	}
	o.items = append(o.items, msg)
	o.bytes += len(msg)
	return nil
}

// Requeue puts back at the front a message taken with Pop that could not be
// written; it ignores the limits because the message was already accepted.
func (o *outbox) Requeue(msg []byte) {
	o.bytes += len(msg)
	if o.head > 0 {
		o.head--
		o.items[o.head] = msg
		return
	}
	o.items = append(o.items, nil)
	copy(o.items[1:], o.items)
	o.items[0] = msg
}

// Append puts at the back a message accepted for a socket whose write then
// failed; like Requeue it ignores the limits.
func (o *outbox) Append(msg []byte) {
	o.items = append(o.items, msg)
	o.bytes += len(msg)
}

// Pop removes and returns the oldest message.
func (o *outbox) Pop() ([]byte, bool) {
	if o.head == len(o.items) {
		return nil, false
	}
	msg := o.items[o.head]
	o.items[o.head] = nil
	o.head++
	o.bytes -= len(msg)
	if o.head == len(o.items) {
		o.items, o.head = o.items[:0], 0
	}
	return msg, true
}

// Len is the number of queued messages; Bytes their total size.
func (o *outbox) Len() int   { return len(o.items) - o.head }
func (o *outbox) Bytes() int { return o.bytes }
