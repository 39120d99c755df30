# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh
#
# Guest helpers of the kernel-debug suite, on top of tests/vm/scenarios/lib.sh
# (sourced by every scenario here, after lib.sh).  Not a scenario itself.

# kmemleak_begin: forget what kmemleak suspects so far (boot-time objects
# it cannot follow), so that kmemleak_check judges only this scenario.
kmemleak_begin() {
	[ -w /sys/kernel/debug/kmemleak ] ||
		fail "no /sys/kernel/debug/kmemleak: this is not the debug kernel"
	echo scan >/sys/kernel/debug/kmemleak
	echo clear >/sys/kernel/debug/kmemleak
}

# kmemleak_suspects PATTERN: scan for leaks and write every suspect whose
# report (backtrace, comm) matches the awk regex PATTERN, or has a frame
# kallsyms cannot name, to /tmp/kmemleak-match.txt; print how many there
# are.  Unnamed frames count because a module's init code is freed after
# it ran and an unloaded module's symbols are gone: in these scenarios
# that is muse or a test module driving it.
kmemleak_suspects() {
	# kmemleak ignores objects younger than 5 s; scan twice so an object
	# must be unreferenced in two passes to be reported.
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	sleep 1
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >/tmp/kmemleak.txt
	# One report per object: split on the header lines.
	awk -v pat="$1" '
	     function ours(r) { return r ~ pat || r ~ /\] 0x/ }
	     /^unreferenced object/ { if (ours(r)) print r; r = "" }
	     { r = r $0 "\n" }
	     END { if (ours(r)) print r }' /tmp/kmemleak.txt >/tmp/kmemleak-match.txt
	grep -c '^unreferenced object' /tmp/kmemleak-match.txt || true
}

# kmemleak_check: fail if any suspected leak involves muse (an allocation
# made by muse.ko or on its behalf: its name is in the backtrace).  Call it
# while muse.ko is still loaded, so its frames are named, and after every
# server has gone, so nothing is in use.
#
# Suspects that do not involve muse are listed with "unreferenced object"
# reworded: the host-side check fails on that phrase and they are not ours
# to judge.
kmemleak_check() {
	step "kmemleak scan"
	ours=$(kmemleak_suspects muse)
	if [ "$ours" -gt 0 ]; then
		cat /tmp/kmemleak-match.txt
		fail "kmemleak reports $ours object(s) leaked by or through muse"
	fi
	total=$(grep -c '^unreferenced object' /tmp/kmemleak.txt || true)
	if [ "$total" -gt 0 ]; then
		echo "kmemleak: $total suspect(s) not involving muse:"
		sed 's/^unreferenced object/suspect object/' /tmp/kmemleak.txt |
			head -n 60
	fi
	echo "ok: kmemleak finds nothing involving muse"
}

# dmesg_since MARK: kernel messages after the line containing MARK.
kmsg_mark() {
	echo "$1" >/dev/kmsg
}
dmesg_since() {
	dmesg | sed -n "/$1/,\$p"
}

# run_mtd_test MODULE SUCCESS_REGEX [PARAM=VALUE]...: load one of the
# kernel's MTD test modules, which runs its whole test in module_init, and
# judge it by what it prints: SUCCESS_REGEX must match one of its lines,
# and no line of it or of its helper mtd_test may report an error.  The
# module stays loaded on success (module_init returned 0), so it is
# removed again.  mtd_nandbiterrs fails its init with -EIO even
# after success (to get unloaded at once; busybox then tries the init once
# more, so it runs twice): its success line decides, and the failed read
# that ends its climb past the ECC strength is expected.
run_mtd_test() {
	t_mod=$1
	t_ok=$2
	shift 2
	step "$t_mod $*"
	t_mark="kdebug-mark-$t_mod-$$-$(date +%s)"
	kmsg_mark "$t_mark"
	t_start=$(date +%s)
	t_rc=0
	modprobe "$t_mod" "$@" || t_rc=$?
	t_secs=$(($(date +%s) - t_start))
	dmesg_since "$t_mark" | grep -e "$t_mod:" -e "mtd_test:" >/tmp/$t_mod.out || true
	if grep -q "^$t_mod " /proc/modules; then
		rmmod "$t_mod" || fail "rmmod $t_mod"
	fi
	if ! grep -Eq "$t_mod: $t_ok" /tmp/$t_mod.out; then
		tail -n 30 /tmp/$t_mod.out
		fail "$t_mod did not report success ('$t_ok'), modprobe status $t_rc"
	fi
	# What the tests print when something went wrong ("error: ...",
	# "error @addr...", "error -5 occurred", "finished with errors", "ECC
	# failure"), but not oobtest's provoked "error occurred as expected"
	# nor the failed read that ends mtd_nandbiterrs's climb.
	t_errors=$(grep -E '(^|[^a-z])[Ee]rror(:| @| -?[0-9]+ occurred)|finished with errors|ECC failure' \
		/tmp/$t_mod.out | grep -v 'mtd_nandbiterrs: error: read failed at' || true)
	if [ -n "$t_errors" ]; then
		echo "$t_errors" | head -n 30
		fail "$t_mod reported errors"
	fi
	if [ "$t_rc" -ne 0 ] && [ "$t_mod" != mtd_nandbiterrs ]; then
		fail "$t_mod: modprobe failed with status $t_rc"
	fi
	echo "ok: $t_mod ($t_secs s): $(grep -E "$t_mod: $t_ok" /tmp/$t_mod.out | head -n 1)"
}

# The flash the scenarios serve with ramflash.
RF_NAND="--type nand --size 4M --page-size 2048 --erase-size 128K --oob-size 64
	--subpage-size 512 --ecc-strength 4 --ecc-step 512"
RF_NOR="--type nor --size 2M --erase-size 64K"
# A small NAND for the scenarios that start many servers.
RF_SMALL="--type nand --size 1M --page-size 2048 --erase-size 128K --oob-size 64"

# nandsim_load: nandsim with RF_NAND's geometry (ID bytes of a 2 KiB page,
# 64 B OOB, 128 KiB block chip, cut to 2^5 blocks = 4 MiB).  Sets NANDSIM.
nandsim_load() {
	modprobe nandsim id_bytes=0x20,0xf1,0x00,0x15 overridesize=5 ||
		fail "modprobe nandsim"
	NANDSIM=$(mtd_by_name "NAND simulator partition 0")
	[ -n "$NANDSIM" ] || fail "nandsim registered no MTD: $(cat /proc/mtd)"
}

# run_any_flash_tests N: the MTD tests that apply to every flash type, on
# /dev/mtdN (torturetest on 4 eraseblocks from block 4, 10 cycles).
run_any_flash_tests() {
	run_mtd_test mtd_readtest 'finished$' dev="$1"
	run_mtd_test mtd_speedtest 'finished$' dev="$1"
	run_mtd_test mtd_stresstest 'finished, [0-9]+ operations done' \
		dev="$1" count=2000
	run_mtd_test mtd_torturetest 'finished after 10 erase cycles' \
		dev="$1" eb=4 ebcnt=4 cycles_count=10
}

# kd_wrap SCENARIO: run tests/vm's SCENARIO under the debug kernel's
# checks, failing if it fails or leaks.  A wrapper must be named apart
# from the vm scenario it wraps: mkinitramfs lets a same-named file
# replace that scenario, which would then run itself forever.
kd_wrap() {
	kmemleak_begin
	sh "/scenarios/$1.sh" || exit $?
	kmemleak_check
}
