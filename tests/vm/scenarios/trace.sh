#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ramflash --trace under UBI + UBIFS, replayed without the kernel:
# 1. ramflash serves a NAND with --trace --trace-data full and --control
#    (read passthrough and kernel erase on, their defaults); UBIFS gets a
#    tree of files and is synced, and `ramflash ctl marker` marks that in
#    the trace; then files are written with fsync, each followed by a
#    marker naming it; a raw OOB read (a request: UBI never reads OOB)
#    and a detach end the run.
# 2. ramflash-trace validates the trace, which holds requests, the kernel's
#    reads and erases; replayed to the end it is ramflash's image byte for
#    byte, with the same --stats.
# 3. A power cut at a program of the second phase, replayed twice: the same
#    image both times; served by ramflash, UBI attaches, UBIFS recovers
#    (no read-only mode), every file of the first phase is intact and so
#    is every file whose fsync's marker comes before the cut.
# 4. ramflash-trace sweep over a seeded sample of the second phase's
#    programs and erases, with that check as its checker: every cut point
#    passes, and the report says so point by point.
# 5. The same for JFFS2 on a traced NOR: files, unmount (its MTD sync ends
#    the first phase), files with fsync; the replay is ramflash's image,
#    and a sweep of the second phase mounts every crash state with the
#    first phase's files intact.
. /scenarios/lib.sh

require_bin ramflash
require_bin ramflash-trace
load_ubifs_stack
load_muse

geometry="--type nand --size 16MiB --page-size 2048 --erase-size 128KiB --oob-size 64"
last_block=$((127 * 131072))

