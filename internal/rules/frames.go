package rules

import (
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// frames.json holds the vectors of the rule for incoming frames, which runs
// in Go natively (core's classify) and in the loader's per-frame path (which
// stays in JavaScript for speed): core/frame_test.go runs them against core,
// wasm/frames_test.go against the loader in Chromium, over a real socket.
//
//go:embed frames.json
var framesJSON []byte

// Frame is one incoming frame and what the client makes of it.
type Frame struct {
	Name   string `json:"name"`
	Text   string `json:"text"`   // the frame's text (after Fill)
	Hex    string `json:"hex"`    // or its bytes, when they are no UTF-8 text
	Binary bool   `json:"binary"` // a binary frame (else text)
	// Fill replaces each marker in Text and Channel by a string repeated
	// n times: {"@pad": ["x", 999000]}.
	Fill map[string][2]any `json:"fill"`
	// Want is "pong" (swallowed), "message" or "malformed".
	Want string `json:"want"`
	// Channel is what a message is published on; nil: none ("*" only).
	Channel *string `json:"channel"`
	// Shape is the published value's JSON type: object, array, number,
	// string or boolean.
	Shape string `json:"shape"`
	// Reason is what a malformed frame is logged with, after "dropped a
	// frame from the server: ".
	Reason string `json:"reason"`
	// Browser is "fails" when a browser's WebSocket never delivers the frame
	// but fails the socket (invalid UTF-8 in a text frame, RFC 6455 8.1).
	Browser string `json:"browser"`
}

// Pong, Message and Malformed are the values of Frame.Want.
const (
	Pong      = "pong"
	Message   = "message"
	Malformed = "malformed"
)

// DropPrefix starts the line both sides log for a malformed frame.
const DropPrefix = "kiss.websocket: dropped a frame from the server: "

// Data is the frame's bytes.
func (f Frame) Data() []byte {
	if f.Hex != "" {
		b, err := hex.DecodeString(f.Hex)
		if err != nil {
			panic("frames.json: " + f.Name + ": " + err.Error())
		}
		return b
	}
	return []byte(f.fill(f.Text))
}

// WantChannel is the channel a message is published on, and whether it has
// one.
func (f Frame) WantChannel() (string, bool) {
	if f.Channel == nil {
		return "", false
	}
	return f.fill(*f.Channel), true
}

func (f Frame) fill(s string) string {
	for mark, rep := range f.Fill {
		str, _ := rep[0].(string)
		n, _ := rep[1].(float64)
		s = strings.ReplaceAll(s, mark, strings.Repeat(str, int(n)))
	}
	return s
}

// Frames parses frames.json.
func Frames() ([]Frame, error) {
	var v struct {
		Frames []Frame `json:"frames"`
	}
	err := json.Unmarshal(framesJSON, &v)
	return v.Frames, err
}

// FramesJSON is frames.json as it is, for a test that hands it to a page.
func FramesJSON() string { return string(framesJSON) }
