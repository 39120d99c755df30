#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# End-to-end MTD throughput: one boot of a Debian stock kernel under QEMU
# (TCG), from the kernel cache (tests/kernels/fetch-kernel.sh), runs
# mtdbench on mtdram, nandsim and MUSE+ramflash with the same geometry,
# and UBI/UBIFS workloads on nandsim and MUSE+ramflash
# (bench/scenarios/e2e.sh), and this script prints Markdown tables of
# MiB/s, of the ratios MUSE / nandsim, MUSE / mtdram, 4 server threads /
# 1 and kernel program on / off, of what ramflash's store held, and of a
# process round trip measured on this host and in the guest
# (dispatch-bench --roundtrip).
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
#   --quick      one round of one pass, few round trips, a quarter of the
#                UBI workloads: a check that the bench works, not a
#                measurement
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
# The UBI workloads' scale (bench/scenarios/e2e.sh): 4, a 16 MiB volume
# update, the demo's 24 files of 256 KiB, 4 rounds of them.
ubi_scale=4
spec=$("$top/tests/kernels/fetch-kernel.sh" --list | cut -d' ' -f1)
usage() {
	sed -n '14,34p' "$0" | sed 's/^# \{0,1\}//' >&2
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
		ubi_scale=1
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
	--ubifs-config "$kdir/config" \
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
		--append "musetest.args=$repeat,$rounds,$guest_roundtrips,$slack,$ubi_scale" \
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
# The title and head of a table, one column per phase of phs (np of them).
function header(title, phs, np) {
	printf "\n%s\n\n| device |", title
	for (i = 1; i <= np; i++) printf " %s |", phs[i]
	printf "\n|---|"
	for (i = 1; i <= np; i++) printf "---:|"
	printf "\n"
}
# A ratio of two MiB/s figures, or "-" when the base is missing.
function ratio(num, base) {
	return base > 0 ? sprintf("%.2f", num / base) : "-"
}
# One row: label num over label den, phase by phase of phs (np of them),
# by figure fig (med or tot), one ratio per clock separated by " / ".
function ratio_row(name, num, den, fig, phs, np) {
	printf "| %s |", name
	for (i = 1; i <= np; i++) {
		cell = ""
		for (k = 1; k <= nclk; k++) {
			c = clk[k]
			cell = cell (k > 1 ? " / " : "") \
			       ratio(best[c, num, phs[i], fig], best[c, den, phs[i], fig])
		}
		printf " %s |", cell
	}
	printf "\n"
}
# Every device of devs (nd of them) has a figure for every phase of phs
# (np) in the boot of every clock, or the run is broken: exit 1.
function complete(devs, nd, phs, np) {
	for (k = 1; k <= nclk; k++)
		for (d = 1; d <= nd; d++)
			for (i = 1; i <= np; i++)
				if (best[clk[k], devs[d], phs[i], "med"] <= 0) {
					printf "run-e2e.sh: no %s figure for %s in the %s clock boot\n", \
					       phs[i], devs[d], clk[k] > "/dev/stderr"
					exit 1
				}
}
# MiB/s of devices devs over phases phs, one table per clock.
function mibs_tables(what, devs, nd, phs, np) {
	for (k = 1; k <= nclk; k++) {
		c = clk[k]
		header("MiB/s, " c " clock, " what ":", phs, np)
		for (d = 1; d <= nd; d++) {
			printf "| %s |", devs[d]
			for (i = 1; i <= np; i++) {
				key = c SUBSEP devs[d] SUBSEP phs[i]
				printf " %.1f (%.1f .. %.1f; %.1f) |", best[key, "med"],
				       best[key, "p90"], best[key, "p10"], best[key, "tot"]
			}
			printf "\n"
		}
	}
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
	m = split("mtdram nandsim muse-page-t1 muse-eraseblock-t1 muse-page-nopt-t1 muse-page-t4 muse-eraseblock-t4 muse-page-nopt-t4 muse-page-nokp-t1 muse-eraseblock-nokp-t1", dev, " ")
	nu = split("ubi-update ubifs-write ubifs-churn", uph, " ")
	mu = split("nandsim muse-ubi-kp muse-ubi-nokp", udev, " ")
	# A device or phase without a figure is a broken run, not a blank cell.
	complete(dev, m, ph, n)
	complete(udev, mu, uph, nu)
	printf "Kernel %s under QEMU TCG (%s vCPU), 4 MiB, 128 KiB eraseblocks, 2 KiB pages, best of %s rounds of %s passes.\n", kernel, smp, rounds, repeat
	printf "cycle: per eraseblock, erase + program page by page + read back.\n"
	mibs_tables("median operation of the best round (p90 .. p10 operation; total bytes over total time)", dev, m, ph, n)
	clocks_note = nclk > 1 ? " (" clk[1] " / " clk[2] " clock)" : " (" clk[1] " clock)"
	for (r = 1; r <= 2; r++) {
		ref = r == 1 ? "nandsim" : "mtdram"
		header("MUSE / " ref ", median operation" clocks_note ":", ph, n)
		for (d = 3; d <= m; d++)
			ratio_row(dev[d], dev[d], ref, "med", ph, n)
		header("MUSE / " ref ", total time" clocks_note ":", ph, n)
		for (d = 3; d <= m; d++)
			ratio_row(dev[d], dev[d], ref, "tot", ph, n)
	}
	# The same configuration served by 4 threads against 1: what queueing
	# the units of one operation together in the module buys.
	header("MUSE, 4 server threads / 1, median operation" clocks_note ":", ph, n)
	q = split("muse-page muse-eraseblock muse-page-nopt", cfg, " ")
	for (j = 1; j <= q; j++)
		ratio_row(cfg[j], cfg[j] "-t4", cfg[j] "-t1", "med", ph, n)
	# Kernel program (the default) against --no-kernel-program, 1 thread.
	for (r = 1; r <= 2; r++) {
		fig = r == 1 ? "med" : "tot"
		header("MUSE, kernel program on / off, " (r == 1 ? "median operation" : "total time") clocks_note ":", ph, n)
		q = split("muse-page muse-eraseblock", cfg, " ")
		for (j = 1; j <= q; j++)
			ratio_row(cfg[j], cfg[j] "-t1", cfg[j] "-nokp-t1", fig, ph, n)
	}

	printf "\nUBI and UBIFS on a 64 MiB NAND (2 KiB pages, 128 KiB eraseblocks; MUSE: ramflash with eraseblock requests, 1 thread, kernel program on (kp) and off (nokp)), each workload one timed operation, best of %s rounds:\n", rounds
	printf "ubi-update: ubiupdatevol of a volume; ubifs-write: files copied, sync (as the demo does); ubifs-churn: rounds of the same files copied into a new directory, sync, the previous round deleted, sync.\n"
	mibs_tables("one operation (the total figure)", udev, mu, uph, nu)
	header("UBI and UBIFS, MiB/s ratios" clocks_note ":", uph, nu)
	ratio_row("kp / nandsim", "muse-ubi-kp", "nandsim", "tot", uph, nu)
	ratio_row("nokp / nandsim", "muse-ubi-nokp", "nandsim", "tot", uph, nu)
	ratio_row("kp / nokp", "muse-ubi-kp", "muse-ubi-nokp", "tot", uph, nu)

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
