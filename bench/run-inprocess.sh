#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# In-process cost of libmuse per page-sized request, against a memcpy-only
# baseline: wall-clock requests per second (best of --runs) and
# instructions per request counted by callgrind around each loop only.
#
# bench/run-inprocess.sh [BUILDDIR]     (default: build)
#
# Prints a Markdown table (doc/performance.md has the measured one).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-$top/build}
bench=$builddir/bench/dispatch-bench
runs=5
iterations=2000000
cg_iterations=20000

[ -x "$bench" ] || {
	echo "run-inprocess.sh: $bench not built (meson compile -C $builddir)" >&2
	exit 1
}
command -v valgrind >/dev/null || {
	echo "run-inprocess.sh: valgrind not found (apt-get install valgrind)" >&2
	exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Wall clock: best of $runs, so that noise from other processes only ever
# makes a number worse, never better.
for r in $(seq "$runs"); do
	"$bench" --iterations "$iterations" >>"$tmp/wall"
done

# Instructions: callgrind collects only inside the loop function, so set-up
# and the INIT handshake are excluded.
for loop in read-libmuse read-memcpy write-libmuse write-memcpy; do
	fn=loop_$(echo "$loop" | tr '-' '_')
	valgrind -q --tool=callgrind --callgrind-out-file="$tmp/cg.$loop" \
		--toggle-collect="$fn" \
		"$bench" --iterations "$cg_iterations" --only "$loop" >/dev/null
	ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/cg.$loop")
	[ -n "$ir" ] || ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$tmp/cg.$loop")
	echo "$loop $((ir / cg_iterations))" >>"$tmp/ir"
done

echo "dispatch-bench: $iterations page-sized (2048 B) requests per run, best of $runs;"
echo "instructions per request from callgrind over $cg_iterations requests."
echo
echo "| request | path | ns/request | requests/s | instructions/request |"
echo "|---|---|---:|---:|---:|"
for loop in read-libmuse read-memcpy write-libmuse write-memcpy; do
	best=$(awk -v l="$loop" '$2 == l { print $5 }' "$tmp/wall" | sort -n | head -n 1)
	rate=$(awk -v l="$loop" '$2 == l { print $6 }' "$tmp/wall" | sort -n | tail -n 1)
	ir=$(awk -v l="$loop" '$1 == l { print $2 }' "$tmp/ir")
	echo "| ${loop%%-*} | ${loop#*-} | $best | $rate | $ir |"
done
echo
for op in read write; do
	lib=$(awk -v l="$op-libmuse" '$1 == l { print $2 }' "$tmp/ir")
	base=$(awk -v l="$op-memcpy" '$1 == l { print $2 }' "$tmp/ir")
	echo "$op: libmuse adds $((lib - base)) instructions per request to the copy's $base."
done
