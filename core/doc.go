// Package core is the platform-neutral kiss.websocket client: the config
// (Config, Decode, with KissJS's defaults), the reconnection policy, the
// heartbeat, the outbox and the one state machine (Client) that the browser
// build and native Go programs share. It never imports syscall/js.
//
// Natively a Client dials with NativeDialer (coder/websocket); in the
// browser, wasm/ gives it the page's own WebSocket. A Go program connects
// to a KissJS server like this:
//
//	c := core.New(core.Options{
//		Dialer: core.NativeDialer{},
//		URL: func(cfg core.Config) (string, error) {
//			return core.SocketURL("wss://app.example/?token=", token), nil
//		},
//		OnEvent: func(e core.Event) { ... },
//	})
//	res, _, err := c.Start(core.Defaults())
//
// Events come in order on OnEvent, never concurrently: EventConnected,
// EventMessage (Channel and Data), EventDisconnected, EventReconnecting and
// the rest, as kiss.pubsub gets them in the browser. Send queues while no
// socket is open and delivers once, in order, on the next one. Close ends the
// client; Wait then returns once OnEvent has had its last event
// (EventConnectionClosed), so a program may exit right after Close and Wait.
// The package's Example runs as it is in any module.
package core
