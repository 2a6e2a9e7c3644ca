//go:build js

package core

// Handler receives what a Conn hears. In the browser frames never reach Go:
// the loader parses and publishes them in JavaScript, so a Conn reports only
// the answer to our ping and the final close. Calls are synchronous and
// never concurrent for one Conn.
type Handler interface {
	// HandlePong is called for each text frame "pong".
	HandlePong()
	// HandleClose is called once, last.
	HandleClose(err *CloseError)
	// HandleHandover is called once, last, instead of HandleClose, when in
	// shared mode the socket moved to another tab's lead (or to this tab's):
	// the client reconnects at once, spending no attempt, and takes back
	// what the Conn (a Reclaimer) reports unsent.
	HandleHandover()
}
