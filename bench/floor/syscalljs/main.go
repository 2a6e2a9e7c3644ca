//go:build js && wasm

// Command syscalljs is the lowest floor of make size and make bench: a
// program importing only syscall/js that answers the loader's boot with an
// empty implementation. What it costs, any Go wasm costs.
package main

import "syscall/js"

func main() {
	rt := js.Global().Get("__kissWebsocketBoot").Get("rt")
	rt.Call("ready", js.ValueOf(map[string]any{}))
	select {}
}
