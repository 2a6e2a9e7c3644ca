#!/usr/bin/env bash
# Runs the wasm tests in headless Chromium against the dev server binary,
# started on a free loopback port with its test controls on. Extra arguments
# go to `go test` (e.g. -run TestCloseCodes -v).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p out
urlfile=$(mktemp -u /tmp/kiss-websocket-url.XXXXXX)
./bin/kiss-websocket -addr 127.0.0.1:0 -web web -url-file "$urlfile" -test-controls \
	-origin 'localhost:*,127.0.0.1:*' >out/server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$urlfile" ] && break; sleep 0.1; done
[ -s "$urlfile" ] || { echo "dev server did not start:"; cat out/server.log; exit 1; }
export KISS_SERVER_URL=$(cat "$urlfile")
# chromedp (pinned by wasmbrowsertest) logs every CDP enum newer than itself;
# those lines are noise, not test output.
set +e
GOOS=js GOARCH=wasm go test -exec "$PWD/bin/wasmbrowsertest" -timeout 5m "$@" ./wasm/ 2>&1 |
	grep --line-buffered -v 'could not unmarshal event'
status=${PIPESTATUS[0]}
if [ "$status" = 0 ]; then
	# the demo page, the page life cycle (back/forward cache, freeze,
	# hidden tab, CSP) and the README's nginx recipe (Debian's nginx serving
	# make dist's folder to a page on its own origin), driven by chromedp;
	# screenshots in out/. One package at a time: the first two drive the
	# shared server's controls (drop, vanish).
	env -u GOOS -u GOARCH go test -count=1 -p 1 ./internal/demotest ./internal/lifecycletest ./internal/nginxtest
	status=$?
fi
[ "$status" = 0 ] || { echo "--- dev server log (out/server.log, last lines):"; tail -n 20 out/server.log; }
exit "$status"
