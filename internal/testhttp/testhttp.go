// Package testhttp is the one way the repository's tests make an HTTP
// request: build it, send it, read the whole body, fail the test on any
// transport error.
package testhttp

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Do sends req with c (http.DefaultClient when nil) and returns the response
// with its body read and closed.
func Do(t testing.TB, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// Request builds a request with body (none when empty) and headers.
func Request(t testing.TB, method, url, body string, header map[string]string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return req
}
