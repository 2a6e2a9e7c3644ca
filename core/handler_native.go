//go:build !js

package core

// Handler receives what a Conn reads. Natively every frame comes to Go (the
// browser's Handler has no HandleFrame: its loader classifies frames in
// JavaScript, and the classifier stays out of the wasm). Calls are
// synchronous and never concurrent for one Conn: one read goroutine makes
// them.
type Handler interface {
	// HandleFrame gets one frame; data is only valid during the call.
	HandleFrame(text bool, data []byte)
	// HandlePong is called for each text frame "pong" (HandleFrame sorts
	// them out itself; a Conn that recognises them may call it directly).
	HandlePong()
	// HandleClose is called once, last.
	HandleClose(err *CloseError)
	// HandleHandover is called once, last, instead of HandleClose, when in
	// shared mode the socket moved to another tab's lead (or to this tab's):
	// the client reconnects at once, spending no attempt, and takes back
	// what the Conn (a Reclaimer) reports unsent.
	HandleHandover()
}

// HandleFrame counts and classifies one frame: a pong answers the heartbeat,
// a message is delivered, anything KissJS would drop is counted and logged.
func (h *connHandler) HandleFrame(text bool, data []byte) {
	c := h.c
	c.cnt.framesIn.Add(1)
	c.cnt.bytesIn.Add(uint64(len(data)))
	kind, channel, reason := classify(text, data)
	switch kind {
	case framePong:
		h.HandlePong()
	case frameMalformed:
		c.cnt.dropped.Add(1)
		c.opts.Log("kiss.websocket: dropped a frame from the server: " + reason)
	default:
		c.message(h, channelName(channel), data)
	}
}
