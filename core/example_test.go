//go:build !js

package core_test

import (
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/kissjs/kiss-websocket/core"
	"github.com/kissjs/kiss-websocket/internal/kissserver"
)

// A native client against the dev server's KissJS-protocol server: connect,
// send on a channel (the server echoes it), close.
func Example() {
	srv := kissserver.New(kissserver.Options{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()
	token := srv.Login("dev").Token

	got := make(chan core.Event, 16)
	c := core.New(core.Options{
		Dialer: core.NativeDialer{},
		URL: func(core.Config) (string, error) {
			return core.SocketURL("ws"+strings.TrimPrefix(hs.URL, "http")+"/?token=", token), nil
		},
		OnEvent: func(e core.Event) {
			if e.Kind == core.EventMessage {
				e.Data = append([]byte(nil), e.Data...) // valid only during the call
			}
			got <- e
		},
	})
	res, _, err := c.Start(core.Defaults())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("opened:", <-res == core.ResultOpened)
	fmt.Println((<-got).Kind)
	if err := c.Send([]byte(`{"channel":"chat","text":"hi"}`)); err != nil {
		fmt.Println(err)
	}
	m := <-got
	fmt.Println(m.Kind, string(m.Data))
	_ = c.Close()
	for e := range got {
		if e.Kind == core.EventConnectionClosed {
			fmt.Println(e.Kind)
			break
		}
	}
	c.Wait()
	// Output:
	// opened: true
	// EVT_CONNECTED
	// message {"channel":"chat","text":"hi"}
	// EVT_CONNECTION_CLOSED
}
