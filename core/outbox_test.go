package core_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/kissjs/kiss-websocket/core"
)

func TestOutboxFIFOAndLimits(t *testing.T) {
	t.Parallel()
	o := core.NewOutbox(core.OutboxLimits{MaxMessages: 3, MaxBytes: 10})
	for _, m := range []string{"a", "bb", "ccc"} {
		if err := o.Push([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Push([]byte("d")); !errors.Is(err, core.ErrOutboxFull) {
		t.Fatalf("4th message: %v", err)
	}
	m, _ := o.Pop()
	o.Requeue(m)
	var got string
	for {
		m, ok := o.Pop()
		if !ok {
			break
		}
		got += string(m) + ","
	}
	if got != "a,bb,ccc," || o.Len() != 0 || o.Bytes() != 0 {
		t.Fatalf("got %q len %d bytes %d", got, o.Len(), o.Bytes())
	}
	if err := o.Push(make([]byte, 11)); !errors.Is(err, core.ErrOutboxFull) {
		t.Fatalf("byte limit: %v", err)
	}
}

func TestOutboxRequeueAtFrontWithoutHead(t *testing.T) {
	t.Parallel()
	o := core.NewOutbox(core.OutboxLimits{MaxMessages: 10, MaxBytes: 100})
	o.Push([]byte("2"))
	o.Requeue([]byte("1"))
	a, _ := o.Pop()
	b, _ := o.Pop()
	if string(a)+string(b) != "12" {
		t.Fatalf("got %s%s", a, b)
	}
}

func BenchmarkOutboxPushPop(b *testing.B) {
	o := core.NewOutbox(core.OutboxLimits{MaxMessages: 1000, MaxBytes: 1 << 20})
	msg := []byte(fmt.Sprintf(`{"channel":"c","n":%d}`, 1))
	b.ReportAllocs()
	for b.Loop() {
		for range 100 {
			o.Push(msg)
		}
		for {
			if _, ok := o.Pop(); !ok {
				break
			}
		}
	}
}

func TestOutboxAppendKeepsOrderPastTheLimits(t *testing.T) {
	t.Parallel()
	o := core.NewOutbox(core.OutboxLimits{MaxMessages: 1, MaxBytes: 100})
	o.Append([]byte("1"))
	o.Append([]byte("2")) // past MaxMessages: accepted messages are never dropped
	a, _ := o.Pop()
	b, _ := o.Pop()
	if string(a)+string(b) != "12" || o.Len() != 0 {
		t.Fatalf("got %s%s", a, b)
	}
}
