//go:build !js

package kissserver

// Internals exposed to the black-box tests.
var (
	AppendBounded = appendBounded
	MaxReceived   = maxReceived
)
