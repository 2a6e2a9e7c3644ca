//go:build js && wasm

// Command kiss-websocket is the WebAssembly side of kiss.websocket. The
// loader (web/kiss-websocket.js) sets globalThis.__kissWebsocketBoot to the
// page's kiss object and its own runtime helpers, then runs this program,
// which answers with the implementation and stays alive.
package main

func main() {
	if err := boot(); err != nil {
		println(err.Error())
		return
	}
	select {}
}

func boot() error {
	g, err := global("__kissWebsocketBoot")
	if err != nil || !isObject(g) {
		return errNoBoot
	}
	kiss, err := g.Get("kiss")
	if err != nil {
		return err
	}
	rt, err := g.Get("rt")
	if err != nil {
		return err
	}
	_ = safeDelete("__kissWebsocketBoot")
	js := newLoader(rt)
	impl, err := newBridge(kiss, js).impl()
	if err != nil {
		return err
	}
	return js.ready(impl)
}
