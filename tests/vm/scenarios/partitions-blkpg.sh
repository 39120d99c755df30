#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Partitions added and deleted with BLKPG on a MUSE device registered
# without partitions: before the server dies (mtdpart; they work and go),
# after it died, through a /dev/mtdN still open read-write (mtdioctl
# partadd on that fd: the node is gone; the late add hangs off the
# master, refuses new users with ENODEV, and goes with the rest), and
# through such an fd racing with its death ten times.  Once everything
# is closed, no MTD of the dead servers may be left in /proc/mtd (a child
# left behind points into the freed connection), the module unloads and
# a new server registers.  kernel-debug's `blkpg`
# runs this under KASAN and kmemleak.
#
# musetest.args=SEED picks other kill points (default 20261130).
. /scenarios/lib.sh

require_bin ramflash
require_bin mtdioctl
load_muse
rand_seed "${1:-20261130}"
block=131072
RF="--type nand --size 4MiB --page-size 2048 --erase-size 128KiB --oob-size 64"

# gone_all: no MTD of this scenario is listed.
gone_all() {
	! mtd_list | grep -q '^[0-9]* blkpg'
}

# left_behind WHEN: fail, after opening what a dead server left listed:
# such a partition's master is freed memory, which KASAN reports.
left_behind() {
	for lb_num in $(mtd_list | sed -n 's/^\([0-9]*\) blkpg.*/\1/p'); do
		dd if="/dev/mtd$lb_num" of=/dev/null bs=2048 count=1 2>/dev/null || true
	done
	fail "MTDs of the dead server still listed $1"
}

# churn MASTER NAME: hold MASTER open and add then delete a partition
# NAME through that file, until either fails (at most 50 times).
churn() {
	exec 3<>"$1"
	ch_i=0
	# Until the server is gone: BLKPG on the still open master of a dead
	# server keeps working (its partitions go with the master), and under
	# the debug kernel 50 more rounds take longer than the 20 s allowed.
	while [ "$ch_i" -lt 50 ] && kill -0 "$RAMFLASH_PID" 2>/dev/null &&
		mtdioctl partadd 3 "$2" $((8 * block)) $((8 * block)) 2>/dev/null; do
		ch_part=$(mtd_by_name "$2")
		[ -n "$ch_part" ] || break
		mtdioctl partdel 3 "$(mtd_num "$ch_part")" 2>/dev/null || break
		ch_i=$((ch_i + 1))
	done
	exec 3<&-
}

step "before the death: add, use and delete partitions"
# shellcheck disable=SC2086 # a word list
start_ramflash blkpg $RF
master=$MTD
mtdpart add "$master" blkpg-p1 $((8 * block)) $((8 * block)) || fail "mtdpart add"
p1=$(mtd_by_name blkpg-p1)
[ -n "$p1" ] || fail "the added partition is not listed"
expect_eq "size of the added partition" $((8 * block)) "$(mtd_attr "$p1" size)"
dd if="$p1" of=/dev/null bs=128k 2>/dev/null || fail "read the added partition"
mtdpart del "$master" "$(mtd_num "$p1")" || fail "mtdpart del"
[ -z "$(mtd_by_name blkpg-p1)" ] || fail "the deleted partition is still listed"
mtdpart add "$master" blkpg-p2 $((16 * block)) $((8 * block)) || fail "mtdpart add p2"
echo "ok: added, read and deleted a partition; p2 stays"

step "after the death: a partition added through the open master"
exec 3<>"$master"
kill -KILL "$RAMFLASH_PID"
wait "$RAMFLASH_PID" || true
# doc/kmod.md (Lifetime): while a user holds the MTD of a dead connection
# it stays registered, partitions added with BLKPG hang off it, and
# _get_device() refuses every new user with ENODEV.  So the add works, and
# the new partition, listed, opens for no one.
mtdioctl partadd 3 blkpg-late $((24 * block)) $((8 * block)) ||
	fail "BLKPG add through the open master of a dead server refused"
[ -n "$(mtd_by_name blkpg-late)" ] || fail "the partition added after the death is not listed"
echo "ok: the add after the death hangs off the master"
for name in blkpg-p2 blkpg-late; do
	dev=$(mtd_by_name $name)
	[ -n "$dev" ] || fail "$name is gone while the master is held open"
	if dd if="$dev" of=/dev/null bs=2048 count=1 2>/tmp/late.err; then
		fail "read $name after the death succeeded"
	fi
	# busybox dd: "can't open 'FILE': ERROR" when the open failed.
	grep -q "can't open.*No such device" /tmp/late.err ||
		fail "$name after the death: '$(cat /tmp/late.err)', not an open refused with ENODEV"
	echo "ok: $name refuses a new user with ENODEV"
done
exec 3<&-
wait_for 10 gone_all || left_behind "after the death"
echo "ok: the master and its partitions are gone"

step "during the death: add/delete racing with it, 10 times"
i=0
while [ "$i" -lt 10 ]; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	start_ramflash "blkpg$i" $RF
	churn "$MTD" "blkpg$i-x" &
	churner=$!
	rand 300
	usleep $((RAND * 1000))
	kill -KILL "$RAMFLASH_PID"
	wait "$RAMFLASH_PID" || true
	ends_within 20 "$churner"
	wait_for 10 gone_all || left_behind "after death $i"
done
echo "ok: nothing left after 10 deaths during BLKPG"

step "the module unloads, and a new server registers"
rmmod muse || fail "rmmod muse"
load_muse
# shellcheck disable=SC2086
start_ramflash blkpg-new $RF
dd if="$MTD" of=/dev/null bs=128k 2>/dev/null || fail "read from the new server"
stop_ramflash
