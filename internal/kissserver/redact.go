//go:build !js

package kissserver

import "regexp"

// tokenShape matches anything that could be one of our tokens (64 hex
// digits). Log lines are built without tokens; this is the second line of
// defence against a future message that interpolates a URL or a header.
var tokenShape = regexp.MustCompile(`[0-9a-fA-F]{64}`)

// redact replaces token-shaped substrings of a log line.
func redact(line string) string {
	return tokenShape.ReplaceAllLiteralString(line, "[redacted]")
}
