#!/usr/bin/env bash
# make stress: the native suite (the packages of make test-native, which
# make passes in STRESS_PKGS; run through make, or set it yourself) under
# -race -count=STRESS_COUNT -cpu 1,2,4, then each timing-sensitive test of
# scripts/stress-timing.txt STRESS_TIMING_COUNT times more, split across
# STRESS_SHARDS concurrent go test processes (their waits are mostly real
# time, so they load the machine as well). Prints a table of runs and
# failures per test (internal/stresstable) and exits non-zero on any failure.
# The streams and the output of each failed run stay in out/stress/.
set -uo pipefail
cd "$(dirname "$0")/.."
go() { env -u GOOS -u GOARCH "${GO:-go}" "$@"; }

pkgs=${STRESS_PKGS:?"run make stress (it passes make test-native's packages in STRESS_PKGS)"}
count=${STRESS_COUNT:-4}
timing=${STRESS_TIMING_COUNT:-200}
shards=${STRESS_SHARDS:-6}
list=scripts/stress-timing.txt
dir=out/stress
rm -rf "$dir" && mkdir -p "$dir"
go build -o "$dir/stresstable" ./internal/stresstable || exit 2

began=$SECONDS
status=0

echo "stress: the suite, -race -count=$count -cpu 1,2,4 ($(wc -w <<<"$pkgs") packages)"
go test -race -count="$count" -cpu 1,2,4 -json -timeout "$((10 + 3 * count))m" $pkgs >"$dir/suite.json" 2>"$dir/suite.stderr" || status=1
echo "stress: the suite took $((SECONDS - began)) s"

# Each shard runs every listed test -count=per -cpu 1,2,4: 3*per*shards >= timing.
per=$(((timing + 3 * shards - 1) / (3 * shards)))
t0=$SECONDS
echo "stress: the timing-sensitive tests, $shards shards of -race -count=$per -cpu 1,2,4 ($((3 * per * shards)) runs each)"
pids=()
for d in $(awk '!/^[[:space:]]*#/ && NF {print $1}' "$list" | sort -u); do
	run="^($(awk -v d="$d" '!/^[[:space:]]*#/ && $1 == d {print $2}' "$list" | paste -sd '|'))\$"
	name=$(tr -c 'a-zA-Z0-9\n' _ <<<"$d")
	for s in $(seq "$shards"); do
		go test -race -count="$per" -cpu 1,2,4 -json -timeout 60m -run "$run" "$d" \
			>"$dir/timing-$name-$s.json" 2>"$dir/timing-$name-$s.stderr" &
		pids+=($!)
	done
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
echo "stress: the timing-sensitive tests took $((SECONDS - t0)) s"
echo

"$dir/stresstable" -list "$list" -failures "$dir/failures.txt" "$dir"/*.json
table=$?
echo "stress: $((SECONDS - began)) s in all (STRESS_COUNT=$count STRESS_TIMING_COUNT=$timing STRESS_SHARDS=$shards)"
if [ "$table" != 0 ]; then
	exit 1
fi
if [ "$status" != 0 ]; then
	# go test failed, yet its streams show no failure: say what it said.
	echo "stress: go test failed outside its JSON stream:"
	cat "$dir"/*.stderr
	exit 1
fi
