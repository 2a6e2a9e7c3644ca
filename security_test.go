//go:build !js

package main

import (
	"io"
	"net"
	"testing"
)

// The dev server listens on loopback unless told otherwise, and its test
// controls (which let anyone close, stall or impersonate sessions) are
// then on only because nobody else can reach them.
func TestDevServerIsLocalByDefault(t *testing.T) {
	t.Parallel()
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(cfg.addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		t.Fatalf("default -addr %q is not a loopback address", cfg.addr)
	}
	if cfg.controls != nil {
		t.Fatalf("test controls forced by default: %v", *cfg.controls)
	}
	for _, tc := range []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", true}, {"127.9.9.9", true}, {"::1", true},
		{"0.0.0.0", false}, {"::", false}, {"192.168.1.10", false}, {"10.0.0.1", false}, {"2001:db8::1", false},
	} {
		if got := isLoopback(&net.TCPAddr{IP: net.ParseIP(tc.ip), Port: 8080}); got != tc.want {
			t.Errorf("isLoopback(%s) = %v: test controls would be %v by default", tc.ip, got, map[bool]string{true: "on", false: "off"}[got])
		}
	}
	if isLoopback(&net.UnixAddr{Name: "/tmp/x", Net: "unix"}) {
		t.Error("a unix socket counts as loopback")
	}
}
