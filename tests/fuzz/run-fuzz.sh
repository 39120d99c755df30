#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A bounded libFuzzer run as a test: starts from a scratch copy of the
# committed seed corpus (libFuzzer writes new inputs into its first corpus
# directory) and fails on the first crash, leak or sanitizer report.
#   run-fuzz.sh FUZZER CORPUS SECONDS
set -eu
fuzzer=$1 corpus=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$corpus"/* "$work/corpus/"
exec "$fuzzer" -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 \
	-artifact_prefix="$work/" "$work/corpus"
