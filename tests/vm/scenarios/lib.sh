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

# load_ubifs_stack: load MTD, UBI, the compressors this kernel's UBIFS was
# built with, and UBIFS: the modules mkinitramfs.sh --ubifs-config listed
# for this kernel (6.1 needs zstd, 6.12 zstd and deflate; built-in ones are
# not listed).
load_ubifs_stack() {
	[ -f /etc/muse-ubifs-modules ] ||
		fail "/etc/muse-ubifs-modules missing: image built without --ubifs-config"
	# shellcheck disable=SC2046 # one module name per line
	load_modules $(cat /etc/muse-ubifs-modules)
}

# load_muse: load muse.ko (skip only when the build did not produce it).
load_muse() {
	grep -qx "module muse" /etc/muse-initramfs ||
		skip "muse.ko was not built (kmod disabled or no kernel headers)"
	modprobe muse || fail "modprobe muse"
	[ -c /dev/muse ] || fail "/dev/muse missing after modprobe muse"
}

# kernel_at_least MAJOR MINOR: whether the running kernel is MAJOR.MINOR
# or newer.
kernel_at_least() {
	ka_release=$(uname -r)
	ka_major=${ka_release%%.*}
	ka_minor=${ka_release#*.}
	ka_minor=${ka_minor%%[!0-9]*}
	[ "$ka_major" -gt "$1" ] ||
		{ [ "$ka_major" -eq "$1" ] && [ "$ka_minor" -ge "$2" ]; }
}

# pttest_require: the backing-file kinds muse-peer passthrough
# backing-kinds must find (PTTEST_REQUIRE): hugetlbfs once huge pages are
# reserved, memfd_secret from 6.5 (on by default since; 6.1 has it built
# but off without secretmem.enable=1).
pttest_require() {
	pr_kinds=
	[ "$(cat /proc/sys/vm/nr_hugepages)" -ge 2 ] && pr_kinds=hugetlbfs
	kernel_at_least 6 5 && pr_kinds="$pr_kinds secretmem"
	echo "$pr_kinds"
}

# conn_dir NAME: the connection directory serving the MTD called NAME.
conn_dir() {
	for cd_dir in /sys/fs/muse/connections/*; do
		[ "$(cat "$cd_dir/name" 2>/dev/null)" != "$1" ] || {
			echo "$cd_dir"
			return 0
		}
	done
	fail "no directory in /sys/fs/muse/connections names $1"
}

# mtd_list: one line "N NAME" for each MTD /proc/mtd lists ("mtdN: SIZE
# ERASESIZE "NAME""), in its order: the scenarios' one reader of it.
mtd_list() {
	sed -n 's/^mtd\([0-9]*\): [0-9a-f]* [0-9a-f]* "\(.*\)"$/\1 \2/p' /proc/mtd
}

# mtd_by_name NAME: the /dev/mtdN whose name is exactly NAME (the first
# listed), or nothing.
mtd_by_name() {
	mtd_list | awk -v name="$1" '{
		n = $1
		sub(/^[0-9]+ /, "")
		if ($0 == name) { print "/dev/mtd" n; exit }
	}'
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

# start_registered NAME ARGS...: start_ramflash, then wait until it says
# it registered (the kernel's fast paths are granted by then); set CONN to
# the connection's sysfs directory.
start_registered() {
	start_ramflash "$@"
	wait_for 10 grep -q "registered" "$RAMFLASH_LOG" || {
		cat "$RAMFLASH_LOG"
		fail "ramflash did not say it registered"
	}
	CONN=$(conn_dir "$1")
}

# ramflash_says WHAT ON: ramflash's log says "WHAT on" (ON 1) or "WHAT
# off" (ON 0), e.g. of its registration line's "kernel erase on".
ramflash_says() {
	if [ "$2" -eq 1 ]; then
		rs_want="$1 on"
	else
		rs_want="$1 off"
	fi
	grep -q "$rs_want" "$RAMFLASH_LOG" || {
		cat "$RAMFLASH_LOG"
		fail "ramflash does not say '$rs_want'"
	}
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

# mtd_gone /dev/mtdN: /proc/mtd no longer lists it.
mtd_gone() {
	! mtd_list | grep -q "^$(mtd_num "$1") "
}

# run_peer [-v] TARGET [CASE...]: run muse-peer's cases of TARGET (every
# case without CASE; -v: the cases' notes too), which must all pass or
# skip and leave no MTD behind that was not there before.  Each CASE must
# have said PASS or SKIP, and the summary must be there: a peer that ended
# early has not run what it was asked.  Without muse-peer the scenario
# skips: passing without its cases would claim what was not checked.
run_peer() {
	rp_verbose=
	[ "$1" != -v ] || { rp_verbose=-v; shift; }
	require_bin muse-peer
	rp_target=$1
	shift
	step "muse-peer $rp_target $*"
	rp_log=/tmp/peer-$rp_target.log
	rp_before=$(mtd_list)
	# Each case on the console as it ends: a case that crashes the
	# kernel is the last one named.  The status goes through a file (a
	# pipeline's is tee's); under set -e a failing peer would end the
	# group before a plain "echo $?", leaving an earlier peer's 0 there.
	rm -f /tmp/peer.status
	{
		rp_status=0
		# shellcheck disable=SC2086 # -v or nothing
		muse-peer $rp_verbose "$rp_target" "$@" 2>&1 || rp_status=$?
		echo "$rp_status" >/tmp/peer.status
	} | tee "$rp_log"
	[ "$(cat /tmp/peer.status 2>/dev/null)" = 0 ] ||
		fail "muse-peer $rp_target $*"
	! grep -q '^FAIL' "$rp_log" || fail "muse-peer $rp_target: a FAIL line"
	grep -q '^PASS: [0-9]* case(s) passed, 0 failed' "$rp_log" ||
		fail "muse-peer $rp_target: no summary, it ended early"
	for rp_case in "$@"; do
		grep -Eq "^(PASS $rp_case|SKIP $rp_case: .*)\$" "$rp_log" ||
			fail "muse-peer $rp_target: $rp_case said neither PASS nor SKIP"
	done
	echo "ok: muse-peer $rp_target: $(grep -c '^PASS ' "$rp_log") PASS" \
		"and $(grep -c '^SKIP ' "$rp_log") SKIP lines (cases and checks)"
	# A dead connection's MTD goes in the module's workqueue, after the
	# peer's close() returned: wait for it, and a leaked one still fails.
	wait_for 10 mtds_are "$rp_before" || true
	expect_eq "MTDs left after muse-peer $rp_target" "$rp_before" "$(mtd_list)"
}

# mtds_are LIST: mtd_list says LIST.
mtds_are() {
	[ "$(mtd_list)" = "$1" ]
}

# nandsim_up [PARAM...]: load nandsim with $NANDSIM_ARGS and PARAM,
# erased; NANDSIM is its MTD.
nandsim_up() {
	# shellcheck disable=SC2086 # a word list
	modprobe nandsim $NANDSIM_ARGS "$@" || fail "modprobe nandsim $*"
	NANDSIM=$(mtd_by_name "NAND simulator partition 0")
	[ -n "$NANDSIM" ] || fail "nandsim registered no MTD"
}

# UBI and UBIFS bring-up and tear-down, always as ubi0.
#
# ubi_attach MTD [UBIATTACH-OPTION...]: format MTD for UBI and attach it.
ubi_attach() {
	ua_mtd=$1
	shift
	ubiformat -y -q "$ua_mtd" || fail "ubiformat $ua_mtd"
	ubi_reattach "$ua_mtd" "$@"
}

# ubi_reattach MTD [UBIATTACH-OPTION...]: attach an already formatted MTD.
ubi_reattach() {
	ur_mtd=$1
	shift
	ubiattach -p "$ur_mtd" -d 0 "$@" >/dev/null || fail "ubiattach $ur_mtd"
}

# ubi_volume NAME [SIZE]: a volume of SIZE (ubimkvol's -s), else of all
# the space left.
ubi_volume() {
	if [ $# -ge 2 ]; then
		ubimkvol /dev/ubi0 -N "$1" -s "$2" >/dev/null || fail "ubimkvol $1 -s $2"
	else
		ubimkvol /dev/ubi0 -N "$1" -m >/dev/null || fail "ubimkvol $1"
	fi
}

# ubifs_mount VOLUME DIR: mount UBIFS of ubi0's VOLUME on DIR (made).
ubifs_mount() {
	mkdir -p "$2"
	mount -t ubifs "ubi0:$1" "$2" || fail "mount ubi0:$1 on $2"
}

# ubifs_up MTD VOLUME DIR [UBIATTACH-OPTION...]: a fresh UBIFS on MTD: format,
# attach, one volume of all the space, mounted on DIR.
ubifs_up() {
	uu_mtd=$1
	uu_vol=$2
	uu_dir=$3
	shift 3
	ubi_attach "$uu_mtd" "$@"
	ubi_volume "$uu_vol"
	ubifs_mount "$uu_vol" "$uu_dir"
}

# ubi_down [DIR...]: unmount each DIR, then detach ubi0.
ubi_down() {
	for ud_dir in "$@"; do
		umount "$ud_dir" || fail "umount $ud_dir"
	done
	ubidetach -d 0 || fail "ubidetach"
}

# ubi_readonly: whether UBI or UBIFS switched to read-only mode (they do
# on any write error), by the kernel log.
ubi_readonly() {
	dmesg | grep -q "read-only mode"
}

# ends_within SECONDS PID: wait for PID to exit (its status goes to
# LOAD_STATUS); fail if it does not.
# shellcheck disable=SC2034 # LOAD_STATUS and RAND are for the caller
ends_within() {
	tries=$(($1 * 10))
	while kill -0 "$2" 2>/dev/null; do
		tries=$((tries - 1))
		if [ "$tries" -le 0 ]; then
			ps
			echo w >/proc/sysrq-trigger
			fail "process $2 still running after $1 s"
		fi
		usleep 100000
	done
	LOAD_STATUS=0
	wait "$2" || LOAD_STATUS=$?
}

# rand_seed SEED, rand N: a number in [0, N) in RAND, from a 31-bit LCG,
# so that the same seed gives the same sequence (kill points, delays) on
# every run.  (Not echoed: a command substitution would run it in a
# subshell and lose the state.)
rand_seed() {
	rand_state=$1
}
# shellcheck disable=SC2034
rand() {
	rand_state=$(((rand_state * 1103515245 + 12345) % 2147483648))
	RAND=$((rand_state / 65536 % $1))
}

# random_file PATH BYTES: reproducible-enough random data (urandom).
random_file() {
	head -c "$2" /dev/urandom >"$1"
}

# oob_records DATA OUT TAG: into OUT, each 2 KiB page of DATA followed by
# a 64-byte OOB naming it ("TAG OOB of page N"; its first two bytes stay
# 0xff: the bad-block marker), the records nandwrite -o writes.
oob_records() {
	: >"$2"
	exec 3<"$1"
	or_i=0
	while [ "$or_i" -lt $(($(wc -c <"$1") / 2048)) ]; do
		dd bs=2048 count=1 <&3 2>/dev/null >>"$2"
		printf '\377\377%-62.62s' "$3 OOB of page $or_i" >>"$2"
		or_i=$((or_i + 1))
	done
	exec 3<&-
}

# files_sha DIR: checksums of the regular files under DIR, sorted.
files_sha() {
	(cd "$1" && find . -type f | sort | xargs -r sha256sum)
}

# same_files WHAT SUMS DIR: the files under DIR are those files_sha wrote
# to SUMS; else fail, with the difference.
same_files() {
	files_sha "$3" >/tmp/same_files.sha256
	if ! cmp -s "$2" /tmp/same_files.sha256; then
		diff "$2" /tmp/same_files.sha256 || true
		fail "$1: the files differ"
	fi
	echo "ok: $1: all $(wc -l <"$2") files identical"
}

# sum FILE: its sha256.
sum() {
	sha256sum "$1" | cut -d' ' -f1
}

# ff BYTES: the sha256 of BYTES bytes of 0xff (erased flash).
ff() {
	head -c "$1" /dev/zero | tr '\0' '\377' | sha256sum | cut -d' ' -f1
}

# json_counter FILE NAME: a number of ramflash's --stats JSON (a counter or
# a top-level figure).
json_counter() {
	tr ',{}' '\n\n\n' <"$1" | sed -n "s/^ *\"$2\": *\([0-9]*\) *\$/\1/p" | head -n 1
}

# stats_now FILE: make the running ramflash write its --stats FILE now
# (SIGUSR1), and wait for it (written to a temporary file, then renamed).
stats_now() {
	rm -f "$1"
	kill -USR1 "$RAMFLASH_PID"
	wait_for 10 test -s "$1" || fail "ramflash wrote no $1 on SIGUSR1"
}

# u32 IMAGE OFFSET, u64 IMAGE OFFSET: a number in a ramflash image (host
# byte order).
u32() {
	od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '
}
u64() {
	od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '
}

# block_record IMAGE BLOCK: the offset of BLOCK's struct rf_block_meta in
# a ramflash image (examples/ramflash/image.h: meta_stride at 44, meta_off
# at 48 of the header).
block_record() {
	echo $(($(u64 "$1" 48) + $2 * $(u32 "$1" 44)))
}

# export_file PATH NAME: show PATH to the host, which has no other way into
# the guest's files (no network, no disk): gzipped, in base64, on the
# console between "MUSE-FILE-BEGIN NAME" and "MUSE-FILE-END NAME"; gzip's
# checksum tells the host whether it got the file whole.  The host takes
# it out of the console log (tests/vm/demo.sh).
export_file() {
	[ -s "$1" ] || fail "export_file: $1 is missing or empty"
	echo "MUSE-FILE-BEGIN $2"
	gzip -c "$1" | base64
	echo "MUSE-FILE-END $2"
}
