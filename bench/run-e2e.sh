#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# End-to-end MTD throughput: one boot of a Debian stock kernel under QEMU
# (TCG), from the kernel cache (tests/kernels/fetch-kernel.sh), runs
# mtdbench on mtdram, nandsim and MUSE+ramflash with the same geometry
# (bench/scenarios/e2e.sh) and this script prints Markdown tables of
# MiB/s, of the ratios MUSE / nandsim, MUSE / mtdram and 4 server threads
# / 1, of what ramflash's store held, and of a process round trip
# measured on this host and in the guest (dispatch-bench --roundtrip).
#
# bench/run-e2e.sh [--smp N] [--repeat N] [--rounds N] [--kernel SPEC]
#                  [--clock wall|icount|both] [--erase-slack BYTES]
#                  [--quick] [BUILDDIR]
#   --smp N      guest vCPUs (default 1; see doc/performance.md for why
#                1 and 2 give very different MUSE numbers under TCG)
#   --repeat N   passes of mtdbench over each device per round (default 3)
#   --rounds N   rounds over all devices, interleaved; each figure is the
#                best round's (default 3)
#   --kernel SPEC  6.1 or 6.12 (default: the first kernel of this host's
#                vm suite, 6.1 on Debian 12)
#   --clock C    wall: the guest's clock is the host's (default); icount:
#                instruction time (one ns per guest instruction, idle time
#                skipped), which host load cannot move; both: one boot of
#                each, their ratios side by side.  icount needs --smp 1.
#   --erase-slack BYTES  ramflash --erase-slack BYTES for every MUSE
#                device (default 0: none); the logs and results carry
#                -slackBYTES in their names
#   --quick      one round of one pass, few round trips: a check that the
#                bench works, not a measurement
#   BUILDDIR     default: build
#
# Needs the vm suite's muse.ko for that kernel (BUILDDIR/tests/vm/
# muse-SPEC.ko, built with -Dvm_tests=enabled), ramflash, mtdbench and
# dispatch-bench.  The raw console logs are kept in
# BUILDDIR/bench/e2e-SPEC-smpN-CLOCK.log, every figure in
# BUILDDIR/bench/e2e-SPEC-smpN.results.  The stock kernel is used because
# the debug kernel's KASAN and lockdep would slow MUSE's paths and the
# in-kernel drivers' very differently.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
smp=1
repeat=3
rounds=3
clock=wall
slack=0
# Round trips per calibration run: the guest's take ~0.1 ms each under
# TCG, the host's a few microseconds.
guest_roundtrips=2000
host_roundtrips=100000
spec=$("$top/tests/kernels/fetch-kernel.sh" --list | cut -d' ' -f1)
usage() {
	sed -n '12,31p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
# number OPTION VALUE: VALUE, or exit with an error when it is not a
# positive integer.
number() {
	case "$2" in
	'' | *[!0-9]* | 0*)
		echo "run-e2e.sh: $1 wants a positive integer, not '$2'" >&2
		exit 2
		;;
	esac
	echo "$2"
}
while [ $# -gt 0 ]; do
	case "$1" in
	--smp | --repeat | --rounds | --kernel | --clock | --erase-slack)
		[ $# -ge 2 ] || { echo "run-e2e.sh: $1 wants a value" >&2; exit 2; } ;;
	esac
	case "$1" in
	--smp) smp=$(number --smp "$2"); shift 2 ;;
	--repeat) repeat=$(number --repeat "$2"); shift 2 ;;
	--rounds) rounds=$(number --rounds "$2"); shift 2 ;;
	--kernel) spec=$2; shift 2 ;;
	--clock) clock=$2; shift 2 ;;
	--erase-slack) slack=$2; shift 2 ;;
	--quick)
		repeat=1 rounds=1 guest_roundtrips=200 host_roundtrips=10000
		shift
		;;
	-*) echo "run-e2e.sh: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
case "$clock" in
wall | icount) clocks=$clock ;;
both) clocks="wall icount" ;;
*) echo "run-e2e.sh: --clock wants wall, icount or both, not '$clock'" >&2; exit 2 ;;
esac
[ "$clock" = wall ] || [ "$smp" -eq 1 ] || {
	echo "run-e2e.sh: --clock $clock needs --smp 1 (QEMU counts instructions only with one vCPU)" >&2
	exit 2
}
builddir=$(cd "${1:-$top/build}" && pwd)

