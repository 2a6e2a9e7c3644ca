#!/usr/bin/env bash
# Makes sure a Chromium is on PATH for the browser tests. On Debian as root it
# installs Debian's chromium; elsewhere it says what to do.
set -euo pipefail
for b in chromium chromium-browser google-chrome google-chrome-stable; do
	if command -v "$b" >/dev/null 2>&1; then exit 0; fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing Debian's chromium (browser tests need it)..."
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq chromium brotli >/dev/null
	exit 0
fi
echo "The browser tests need Chromium or Chrome on PATH." >&2
echo "  Debian/Ubuntu: sudo apt-get install chromium   macOS: brew install --cask chromium" >&2
exit 1