# write_fsynced DIR SIZE [SOCKET]: six files of SIZE random bytes in DIR
# (made), each written with fsync; then, with SOCKET, its checksum kept in
# /tmp/fsynced-hN and the marker "fsynced hN" recorded in the trace.
write_fsynced() {
	mkdir -p "$1"
	for i in 1 2 3 4 5 6; do
		head -c "$2" /dev/urandom >/tmp/fsync-data
		dd if=/tmp/fsync-data of="$1/h$i" bs=4096 conv=fsync 2>/dev/null ||
			fail "write and fsync $1/h$i"
		[ $# -ge 3 ] || continue
		sum /tmp/fsync-data >"/tmp/fsynced-h$i"
		ramflash ctl "$3" marker "fsynced h$i" >/dev/null ||
			fail "ramflash ctl marker fsynced h$i"
	done
}

step "UBIFS on a traced ramflash"
# shellcheck disable=SC2086 # geometry is a word list
start_ramflash trace $geometry --seed 3 --image /tmp/run.img \
	--trace /tmp/run.trace --trace-data full --stats /tmp/run.json \
	--control /tmp/ctl.sock
ubifs_up "$MTD" data /mnt/data
mkdir -p /mnt/data/p1/a/b
for size in 0 1 2047 4096 65536 300000; do
	head -c "$size" /dev/urandom >"/mnt/data/p1/f$size"
	head -c "$size" /dev/urandom >"/mnt/data/p1/a/b/g$size"
done
files_sha /mnt/data/p1 >/tmp/phase1.sha256
sync
ramflash ctl /tmp/ctl.sock marker "phase 1 synced" >/dev/null ||
	fail "ramflash ctl marker"
write_fsynced /mnt/data/later 50000 /tmp/ctl.sock
ubi_down /mnt/data
nanddump -q --oob -s "$last_block" -l 2048 -f /tmp/oob.dump "$MTD" ||
	fail "nanddump --oob of the last block"
stop_ramflash

step "the trace"
ramflash-trace validate /tmp/run.trace || fail "validate"
ramflash-trace summary /tmp/run.trace >/tmp/summary.txt || fail "summary"
cat /tmp/summary.txt
ramflash-trace print /tmp/run.trace >/tmp/run.txt || fail "print"
for kind in read write isbad sync kernel-reads kernel-erase marker end; do
	grep -q "^[0-9]* [0-9.]* $kind " /tmp/run.txt ||
		fail "no $kind record in the trace"
done
echo "ok: $(wc -l </tmp/run.txt) lines, every kind of record present"

step "replayed to the end: ramflash's image, byte for byte"
ramflash-trace replay --image /tmp/replay.img --stats /tmp/replay.json \
	/tmp/run.trace || fail "replay"
cmp /tmp/run.img /tmp/replay.img || fail "the replay differs from ramflash's image"
echo "ok: images identical ($(sum /tmp/run.img))"
# Where the store happens to hold blocks is the file system's business;
# the control socket's list (at the end) is the run's, not the chip's.
grep -v store_bytes /tmp/run.json | sed '/"control": \[/,$d' >/tmp/run.cmp
grep -v store_bytes /tmp/replay.json | sed '/"control": \[/,$d' >/tmp/replay.cmp
diff /tmp/run.cmp /tmp/replay.cmp || fail "the replay's --stats differ"
echo "ok: --stats identical"

# The check of one crash state, for a cut by hand and for the sweep.
cat >/tmp/check-cut.sh <<'CHECKER'
#!/bin/sh
# check-cut.sh IMAGE K: the crash state torn at record K attaches, UBIFS
# recovers (no read-only mode), every file of the first phase is intact,
# and so is every file whose "fsynced hN" marker comes before record K.
# Quiet when it passes; a failure says what (on stderr, the sweep's log)
# with the first UBI/UBIFS kernel message since the check began, and
# leaves nothing attached or served for the next cut point.
. /scenarios/lib.sh
kernel_lines=$(dmesg | wc -l)
cut=$2
fail() {
	{
		echo "FAIL: cut $cut: $*"
		dmesg | sed -n "$((kernel_lines + 1)),\$p" | grep -i -m 1 ubi
	} >&2
	umount /mnt/cut 2>/dev/null || true
	ubidetach -d 0 2>/dev/null || true
	if [ -n "${RAMFLASH_PID:-}" ]; then
		kill "$RAMFLASH_PID" 2>/dev/null || true
		wait "$RAMFLASH_PID" 2>/dev/null || true
	fi
	exit 1
}
{
	start_ramflash "cut$cut" --image "$1"
	ubi_reattach "$MTD"
	ubifs_mount data /mnt/cut
	same_files "first phase" /tmp/phase1.sha256 /mnt/cut/p1
	for f in $(awk -v k="$cut" '$3 == "marker" && $1 < k && $4 == "\"fsynced" {
			gsub(/"/, "", $5); print $5 }' /tmp/run.txt); do
		[ "$(sum "/mnt/cut/later/$f" 2>/dev/null)" = "$(cat "/tmp/fsynced-$f")" ] ||
			fail "$f, fsync'ed before the cut, is lost or changed"
		echo "ok: $f, fsync'ed before the cut, intact"
	done
	! ubi_readonly || fail "UBIFS went read-only"
	ubi_down /mnt/cut
	stop_ramflash
} >/tmp/check-cut.out
CHECKER
chmod +x /tmp/check-cut.sh

step "a power cut in the second phase"
boundary=$(awk '$3 == "marker" && $4 == "\"phase" { print $1; exit }' /tmp/run.txt)
[ -n "$boundary" ] || fail "the marker that ends the first phase is not in the trace"
awk -v b="$boundary" '$1 > b && $3 == "write" { print $1 }' /tmp/run.txt >/tmp/writes
[ -s /tmp/writes ] || fail "no program after record $boundary"
cut=$(sed -n "$(($(wc -l </tmp/writes) / 2 + 1))p" /tmp/writes)
echo "first phase ends at record $boundary; tearing record $cut"
ramflash-trace replay --upto "$cut" --power-cut --image /tmp/torn.img \
	/tmp/run.trace || fail "torn replay"
ramflash-trace replay --upto "$cut" --power-cut --image /tmp/torn2.img \
	/tmp/run.trace || fail "second torn replay"
cmp /tmp/torn.img /tmp/torn2.img || fail "two replays of one cut differ"
cmp -s /tmp/torn.img /tmp/replay.img && fail "the torn image is the whole run's"
echo "ok: the cut replays the same twice"
/tmp/check-cut.sh /tmp/torn.img "$cut" || fail "the check of cut $cut"
fsynced=$(awk -v k="$cut" '$3 == "marker" && $1 < k && $4 == "\"fsynced"' /tmp/run.txt | wc -l)
[ "$fsynced" -gt 0 ] || fail "no fsync's marker before the cut at $cut"
expect_eq "fsync'ed files checked after cut $cut" "$fsynced" \
	"$(grep -c "fsync'ed before the cut, intact" /tmp/check-cut.out)"
echo "ok: UBIFS recovers from cut $cut with the first phase and $fsynced fsync'ed files intact"

step "a sweep of the second phase"
status=0
ramflash-trace sweep --dir /tmp/sweep --after-marker "phase 1 synced" \
	--before-marker "fsynced h6" --sample 4 --seed 1 \
	--timeout 120 /tmp/run.trace /tmp/check-cut.sh || status=$?
cat /tmp/sweep/report.txt
expect_eq "sweep status" 0 "$status"
expect_eq "cut points that passed" 4 "$(grep -c ' pass ' /tmp/sweep/report.txt)"

step "JFFS2 on a traced NOR, and a sweep of its second phase"
load_modules jffs2
start_ramflash nor --type nor --size 2MiB --erase-size 64KiB \
	--image /tmp/nor.img --trace /tmp/nor.trace --trace-data full
flash_erase -q "$MTD" 0 0
mkdir -p /mnt/jffs2
mount -t jffs2 "mtd$(mtd_num "$MTD")" /mnt/jffs2
for size in 0 10 4096 50000 200000; do
	head -c "$size" /dev/urandom >"/mnt/jffs2/f$size"
done
files_sha /mnt/jffs2 >/tmp/jffs2-phase1.sha256
umount /mnt/jffs2
# The first phase ends with the sync of that unmount: the trace's second.
mount -t jffs2 "mtd$(mtd_num "$MTD")" /mnt/jffs2
write_fsynced /mnt/jffs2/later 30000
umount /mnt/jffs2
stop_ramflash
ramflash-trace print /tmp/nor.trace >/tmp/nor.txt || fail "print the NOR trace"
ramflash-trace replay --image /tmp/nor-replay.img /tmp/nor.trace ||
	fail "replay the NOR trace"
cmp /tmp/nor.img /tmp/nor-replay.img || fail "the NOR replay differs from ramflash's image"
echo "ok: NOR images identical"
nor_boundary=$(awk '$3 == "sync" { n++; if (n == 2) { print $1; exit } }' /tmp/nor.txt)
[ -n "$nor_boundary" ] || fail "no second sync in the NOR trace"
echo "the JFFS2 first phase ends at record $nor_boundary"
cat >/tmp/check-jffs2.sh <<'CHECKER'
#!/bin/sh
# check-jffs2.sh IMAGE K: JFFS2 mounts the crash state torn at record K
# and every file of the first phase is intact.
. /scenarios/lib.sh
cut=$2
fail() {
	echo "FAIL: cut $cut: $*" >&2
	umount /mnt/jffs2 2>/dev/null || true
	if [ -n "${RAMFLASH_PID:-}" ]; then
		kill "$RAMFLASH_PID" 2>/dev/null || true
		wait "$RAMFLASH_PID" 2>/dev/null || true
	fi
	exit 1
}
{
	start_ramflash "jcut$cut" --image "$1"
	mount -t jffs2 "mtd$(mtd_num "$MTD")" /mnt/jffs2 || fail "mount"
	rm -rf /mnt/jffs2/later
	same_files "first phase" /tmp/jffs2-phase1.sha256 /mnt/jffs2
	umount /mnt/jffs2
	stop_ramflash
} >/tmp/check-jffs2.out
CHECKER
chmod +x /tmp/check-jffs2.sh
status=0
ramflash-trace sweep --dir /tmp/nor-sweep --from "$nor_boundary" --sample 4 \
	--seed 2 --timeout 120 /tmp/nor.trace /tmp/check-jffs2.sh || status=$?
cat /tmp/nor-sweep/report.txt
expect_eq "JFFS2 sweep status" 0 "$status"
expect_eq "JFFS2 cut points that passed" 4 "$(grep -c ' pass ' /tmp/nor-sweep/report.txt)"
rmmod muse
