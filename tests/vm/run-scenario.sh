#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Boot a kernel under QEMU with a test initramfs and run one scenario.
#
# run-scenario.sh --kernel BZIMAGE --initrd FILE --scenario NAME
#                 [--timeout SECONDS] [--mem MB] [--smp N]
#                 [--append "EXTRA CMDLINE"] [--log FILE]
#                 [--clock wall|icount] [--boot-limit SECONDS]
#
# --clock icount runs the guest in instruction time (QEMU -icount
# shift=0,sleep=off: its clock advances one nanosecond per instruction it
# executes and jumps over idle time), so what the guest measures does not
# depend on the host's load; it needs single-threaded TCG and --smp 1.
#
# A kernel that has not started /init within --boot-limit seconds (240,
# or the timeout if shorter) hung while booting: like a splat before
# /init, that is retried once (below).
#
# Exit status: 0 PASS, 77 SKIP, 1 FAIL, nothing to boot, timeout, missing
# result line, or a kernel splat (BUG, WARNING, Oops, panic, hung task,
# KASAN, UBSAN, lockdep, kmemleak) anywhere in the console log.  On failure
# the whole console log is printed.
set -eu

usage() {
	sed -n '4,18p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

kernel=
initrd=
scenario=
timeout=300
mem=512
smp=2
append=
log=
clock=wall
boot_limit=
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	case "$1" in
	--kernel) kernel=$2 ;;
	--initrd) initrd=$2 ;;
	--scenario) scenario=$2 ;;
	--timeout) timeout=$2 ;;
	--mem) mem=$2 ;;
	--smp) smp=$2 ;;
	--append) append=$2 ;;
	--log) log=$2 ;;
	--clock) clock=$2 ;;
	--boot-limit) boot_limit=$2 ;;
	*) usage ;;
	esac
	shift 2
done
[ -n "$kernel" ] && [ -n "$initrd" ] && [ -n "$scenario" ] || usage
case "$clock" in
wall) accel="-accel tcg,thread=multi" ;;
icount)
	[ "$smp" -eq 1 ] || {
		echo "run-scenario.sh: --clock icount needs --smp 1 (QEMU counts instructions only with single-threaded TCG)" >&2
		exit 2
	}
	# align=off: the guest clock need not keep pace with the host's.
	accel="-accel tcg,thread=single -icount shift=0,sleep=off,align=off"
	;;
*)
	echo "run-scenario.sh: --clock wants wall or icount, not '$clock'" >&2
	exit 2
	;;
esac

skip() {
	echo "SKIP $scenario: $*"
	exit 77
}
command -v qemu-system-x86_64 >/dev/null ||
	skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
# The suite names existing files when it is configured: one that is gone
# (a newer kernel replaced it in the cache) is an error, not a skip.
for f in "$kernel" "$initrd"; do
	[ -r "$f" ] || {
		echo "FAIL $scenario: $f not readable (reconfigure: meson setup --reconfigure)"
		exit 1
	}
done

if [ -z "$log" ]; then
	log=$(mktemp "${TMPDIR:-/tmp}/muse-vm-$scenario.XXXXXX")
	trap 'rm -f "$log" "$log.boot-crash"' EXIT
fi

# The guest gives up before the host does, so that it can still dump the
# blocked tasks and print its result line.  Its clock starts after the
# boot, which takes 20 s and more with two guests at a time on a loaded
# 2-core machine: the margin is 45 s from a 90 s limit up, 20 s below.
if [ "$timeout" -ge 90 ]; then
	guest_limit=$((timeout - 45))
elif [ "$timeout" -gt 40 ]; then
	guest_limit=$((timeout - 20))
else
	guest_limit=$timeout
fi
splats='BUG:|WARNING:|Oops|Kernel panic|blocked for more than|KASAN:|UBSAN:'
splats="$splats|possible circular locking|possible recursive locking"
splats="$splats|inconsistent lock state|suspicious RCU usage"
splats="$splats|INFO: lockdep|unreferenced object|general protection fault"

