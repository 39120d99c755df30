#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# End-to-end MTD throughput: one boot of a Debian stock kernel under QEMU
# (TCG), from the kernel cache (tests/kernels/fetch-kernel.sh), runs
# mtdbench on mtdram, nandsim and MUSE+ramflash with the same geometry
# (bench/scenarios/e2e.sh) and this script prints a Markdown table of
# MiB/s and of the ratios MUSE / nandsim, MUSE / mtdram and 4 server
# threads / 1.
#
# bench/run-e2e.sh [--smp N] [--repeat N] [--rounds N] [--kernel SPEC]
#                  [BUILDDIR]
#   --smp N      guest vCPUs (default 1; see doc/performance.md for why
#                1 and 2 give very different MUSE numbers under TCG)
#   --repeat N   passes of mtdbench over each device per round (default 3)
#   --rounds N   rounds over all devices, interleaved; each figure is the
#                best round's (default 3)
#   --kernel SPEC  6.1 or 6.12 (default: the first kernel of this host's
#                vm suite, 6.1 on Debian 12)
#   BUILDDIR     default: build
#
# Needs the vm suite's muse.ko for that kernel (BUILDDIR/tests/vm/
# muse-SPEC.ko, built with -Dvm_tests=enabled), ramflash and mtdbench.
# The raw console log is kept in BUILDDIR/bench/e2e-SPEC-smpN.log.  The
# stock kernel is used because the debug kernel's KASAN and lockdep would
# slow MUSE's paths and the in-kernel drivers' very differently.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
smp=1
repeat=3
rounds=3
spec=$("$top/tests/kernels/fetch-kernel.sh" --list | cut -d' ' -f1)
while [ $# -gt 0 ]; do
	case "$1" in
	--smp) smp=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--kernel) spec=$2; shift 2 ;;
	-*) sed -n '11,20p' "$0" >&2; exit 2 ;;
	*) break ;;
	esac
done
builddir=$(cd "${1:-$top/build}" && pwd)

ko=$builddir/tests/vm/muse-$spec.ko
ramflash=$builddir/examples/ramflash/ramflash
mtdbench=$builddir/bench/mtdbench
for f in "$ko" "$ramflash" "$mtdbench"; do
	[ -e "$f" ] || {
		echo "run-e2e.sh: $f not built (meson setup -Dvm_tests=enabled, meson compile -C $builddir)" >&2
		exit 1
	}
done
kdir=$("$top/tests/kernels/fetch-kernel.sh" "$spec") || exit 1
kernel=$kdir/bzImage

initrd=$builddir/bench/e2e-$spec.cpio.gz
log=$builddir/bench/e2e-$spec-smp$smp.log
results=$builddir/bench/e2e-$spec-smp$smp.results
"$top/tests/vm/mkinitramfs.sh" --out "$initrd" --modules-dir "$kdir/modules" \
	--module mtdram --module nandsim --ko "$ko" \
	--bin "$ramflash" --bin "$mtdbench" \
	--file "$top/tests/kernel-debug/scenarios/kdebug-lib.sh:/scenarios/kdebug-lib.sh" \
	--scenarios "$top/bench/scenarios"
"$top/tests/vm/run-scenario.sh" --kernel "$kernel" --initrd "$initrd" \
	--scenario e2e --timeout 1800 --smp "$smp" --mem 1024 \
	--append "musetest.args=$repeat,$rounds" --log "$log" >/dev/null || {
	tr -d '\r' <"$log" | tail -n 60
	echo "run-e2e.sh: the benchmark run failed; console log in $log" >&2
	exit 1
}

# RESULT <label> <phase> <bytes> <seconds> <MiB/s> <ops/s> <median MiB/s>
# The tables use the median figure (bench/mtdbench.c says why), of the
# best round; the results file keeps every round's both figures.
tr -d '\r' <"$log" | grep '^RESULT ' >"$results"
awk -v kernel="$(cat "$kdir/release")" -v repeat="$repeat" -v rounds="$rounds" -v smp="$smp" '
function header(title) {
	printf "\n%s\n\n| device |", title
	for (i = 1; i <= n; i++) printf " %s |", ph[i]
	printf "\n|---|"
	for (i = 1; i <= n; i++) printf "---:|"
	printf "\n"
}
# One row: the MiB/s of label num over those of label den, phase by phase.
function ratio_row(name, num, den) {
	printf "| %s |", name
	for (i = 1; i <= n; i++) {
		base = mibs[den, ph[i]]
		printf " %s |", (base > 0 ? sprintf("%.2f", mibs[num, ph[i]] / base) : "-")
	}
	printf "\n"
}
{ if ($8 > mibs[$2, $3]) mibs[$2, $3] = $8 }
END {
	n = split("erase erase-multi eb-write eb-read page-write page-read", ph, " ")
	printf "Kernel %s under QEMU TCG (%s vCPU), 4 MiB, 128 KiB eraseblocks, 2 KiB pages, best of %s rounds of %s passes.\n", kernel, smp, rounds, repeat
	header("MiB/s (median operation):")
	m = split("mtdram nandsim muse-page-t1 muse-eraseblock-t1 muse-page-nopt-t1 muse-page-t4 muse-eraseblock-t4 muse-page-nopt-t4", dev, " ")
	for (d = 1; d <= m; d++) {
		printf "| %s |", dev[d]
		for (i = 1; i <= n; i++) printf " %s |", mibs[dev[d], ph[i]]
		printf "\n"
	}
	for (r = 1; r <= 2; r++) {
		ref = r == 1 ? "nandsim" : "mtdram"
		header("MUSE / " ref ":")
		for (d = 3; d <= m; d++)
			ratio_row(dev[d], dev[d], ref)
	}
	# The same configuration served by 4 threads against 1: what queueing
	# the units of one operation together in the module buys.
	header("MUSE, 4 server threads / 1:")
	k = split("muse-page muse-eraseblock muse-page-nopt", cfg, " ")
	for (c = 1; c <= k; c++)
		ratio_row(cfg[c], cfg[c] "-t4", cfg[c] "-t1")
}' "$results"
