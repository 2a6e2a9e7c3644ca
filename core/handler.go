package core

// connHandler is the Handler of one socket generation.
type connHandler struct {
	c       *Client
	gen     uint64
	opened  bool   // guarded by c.mu
	session string // the session the socket was opened in; guarded by c.mu
	url     string // the attempt's address, token included (never logged); guarded by c.mu
	conn    Conn   // the socket, once open; guarded by c.mu
}

// HandlePong is the text frame "pong" answering our ping: it is swallowed
// (never published, never given to hooks).
func (h *connHandler) HandlePong() {
	c := h.c
	c.mu.Lock()
	if h.gen == c.gen && c.beat != nil {
		c.beat.Pong()
		c.rtt = c.beat.RTT()
		c.resumed = false // the socket answered: a later drop waits as usual
	}
	c.mu.Unlock()
}
