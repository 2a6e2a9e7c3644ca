//go:build js && wasm

// Command safejs is the size and start-up floor of make size and make bench:
// a program importing only github.com/hack-pad/safejs (which brings fmt and
// reflect) that answers the loader's boot as our wasm does, with an empty
// implementation, so it can stand behind the same loader (data-wasm).
package main

import "github.com/hack-pad/safejs"

func main() {
	boot, err := safejs.Global().Get("__kissWebsocketBoot")
	if err != nil {
		panic(err)
	}
	rt, err := boot.Get("rt")
	if err != nil {
		panic(err)
	}
	impl, err := safejs.ValueOf(map[string]any{})
	if err != nil {
		panic(err)
	}
	if _, err := rt.Call("ready", impl); err != nil {
		panic(err)
	}
	select {}
}
