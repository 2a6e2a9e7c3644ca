//go:build !js

package core_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/coder/websocket"

	"github.com/kissjs/kiss-websocket/core"
)

// A native client: connect, send a message on a channel, close, and wait
// until every event has been delivered. The example brings its own server,
// a stand-in for a KissJS one that answers the heartbeat's "ping" with
// "pong" and echoes every other text frame, so it runs as it is in any
// module that requires kiss-websocket.
func Example() {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for {
			typ, msg, err := ws.Read(r.Context())
			if err != nil {
				return // the client closed (Read answered its close frame)
			}
			if string(msg) == "ping" {
				msg = []byte("pong")
			}
			if err := ws.Write(r.Context(), typ, msg); err != nil {
				return
			}
		}
	}))
	defer hs.Close()

	events := make(chan core.Event, 16)
	c := core.New(core.Options{
		Dialer: core.NativeDialer{},
		URL: func(core.Config) (string, error) {
			// the token goes last, URL-encoded, as KissJS appends it
			return core.SocketURL("ws"+strings.TrimPrefix(hs.URL, "http")+"/?token=", "session-token"), nil
		},
		OnEvent: func(e core.Event) {
			if e.Kind == core.EventMessage {
				// Data and Channel are valid only during the call
				e.Data, e.Channel = append([]byte(nil), e.Data...), nil
			}
			events <- e
		},
	})
	res, _, err := c.Start(core.Defaults())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("init:", <-res)
	fmt.Println((<-events).Kind)
	if err := c.Send([]byte(`{"channel":"chat","text":"hi"}`)); err != nil {
		fmt.Println(err)
	}
	m := <-events
	fmt.Println(m.Kind, string(m.Data))

	_ = c.Close()
	c.Wait() // the client has stopped and OnEvent has had its last event
	close(events)
	for e := range events {
		fmt.Println(e.Kind, e.Close.Code, e.Close.Reason)
	}
	// Output:
	// init: opened
	// EVT_CONNECTED
	// message {"channel":"chat","text":"hi"}
	// close 4003 DEFINITIVE_CLOSE
	// EVT_CONNECTION_CLOSED 4003 DEFINITIVE_CLOSE
}
