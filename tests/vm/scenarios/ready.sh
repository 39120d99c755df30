#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Ready and identity: with mtdram registered first (so /dev/mtd0 is not
# ours), ramflash started with --ready-fd and --pidfile names its device
# on the ready fd (read through a FIFO, no /proc/mtd polling), the device
# is used as named; a partitioned device gives one line per registered
# MTD, and its UBI partition attaches; a registration the MTD core refuses
# (an slc partition on an MLC NAND without a pairing scheme) ends ramflash
# with a clear message and exit status 1, the ready fd closed without a
# line and no pid file.  Then muse-peer lifetime registered: the
# notification byte by byte (doc/protocol.md section 10), a reply with a
# body refused, the failure waited for, a peer without the extension
# never told.
. /scenarios/lib.sh

require_bin ramflash
# Modules on Debian's kernels, built in on kernel-debug's (which wraps
# this scenario).
[ -d /sys/class/mtd ] || load_modules mtd
[ -d /sys/class/ubi ] || load_modules ubi
load_modules mtdram
load_muse
[ -n "$(mtd_by_name 'mtdram test device')" ] || fail "mtdram registered no MTD"

# ready_start NAME ARGS...: spawn ramflash with --ready-fd 3 on a FIFO and
# --pidfile; READY gets what it wrote on the fd before closing it.
ready_start() {
	rm -f /tmp/ready.fifo /tmp/rf.pid
	mkfifo /tmp/ready.fifo || fail "mkfifo"
	# The reader first: a FIFO's data is lost once no one holds it open.
	cat /tmp/ready.fifo >/tmp/ready.txt &
	rs_reader=$!
	spawn_ramflash "$@" --ready-fd 3 --pidfile /tmp/rf.pid 3>/tmp/ready.fifo
	# Ends when ramflash closes the fd: after the lines, or without any.
	wait "$rs_reader"
	READY=$(cat /tmp/ready.txt)
	echo "ready fd: ${READY:-<nothing>}"
}


# check_connection NAME: the connection ramflash was told of (stderr) is the
# one sysfs says serves NAME.
check_connection() {
	cc_id=$(sed -n 's/^ramflash: kernel connection \([0-9]*\) .*/\1/p' "$RAMFLASH_LOG")
	expect_eq "connection of $1" "$(conn_dir "$1")" "/sys/fs/muse/connections/$cc_id"
}

step "a plain NAND: the ready line names it, mtd0 is mtdram's"
# A connection held by the shell takes id 0, so that rdy's is not the
# first one by chance.
exec 4<>/dev/muse
ready_start rdy --size 8MiB
# shellcheck disable=SC2086 # the line's fields
set -- $READY
expect_eq "ready line" "ready $2 rdy 8388608" "$READY"
[ "$2" != /dev/mtd0 ] || fail "ramflash claims mtd0, which is mtdram's"
expect_eq "its /proc/mtd name" rdy "$(mtd_list | sed -n "s/^$(mtd_num "$2") //p")"
expect_eq "its size" 8388608 "$(mtd_attr "$2" size)"
expect_eq "pid file" "$RAMFLASH_PID" "$(cat /tmp/rf.pid)"
grep -qx "ready $2 rdy 8388608" "$RAMFLASH_LOG" || fail "no ready line on stdout"
check_connection rdy
MTD=$2
flash_erase -q "$MTD" 0 1 || fail "flash_erase $MTD"
head -c 2048 /dev/urandom >/tmp/page
mtd_debug write "$MTD" 0 2048 /tmp/page >/dev/null || fail "mtd_debug write"
mtd_debug read "$MTD" 0 2048 /tmp/back >/dev/null || fail "mtd_debug read"
cmp /tmp/page /tmp/back || fail "read back differs"
echo "ok: $MTD written and read back"
stop_ramflash
exec 4>&-
[ ! -e /tmp/rf.pid ] || fail "pid file left after exit"
echo "ok: pid file removed"

step "partitions: one line per registered MTD, names escaped"
before=$(mtd_list | wc -l)
ready_start prt --size 8MiB --partitions '1M(boot loader),-(ubi)'
echo "$READY" | sed -n '$p' | grep -q '^ready /dev/mtd[0-9]* ubi 7340032$' ||
	fail "last line is not the ubi partition"
echo "$READY" | grep -q '^ready /dev/mtd[0-9]* boot\\040loader 1048576$' ||
	fail "no line for 'boot loader'"
expect_eq "lines" "$(($(mtd_list | wc -l) - before))" \
	"$(echo "$READY" | grep -c '^ready ')"
check_connection prt
UBI_MTD=$(echo "$READY" | sed -n 's/^ready \(\/dev\/mtd[0-9]*\) ubi .*/\1/p')
expect_eq "ubi's /proc/mtd name" ubi "$(mtd_list | sed -n "s/^$(mtd_num "$UBI_MTD") //p")"
ubi_attach "$UBI_MTD"
ubi_volume v
ubi_down
echo "ok: UBI attached to $UBI_MTD as the ready line named it"
MTD=$UBI_MTD
stop_ramflash

step "a registration the MTD core refuses"
ready_start bad --type mlc-nand --size 8MiB --partitions '1M(a),1M(b)slc,-(c)'
rc=0
wait "$RAMFLASH_PID" || rc=$?
cat "$RAMFLASH_LOG"
expect_eq "exit status" 1 "$rc"
expect_eq "ready fd" "" "$READY"
grep -q "^ramflash: the kernel could not register bad: Invalid argument" \
	"$RAMFLASH_LOG" || fail "no clear message"
[ ! -e /tmp/rf.pid ] || fail "pid file written for a failed registration"
expect_eq "MTDs left" "" "$(mtd_list | grep -v ' mtdram test device$')"
echo "ok: refused registration reported"

# The module's side of the notification, byte by byte, with a raw peer
# (which wants no other MTD).
rmmod mtdram || fail "rmmod mtdram"
run_peer lifetime registered
