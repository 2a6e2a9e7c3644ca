package core

import (
	"encoding/json"
	"unicode/utf8"
)

// FrameKind is what an incoming frame is to the client.
type FrameKind int

const (
	// FramePong is the text frame "pong" exactly: it answers our heartbeat and
	// is swallowed (never published, never given to hooks).
	FramePong FrameKind = iota
	// FrameMessage is a JSON object whose "channel", if any, is a string.
	FrameMessage
	// FrameMalformed is anything else: binary, not UTF-8, not JSON, null, an
	// array or scalar, or a non-string channel. It is counted and logged.
	FrameMalformed
)

// Classify sorts an incoming frame without allocating, and returns the raw
// bytes of the top-level "channel" string (without quotes, still escaped)
// when there is one. The last duplicate key wins, as with JSON.parse.
func Classify(text bool, data []byte) (kind FrameKind, channel []byte, reason string) {
	if !text {
		return FrameMalformed, nil, "binary frame"
	}
	if string(data) == "pong" {
		return FramePong, nil, ""
	}
	if !utf8.Valid(data) {
		return FrameMalformed, nil, "invalid UTF-8"
	}
	if !json.Valid(data) {
		return FrameMalformed, nil, "not JSON"
	}
	i := skipSpace(data, 0)
	if data[i] != '{' {
		return FrameMalformed, nil, "JSON is not an object"
	}
	channel, ok := topLevelChannel(data, i+1)
	if !ok {
		return FrameMalformed, nil, "channel is not a string"
	}
	return FrameMessage, channel, ""
}

// topLevelChannel walks the members of a JSON object known to be valid.
func topLevelChannel(data []byte, i int) (channel []byte, ok bool) {
	ok = true
	for {
		i = skipSpace(data, i)
		if data[i] == '}' {
			return channel, ok
		}
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
		keyEnd := skipString(data, i)
		key := data[i+1 : keyEnd-1]
		i = skipSpace(data, keyEnd)
		i = skipSpace(data, i+1) // the colon
		end := skipValue(data, i)
		if string(key) == "channel" {
			if data[i] == '"' {
				channel, ok = data[i+1:end-1], true
			} else {
				channel, ok = nil, false
			}
		}
		i = end
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the closing quote of the string at i.
func skipString(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(data)
}

// skipValue returns the index after the valid JSON value at i.
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				j = skipString(data, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(data)
	default:
		j := i
		for j < len(data) && data[j] != ',' && data[j] != '}' && data[j] != ']' && data[j] != ' ' &&
			data[j] != '\n' && data[j] != '\t' && data[j] != '\r' {
			j++
		}
		return j
	}
}
