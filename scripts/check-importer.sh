#!/usr/bin/env bash
# What a Go program that imports core gets. Builds a scratch module outside
# the repository that requires kiss-websocket (replaced by this checkout),
# with a fresh module cache fed only from the local one (no network), copies
# core's Example into it and runs it there (it must need nothing of this
# repository but core), then checks that its go.mod and go.sum hold
# coder/websocket and nothing else, that nothing else was downloaded, and
# that the module graph loaded no other module's go.mod: the tools of our
# tests and bench (chromedp, wasmbrowsertest) do not come along.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
unset GOOS GOARCH
# coder/websocket in the local module cache, the scratch module's only source
go -C "$repo" mod download github.com/coder/websocket
cache=$(go env GOMODCACHE)
goversion=$(go -C "$repo" mod edit -json | sed -n 's/^\t"Go": "\(.*\)",$/\1/p')
tmp=$(mktemp -d /tmp/kiss-websocket-importer.XXXXXX)
export GOMODCACHE=$tmp/mod GOPROXY=file://$cache/cache/download GOSUMDB=off GOFLAGS= GOWORK=off GOTOOLCHAIN=local
trap 'go clean -modcache >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
mod=$tmp/importer
mkdir -p "$mod/example"
cd "$mod"
cat >go.mod <<MOD
module example.com/importer

go $goversion

require github.com/kissjs/kiss-websocket v0.0.0

replace github.com/kissjs/kiss-websocket => $repo
MOD
cat >main.go <<'GO'
package main

import (
	"fmt"

	"github.com/kissjs/kiss-websocket/core"
)

func main() {
	c := core.New(core.Options{Dialer: core.NativeDialer{}})
	fmt.Println(c.State())
}
GO
cp "$repo/core/example_test.go" example/
fail() { echo "check-importer: $*"; exit 1; }
go mod tidy 2>"$tmp/tidy.out" || { cat "$tmp/tidy.out"; fail "go mod tidy failed"; }
go build ./...
go vet ./...
go test -count=1 -v -run '^Example$' ./example >"$tmp/test.out" 2>&1 &&
	grep -q '^--- PASS: Example ' "$tmp/test.out" || { cat "$tmp/test.out"; fail "core's Example does not run in another module"; }

want=$'github.com/coder/websocket\ngithub.com/kissjs/kiss-websocket'
got=$(sed -n 's/^\t\([^ ]*\) v.*/\1/p; s/^require \([^ (]*\) v.*/\1/p' go.mod | sort -u)
[ "$got" = "$want" ] || fail $'go.mod requires\n'"$got"$'\nwant\n'"$want"
got=$(awk '{print $1}' go.sum | sort -u)
[ "$got" = github.com/coder/websocket ] || fail $'go.sum has\n'"$got"
# every sum is the one this repository pins
while read -r line; do
	grep -qxF "$line" "$repo/go.sum" || fail "go.sum line not in the repository's go.sum: $line"
done <go.sum
got=$(cd "$GOMODCACHE/cache/download" && find . -name '*.mod' | sed 's|^\./||; s|/@v/.*||' | sort -u)
[ "$got" = github.com/coder/websocket ] || fail $'downloaded\n'"$got"
graph=$(go mod graph)
# Only our module and coder/websocket had their go.mod read: every other
# requirement of kiss-websocket is pruned (go >= 1.17 module graph pruning).
loaded=$(awk '{sub(/@.*/, "", $1); print $1}' <<<"$graph" | grep -v -x -e example.com/importer -e github.com/kissjs/kiss-websocket \
	-e github.com/coder/websocket -e go -e toolchain || true)
[ -z "$loaded" ] || fail $'the module graph loaded\n'"$loaded"
! grep -E 'agnivade/wasmbrowsertest|go-interpreter/wagon|google/pprof' <<<"$graph" ||
	fail "a test tool's module is in the importer's module graph (tools belong in tools/go.mod)"
pruned=$(awk '$1 ~ /^github.com\/kissjs\/kiss-websocket@/ {sub(/@.*/, "", $2); print $2}' <<<"$graph" |
	grep -v -x -e github.com/coder/websocket -e go || true)
echo "check-importer: an importer of core gets github.com/coder/websocket only (go.mod, go.sum, downloads)," \
	"core's Example runs in it; kiss-websocket's other requirements are pruned, never loaded:" $pruned