# A kernel that has not started /init after boot_limit seconds hung while
# booting (CI saw the 7.3 debug kernel stop after "vgaarb: loaded", 33 s
# in, until the 600 s limit); a boot takes 20-60 s under TCG, the debug
# kernels' the longest.
[ -n "$boot_limit" ] || boot_limit=$((timeout < 240 ? timeout : 240))
init_line='Run /init as init process'

# boot: run the guest to its end, or until it hangs before /init (then
# boot_hung=yes and QEMU is stopped).
boot() {
	start=$(date +%s)
	status=0
	boot_hung=no
	# $accel is several words on purpose.
	# shellcheck disable=SC2086
	timeout -k 5 "$timeout" qemu-system-x86_64 \
		$accel -cpu max -smp "$smp" -m "$mem" \
		-nographic -no-reboot -nic none \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 oops=panic musetest.scenario=$scenario musetest.timeout=$guest_limit $append" \
		</dev/null >"$log" 2>&1 &
	qemu=$!
	while kill -0 "$qemu" 2>/dev/null && ! grep -q "$init_line" "$log"; do
		if [ $(($(date +%s) - start)) -ge "$boot_limit" ]; then
			boot_hung=yes
			kill "$qemu" 2>/dev/null || true
			break
		fi
		sleep 1
	done
	wait "$qemu" || status=$?
	elapsed=$(($(date +%s) - start))
}

# boot_splats: the splat lines of the console log before the kernel
# started /init (all of it, if it never did).
boot_splats() {
	sed "\\|$init_line|q" "$log" | grep -En "$splats"
}

boot
# A splat or a hang before /init comes from a kernel that had run nothing
# of ours yet (no module loaded, no scenario).  Seen under TCG, out of
# hundreds of boots: Debian's 6.12 oopsed on an int3 in sched_clock_cpu()
# while the boot switched a static key, the 6.1 KASAN kernel reported a
# wild access in an interrupt during identify_cpu() (both 2026-11-30),
# and the 7.3 debug kernel stopped printing after "vgaarb: loaded"
# (2026-12-07).  Boot once more and say so; a second such boot fails
# like any splat or timeout, and nothing after /init started is retried.
if [ "$boot_hung" = yes ] || boot_splats >/dev/null; then
	if [ "$boot_hung" = yes ]; then
		echo "RETRY $scenario: the kernel did not start /init in ${boot_limit}s; its last lines:"
		tr -d '\r' <"$log" | tail -n 5
	else
		echo "RETRY $scenario: the kernel splatted while booting, before /init; its log:"
		boot_splats | head -n 5
	fi
	cp "$log" "$log.boot-crash"
	boot
fi

fail() {
	echo "FAIL $scenario: $* (after ${elapsed}s)"
	echo "---------------- console log ----------------"
	tr -d '\r' <"$log"
	echo "---------------- end of console log ----------------"
	echo "FAIL $scenario: $*"
	exit 1
}

[ "$boot_hung" = no ] ||
	fail "the kernel did not start /init in ${boot_limit}s, twice"
[ "$status" -ne 124 ] && [ "$status" -ne 137 ] ||
	fail "QEMU timed out after ${timeout}s"

if grep -Eq "$splats" "$log"; then
	echo "kernel splat:"
	grep -En "$splats" "$log" | head -n 20
	fail "the kernel log shows a splat"
fi

result=$(tr -d '\r' <"$log" |
	sed -n "s/^MUSE-SCENARIO-RESULT: \([A-Z]*\) $scenario\$/\1/p" | tail -n 1)
case "$result" in
PASS)
	echo "PASS $scenario (${elapsed}s)"
	exit 0
	;;
SKIP)
	tr -d '\r' <"$log" | grep -E "^(SKIP|guest-init)" || true
	echo "SKIP $scenario (${elapsed}s)"
	exit 77
	;;
FAIL) fail "the scenario failed" ;;
*) fail "no result line (QEMU exit status $status)" ;;
esac
