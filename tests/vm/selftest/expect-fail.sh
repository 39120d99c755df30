#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# expect-fail.sh TEXT RUN-SCENARIO [ARGS...]: run run-scenario.sh, which
# must fail (exit 1) and print TEXT; so the harness is shown to catch what
# it claims to catch, for the reason it claims.
set -u
expected=$1
shift
out=$("$@" 2>&1)
status=$?
if [ "$status" -eq 77 ]; then
	echo "$out"
	exit 77
fi
if [ "$status" -ne 1 ]; then
	echo "$out"
	echo "expected run-scenario.sh to fail with status 1, got $status"
	exit 1
fi
if ! printf '%s\n' "$out" | grep -qF "$expected"; then
	echo "$out"
	echo "run-scenario.sh failed, but without '$expected'"
	exit 1
fi
echo "ok: run-scenario.sh failed with '$expected'"