ko=$builddir/tests/vm/muse-$spec.ko
ramflash=$builddir/examples/ramflash/ramflash
mtdbench=$builddir/bench/mtdbench
dispatch=$builddir/bench/dispatch-bench
for f in "$ko" "$ramflash" "$mtdbench" "$dispatch"; do
	[ -e "$f" ] || {
		echo "run-e2e.sh: $f not built (meson setup -Dvm_tests=enabled, meson compile -C $builddir)" >&2
		exit 1
	}
done
kdir=$("$top/tests/kernels/fetch-kernel.sh" "$spec") || exit 1
kernel=$kdir/bzImage

initrd=$builddir/bench/e2e-$spec.cpio.gz
# A slack is another configuration of ramflash: its own files.
tag=
[ "$slack" = 0 ] || tag=-slack$slack
results=$builddir/bench/e2e-$spec-smp$smp$tag.results
"$top/tests/vm/mkinitramfs.sh" --out "$initrd" --modules-dir "$kdir/modules" \
	--module mtdram --module nandsim --ko "$ko" \
	--bin "$ramflash" --bin "$mtdbench" --bin "$dispatch" \
	--file "$top/tests/kernel-debug/scenarios/kdebug-lib.sh:/scenarios/kdebug-lib.sh" \
	--scenarios "$top/bench/scenarios"

# The native calibration, on this host before the guests start: the best of
# three runs, so that other processes only ever make it worse.
: >"$results"
for _ in 1 2 3; do
	{
		"$dispatch" --roundtrip --iterations "$host_roundtrips"
		"$dispatch" --iterations $((host_roundtrips * 10))
	} | sed 's/^RESULT /host CALIBRATION /' >>"$results"
done

for c in $clocks; do
	log=$builddir/bench/e2e-$spec-smp$smp$tag-$c.log
	"$top/tests/vm/run-scenario.sh" --kernel "$kernel" --initrd "$initrd" \
		--scenario e2e --timeout 3600 --smp "$smp" --mem 1024 \
		--clock "$c" \
		--append "musetest.args=$repeat,$rounds,$guest_roundtrips,$slack" \
		--log "$log" >/dev/null || {
		tr -d '\r' <"$log" | tail -n 60
		echo "run-e2e.sh: the benchmark run failed ($c clock); console log in $log" >&2
		exit 1
	}
	# Each line of the results file starts with the clock it was measured by.
	tr -d '\r' <"$log" | grep -E '^(RESULT|MEMORY|CALIBRATION) ' |
		sed "s/^/$c /" >>"$results"
done
# <clock> RESULT <label> <phase> <bytes> <seconds> <MiB/s> <ops/s>
#          <median MiB/s> <p10 MiB/s> <p90 MiB/s>
# The ratio tables use the median figure (bench/mtdbench.c says why) of the
# best round and, for work one operation can leave to the next (an erase
# whose pages the next program allocates again), the total figure of the
# same round; the results file keeps every round.
awk -v kernel="$(cat "$kdir/release")" -v repeat="$repeat" -v rounds="$rounds" \
	-v smp="$smp" -v clocks="$clocks" '
