module github.com/kissjs/kiss-websocket

go 1.26.8

require github.com/coder/websocket v1.8.15

require github.com/hack-pad/safejs v0.1.1 // indirect
