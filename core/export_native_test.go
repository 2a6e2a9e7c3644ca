//go:build !js

package core

// Frame classification is native only (the browser's loader parses frames).

type FrameKind = frameKind

var (
	Classify    = classify
	ChannelName = channelName
)

const (
	FramePong      = framePong
	FrameMessage   = frameMessage
	FrameMalformed = frameMalformed
)
