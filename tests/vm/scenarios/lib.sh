# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh
#
# Helpers shared by the guest scenarios (sourced; POSIX sh for busybox).
#
# A scenario exits 0 for PASS, 77 for SKIP, anything else for FAIL; guest-init
# turns that into the result line.  Helpers that check something call fail()
# on a mismatch, so a scenario reads as a list of expectations.

set -eu

# fail MSG: stop the scenario as failed, with the kernel's last words.
fail() {
	echo "FAIL: $*"
	echo "--- last kernel messages ---"
	dmesg | tail -n 40
	echo "--- /proc/mtd ---"
	cat /proc/mtd
	exit 1
}

# skip MSG: the scenario cannot run here (a component was not built).
skip() {
	echo "SKIP: $*"
	exit 77
}

# step MSG: say what comes next, so a failure is easy to place in the log.
step() {
	echo "=== $*"
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
	echo "ok: $1 = $3"
}

# expect_fail WHAT CMD...: CMD must exit non-zero.
expect_fail() {
	what=$1
	shift
	if "$@"; then
		fail "$what: '$*' succeeded"
	fi
	echo "ok: $what failed as it must"
}

# require_bin NAME: skip unless NAME was put into the initramfs.
require_bin() {
	grep -qx "bin $1" /etc/muse-initramfs ||
		skip "$1 was not built, so it is not in the initramfs"
}

# load_modules NAME...: modprobe each; a module in the image must load.
load_modules() {
	for m in "$@"; do
		modprobe "$m" || fail "modprobe $m"
	done
}

# load_muse: load muse.ko (skip only when the build did not produce it).
load_muse() {
	grep -qx "module muse" /etc/muse-initramfs ||
		skip "muse.ko was not built (kmod disabled or no kernel headers)"
	modprobe muse || fail "modprobe muse"
	[ -c /dev/muse ] || fail "/dev/muse missing after modprobe muse"
}

# mtd_by_name NAME: the /dev/mtdN whose name is NAME, or nothing.
mtd_by_name() {
	sed -n "s/^mtd\([0-9]*\): .* \"$1\"\$/\/dev\/mtd\1/p" /proc/mtd | head -n 1
}

# mtd_num /dev/mtdN: N
mtd_num() {
	echo "${1#/dev/mtd}"
}

# mtd_attr /dev/mtdN ATTR: a sysfs attribute of the MTD.
mtd_attr() {
	cat "/sys/class/mtd/mtd$(mtd_num "$1")/$2"
}

# wait_for SECONDS CMD...: poll CMD (a quiet one) every 0.1 s until it
# succeeds.
wait_for() {
	tries=$(($1 * 10))
	shift
	while ! "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

# spawn_ramflash NAME ARGS...: start ramflash serving an MTD called NAME
# in the background.  Sets RAMFLASH_PID and RAMFLASH_LOG.
spawn_ramflash() {
	rf_name=$1
	shift
	RAMFLASH_LOG=/tmp/ramflash-$rf_name.log
	echo "+ ramflash --name $rf_name $*"
	ramflash --name "$rf_name" "$@" >"$RAMFLASH_LOG" 2>&1 &
	RAMFLASH_PID=$!
}

# start_ramflash NAME ARGS...: spawn_ramflash, then wait until the MTD
# NAME is registered and set MTD to its /dev/mtdN.
start_ramflash() {
	spawn_ramflash "$@"
	wait_for_mtd "$1"
}

# wait_for_mtd NAME: wait until ramflash registered an MTD (or partition)
# called NAME; set MTD to its /dev/mtdN.
wait_for_mtd() {
	if ! wait_for 20 ramflash_serves "$1"; then
		cat "$RAMFLASH_LOG"
		fail "ramflash did not register an MTD called $1"
	fi
	MTD=$(mtd_by_name "$1")
	wait_for 10 test -c "$MTD" || fail "$MTD did not appear"
	echo "ramflash (pid $RAMFLASH_PID) serves $1 as $MTD"
}

ramflash_serves() {
	if ! kill -0 "$RAMFLASH_PID" 2>/dev/null; then
		cat "$RAMFLASH_LOG"
		fail "ramflash exited before registering $1"
	fi
	[ -n "$(mtd_by_name "$1")" ]
}

# stop_ramflash: SIGTERM the server, expect a clean exit, wait until its MTD
# is gone.
stop_ramflash() {
	kill -TERM "$RAMFLASH_PID"
	rc=0
	wait "$RAMFLASH_PID" || rc=$?
	[ "$rc" -eq 0 ] || {
		cat "$RAMFLASH_LOG"
		fail "ramflash exited with status $rc after SIGTERM"
	}
	wait_for 10 mtd_gone "$MTD" || fail "$MTD still registered after ramflash exit"
}

mtd_gone() {
	! grep -q "^mtd$(mtd_num "$1"):" /proc/mtd
}

# run_badpeer COMMAND: run muse-badpeer's cases (init-cases, reply-cases),
# which must all pass and leave no MTD behind.  Skipped with a note when
# muse-badpeer was not built.
run_badpeer() {
	if ! grep -qx "bin muse-badpeer" /etc/muse-initramfs; then
		echo "note: muse-badpeer was not built; its $1 did not run"
		return 0
	fi
	step "muse-badpeer $1"
	muse-badpeer "$1" >/tmp/badpeer.log 2>&1 || {
		cat /tmp/badpeer.log
		fail "muse-badpeer $1"
	}
	grep -c '^PASS' /tmp/badpeer.log | sed 's/^/ok: muse-badpeer cases passed: /'
	expect_eq "MTDs left after muse-badpeer" "" "$(sed -n '2,$p' /proc/mtd)"
}

# random_file PATH BYTES: reproducible-enough random data (urandom).
random_file() {
	head -c "$2" /dev/urandom >"$1"
}

# sum FILE: its sha256.
sum() {
	sha256sum "$1" | cut -d' ' -f1
}