function header(title) {
	printf "\n%s\n\n| device |", title
	for (i = 1; i <= n; i++) printf " %s |", ph[i]
	printf "\n|---|"
	for (i = 1; i <= n; i++) printf "---:|"
	printf "\n"
}
# A ratio of two MiB/s figures, or "-" when the base is missing.
function ratio(num, base) {
	return base > 0 ? sprintf("%.2f", num / base) : "-"
}
# One row: label num over label den, phase by phase, by figure fig (med or
# tot), one ratio per clock separated by " / ".
function ratio_row(name, num, den, fig) {
	printf "| %s |", name
	for (i = 1; i <= n; i++) {
		cell = ""
		for (k = 1; k <= nclk; k++) {
			c = clk[k]
			cell = cell (k > 1 ? " / " : "") \
			       ratio(best[c, num, ph[i], fig], best[c, den, ph[i], fig])
		}
		printf " %s |", cell
	}
	printf "\n"
}
$2 == "RESULT" {
	# The best round is the one with the best median operation.
	if ($9 > best[$1, $3, $4, "med"]) {
		best[$1, $3, $4, "med"] = $9
		best[$1, $3, $4, "tot"] = $7
		best[$1, $3, $4, "p10"] = $10
		best[$1, $3, $4, "p90"] = $11
	}
}
$2 == "MEMORY" {
	if ($4 > hwm[$1, $3]) hwm[$1, $3] = $4
	if ($5 > store[$1, $3]) store[$1, $3] = $5
}
# Calibration loops: the fastest run or round of each, ns per request.
$2 == "CALIBRATION" {
	if (!(($1, $3) in rt) || $6 < rt[$1, $3]) rt[$1, $3] = $6
}
END {
	nclk = split(clocks, clk, " ")
	n = split("erase erase-multi eb-write eb-read page-write page-read cycle", ph, " ")
	m = split("mtdram nandsim muse-page-t1 muse-eraseblock-t1 muse-page-nopt-t1 muse-page-t4 muse-eraseblock-t4 muse-page-nopt-t4", dev, " ")
	# A device or phase without a figure is a broken run, not a blank cell.
	for (k = 1; k <= nclk; k++)
		for (d = 1; d <= m; d++)
			for (i = 1; i <= n; i++)
				if (best[clk[k], dev[d], ph[i], "med"] <= 0) {
					printf "run-e2e.sh: no %s figure for %s in the %s clock boot\n", \
					       ph[i], dev[d], clk[k] > "/dev/stderr"
					exit 1
				}
	printf "Kernel %s under QEMU TCG (%s vCPU), 4 MiB, 128 KiB eraseblocks, 2 KiB pages, best of %s rounds of %s passes.\n", kernel, smp, rounds, repeat
	printf "cycle: per eraseblock, erase + program page by page + read back.\n"
	for (k = 1; k <= nclk; k++) {
		c = clk[k]
		header("MiB/s, " c " clock: median operation of the best round (p90 .. p10 operation; total bytes over total time):")
		for (d = 1; d <= m; d++) {
			printf "| %s |", dev[d]
			for (i = 1; i <= n; i++) {
				key = c SUBSEP dev[d] SUBSEP ph[i]
				printf " %.1f (%.1f .. %.1f; %.1f) |", best[key, "med"],
				       best[key, "p90"], best[key, "p10"], best[key, "tot"]
			}
			printf "\n"
		}
	}
	clocks_note = nclk > 1 ? " (" clk[1] " / " clk[2] " clock)" : " (" clk[1] " clock)"
	for (r = 1; r <= 2; r++) {
		ref = r == 1 ? "nandsim" : "mtdram"
		header("MUSE / " ref ", median operation" clocks_note ":")
		for (d = 3; d <= m; d++)
			ratio_row(dev[d], dev[d], ref, "med")
		header("MUSE / " ref ", total time" clocks_note ":")
		for (d = 3; d <= m; d++)
			ratio_row(dev[d], dev[d], ref, "tot")
	}
	# The same configuration served by 4 threads against 1: what queueing
	# the units of one operation together in the module buys.
	header("MUSE, 4 server threads / 1, median operation" clocks_note ":")
	q = split("muse-page muse-eraseblock muse-page-nopt", cfg, " ")
	for (j = 1; j <= q; j++)
		ratio_row(cfg[j], cfg[j] "-t4", cfg[j] "-t1", "med")

	printf "\nramflash at its peak (after writing the whole 4 MiB), KiB, %s clock boot: resident high-water mark (VmHWM), store memfd allocated:\n\n", clk[1]
	printf "| device | VmHWM | store |\n|---|---:|---:|\n"
	for (d = 3; d <= m; d++)
		printf "| %s | %d | %d |\n", dev[d], hwm[clk[1], dev[d]], store[clk[1], dev[d]]

	printf "\nCalibration, ns per request, fastest run or round: a round trip over a socketpair to a server process (dispatch-bench --roundtrip: request header, 2 KiB in the reply or the request), libmuse in-process on a page, a bare 2 KiB copy; the same program on this host and in the guest:\n\n"
	printf "| loop | host |"
	for (k = 1; k <= nclk; k++) printf " guest, %s |", clk[k]
	for (k = 1; k <= nclk; k++) printf " %s / host |", clk[k]
	printf "\n|---|---:|"
	for (k = 1; k <= 2 * nclk; k++) printf "---:|"
	printf "\n"
	q = split("read-roundtrip write-roundtrip read-libmuse read-memcpy", loop, " ")
	for (j = 1; j <= q; j++) {
		host = rt["host", loop[j]]
		printf "| %s | %.0f |", loop[j], host
		for (k = 1; k <= nclk; k++) printf " %.0f |", rt[clk[k], loop[j]]
		for (k = 1; k <= nclk; k++) printf " %s |", ratio(rt[clk[k], loop[j]], host)
		printf "\n"
	}
}' "$results"
