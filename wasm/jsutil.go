//go:build js && wasm

package main

import (
	"errors"
	"sync/atomic"

	"github.com/hack-pad/safejs"
	"github.com/kissjs/kiss-websocket/core"
)

// liveFuncs counts js.Funcs not yet released, so a test can prove that a
// closed client leaves none behind.
var liveFuncs atomic.Int64

// newFunc wraps safejs.FuncOf and returns its value plus a release that is
// safe to call twice.
//
// A panic in fn (a bug, or a JavaScript value syscall/js cannot represent)
// is recovered and logged: it must not take the page's Go runtime down.
func newFunc(fn func(this safejs.Value, args []safejs.Value) any) (safejs.Value, func(), error) {
	f, err := safejs.FuncOf(func(this safejs.Value, args []safejs.Value) (out any) {
		defer func() {
			if r := recover(); r != nil {
				println("kiss.websocket: recovered from a panic in a callback")
				out = nil
			}
		}()
		return fn(this, args)
	})
	if err != nil {
		return safejs.Undefined(), func() {}, err
	}
	liveFuncs.Add(1)
	var once atomic.Bool
	return f.Value(), func() {
		if once.CompareAndSwap(false, true) {
			f.Release()
			liveFuncs.Add(-1)
		}
	}, nil
}

// global reads a property of globalThis.
func global(name string) (safejs.Value, error) {
	return safejs.Global().Get(name)
}

// jsError builds a JavaScript Error (or TypeError) carrying msg.
func jsError(ctor, msg string) safejs.Value {
	c, err := global(ctor)
	if err != nil {
		return safejs.Undefined()
	}
	v, err := c.New(msg)
	if err != nil {
		return safejs.Undefined()
	}
	return v
}

// typeOf is v.Type() without its panic: syscall/js cannot type a BigInt,
// and a page can put one anywhere (kiss.session.host, say).
func typeOf(v safejs.Value) (t safejs.Type) {
	defer func() {
		if recover() != nil {
			t = safejs.TypeUndefined
		}
	}()
	return v.Type()
}

// isFunc reports whether v is a JavaScript function.
func isFunc(v safejs.Value) bool { return typeOf(v) == safejs.TypeFunction }

// isObject reports whether v is a non-null object.
func isObject(v safejs.Value) bool { return typeOf(v) == safejs.TypeObject }

// stringValue is v when it is a string.
func stringValue(v safejs.Value) (string, bool) {
	if typeOf(v) != safejs.TypeString {
		return "", false
	}
	s, err := v.String()
	return s, err == nil
}

// getString reads obj[prop] when it is a string.
func getString(obj safejs.Value, prop string) (string, bool) {
	if !isObject(obj) && !isFunc(obj) {
		return "", false
	}
	v, err := obj.Get(prop)
	if err != nil || typeOf(v) != safejs.TypeString {
		return "", false
	}
	s, err := v.String()
	return s, err == nil
}

// errAbandoned is what await returns when its context ends first.
var errAbandoned = errors.New("abandoned: took too long")

// await waits for a JavaScript promise, or until ctx ends. It must run on its
// own goroutine, never inside a js.Func callback (that would block the page).
// An abandoned promise keeps its two callbacks until it settles.
func await(ctx core.Context, p safejs.Value) (safejs.Value, error) {
	type outcome struct {
		v   safejs.Value
		err error
	}
	done := make(chan outcome, 1)
	onOK, relOK, err := newFunc(func(_ safejs.Value, args []safejs.Value) any {
		done <- outcome{v: arg(args, 0)}
		return nil
	})
	if err != nil {
		return safejs.Undefined(), err
	}
	defer func() { relOK() }()
	onErr, relErr, err := newFunc(func(_ safejs.Value, args []safejs.Value) any {
		msg := "promise rejected"
		if m, ok := getString(arg(args, 0), "message"); ok {
			msg = m
		}
		done <- outcome{err: errors.New(msg)}
		return nil
	})
	if err != nil {
		return safejs.Undefined(), err
	}
	defer func() { relErr() }()
	if _, err := p.Call("then", onOK, onErr); err != nil {
		return safejs.Undefined(), err
	}
	select {
	case o := <-done:
		return o.v, o.err
	case <-ctx.Done():
		// keep the callbacks alive until the promise settles
		keep1, keep2 := relOK, relErr
		relOK, relErr = func() {}, func() {}
		go func() { <-done; keep1(); keep2() }()
		return safejs.Undefined(), errAbandoned
	}
}

func arg(args []safejs.Value, i int) safejs.Value {
	if i < len(args) {
		return args[i]
	}
	return safejs.Undefined()
}

func safeDelete(name string) error { return safejs.Global().Delete(name) }
