package core

import (
	"context"
	"sync"
	"time"
)

// stopper is the client's only kind of Context: it ends when stop is first
// called, with that cause. The context package's own (WithCancel,
// WithCancelCause, WithTimeout) would link its propagation tree, reflectlite
// and deadline formatting into the wasm, about 7 KB brotli, for what one
// channel does here.
type stopper struct {
	mu    sync.Mutex
	done  chan struct{}
	cause error
}

var _ Context = (*stopper)(nil)

func newStopper() *stopper { return &stopper{done: make(chan struct{})} }

// stop ends it with cause (context.Canceled when nil); later calls do nothing.
func (s *stopper) stop(cause error) {
	if cause == nil {
		cause = context.Canceled
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cause == nil {
		s.cause = cause
		close(s.done)
	}
}

// cancel is stop without a cause, the shape of a context.CancelFunc.
func (s *stopper) cancel() { s.stop(nil) }

// after stops it with cause once d has passed (on the timers of start);
// the returned func stops that timer.
func (s *stopper) after(start func(time.Duration, func()) *timer, d time.Duration, cause error) (stopTimer func() bool) {
	return start(d, func() { s.stop(cause) }).Stop
}

func (s *stopper) Done() <-chan struct{} { return s.done }

// Err is what stopped it (context.Canceled, or the cause given to stop,
// such as errConnectTimeout), nil while it runs.
func (s *stopper) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cause
}

// timer is a time.AfterFunc timer seen through its two methods. The client
// is reachable from an interface (its Handler), so every type it holds keeps
// its String methods in the wasm; a *time.Timer holds a chan time.Time and
// would keep time.Time's formatter, about 20 KB brotli.
type timer struct {
	Stop  func() bool
	Reset func(time.Duration) bool
}

// afterFunc is time.AfterFunc returning a *timer.
func afterFunc(d time.Duration, f func()) *timer {
	t := time.AfterFunc(d, f)
	return &timer{Stop: t.Stop, Reset: t.Reset}
}
