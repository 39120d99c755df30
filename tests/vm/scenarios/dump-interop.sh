#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Dumps in and out of ramflash (ramflash-image), against the kernel's own
# NAND simulator: UBI + UBIFS made on nandsim and dumped with nanddump
# (with and without OOB) is served by ramflash and mounts with every file
# intact; ramflash's export written back with nandwrite -o onto an erased
# nandsim reads back byte for byte (nandsim's ECC bytes aside, which it
# computes and ramflash does not) and mounts there.  Bad blocks travel
# both ways: nandsim's markers and a --bad list reach ramflash, the export
# marks them.  A NOR image goes out as a plain file and back in.
. /scenarios/lib.sh

require_bin ramflash
require_bin ramflash-image
require_bin mtdioctl
load_muse
load_ubifs_stack

# 2 KiB pages, 64 B OOB, 128 KiB blocks, 128 blocks (16 MiB).
NANDSIM_ARGS="id_bytes=0x20,0xf1,0x00,0x15 overridesize=7"
block=131072
rec=2112	# a page and its OOB in an --oob dump
pages=64	# per block

# dump_of MTD FILE [NANDDUMP-OPTION...]: nanddump of all MTD, bad blocks
# included (nanddump's default, skipbad, would shift every later block).
dump_of() {
	dd_mtd=$1
	dd_file=$2
	shift 2
	nanddump -q "$@" -f "$dd_file" "$dd_mtd" || fail "nanddump $* $dd_mtd"
}

# bad_blocks MTD: the bad blocks MEMGETBADBLOCK reports, "5,9".
bad_blocks() {
	mtdioctl badblocks "$1" | while read -r off; do
		echo $((off / block))
	done | tr '\n' ',' | sed 's/,$//'
}

# byte FILE OFFSET: the byte at OFFSET as two hex digits.
byte() {
	dd if="$1" bs=1 skip="$2" count=1 2>/dev/null | od -An -tx1 | tr -d ' '
}

# serve_and_check NAME IMAGE: ramflash on IMAGE, UBI attaches, UBIFS mounts
# and holds the files of /tmp/files.sha256; left attached and mounted on
# /mnt/NAME.
serve_and_check() {
	start_ramflash "$1" --image "$2"
	ubi_reattach "$MTD"
	ubifs_mount data "/mnt/$1"
	same_files "ramflash serving $2" /tmp/files.sha256 "/mnt/$1"
}

step "UBI + UBIFS on nandsim, a tree of files"
nandsim_up
# nandsim's own geometry, for the imports (the size comes from the dumps).
geometry="--type nand --page-size $(mtd_attr "$NANDSIM" writesize)"
geometry="$geometry --erase-size $(mtd_attr "$NANDSIM" erasesize)"
geometry="$geometry --oob-size $(mtd_attr "$NANDSIM" oobsize)"
geometry="$geometry --subpage-size $(mtd_attr "$NANDSIM" subpagesize)"
echo "nandsim: $geometry, $(mtd_attr "$NANDSIM" size) bytes"
ubifs_up "$NANDSIM" data /mnt/nandsim
mkdir -p /mnt/nandsim/a/b
for dir in /mnt/nandsim /mnt/nandsim/a /mnt/nandsim/a/b; do
	for size in 0 1 2047 2048 4096 65536 300000; do
		head -c "$size" /dev/urandom >"$dir/f$size"
	done
done
head -c 1000000 /dev/urandom >/mnt/nandsim/a/big
files_sha /mnt/nandsim >/tmp/files.sha256
sync
ubi_down /mnt/nandsim

step "nanddump of nandsim, with and without OOB"
dump_of "$NANDSIM" /tmp/nandsim.oob --oob --bb=dumpbad
dump_of "$NANDSIM" /tmp/nandsim.plain --bb=padbad
expect_eq "OOB dump length" $((128 * pages * rec)) "$(wc -c </tmp/nandsim.oob)"
rmmod nandsim

step "import the OOB dump; the size comes from the dump"
# shellcheck disable=SC2086 # a word list
ramflash-image import --oob $geometry /tmp/nandsim.oob /tmp/oob.img |
	tee /tmp/import.log
grep -q "^bad blocks: none$" /tmp/import.log || fail "import saw bad blocks"
grep -q "16777216 bytes" /tmp/import.log || fail "import did not size the image after the dump"
echo "image: $(du -k /tmp/oob.img | cut -f1) KiB allocated for 16 MiB of flash"
ramflash-image export -q --oob /tmp/oob.img /tmp/again.oob
cmp /tmp/nandsim.oob /tmp/again.oob || fail "import then export changed the dump"
echo "ok: import then export gives the dump byte for byte"

step "ramflash serves it: UBI attaches, UBIFS mounts, every file intact"
serve_and_check oob /tmp/oob.img
ubi_down /mnt/oob
stop_ramflash

step "the same from the dump without OOB"
# shellcheck disable=SC2086
ramflash-image import -q $geometry /tmp/nandsim.plain /tmp/plain.img
serve_and_check plain /tmp/plain.img
ubi_down /mnt/plain
stop_ramflash
rm /tmp/plain.img /tmp/nandsim.plain /tmp/again.oob

step "export ramflash's image, nandwrite -o it onto an erased nandsim"
expect_fail "an export over an existing file" \
	ramflash-image export --oob /tmp/oob.img /tmp/nandsim.oob
ramflash-image export --oob /tmp/oob.img /tmp/export.oob
nandsim_up
nandwrite -q -o "$NANDSIM" /tmp/export.oob || fail "nandwrite -o"
dump_of "$NANDSIM" /tmp/back.oob --oob --bb=dumpbad
# nandsim computes its soft Hamming ECC (3 bytes per 256, OOB bytes 40 to
# 63 of a 64-byte OOB) over every page nandwrite programs; ramflash keeps
# the OOB as programmed and computes no parity, so the pages UBI wrote
# through ramflash carry none.  Every other byte must be the same.
cmp -l /tmp/export.oob /tmp/back.oob >/tmp/diff.txt || true
expect_eq "bytes differing outside nandsim's ECC bytes" 0 \
	"$(awk -v rec=$rec '{ o = ($1 - 1) % rec; if (o < 2048 + 40) n++ }
		END { print n + 0 }' /tmp/diff.txt)"
echo "ok: $(wc -l </tmp/diff.txt) ECC bytes nandsim computed, all else identical"
ubi_reattach "$NANDSIM"
ubifs_mount data /mnt/back
same_files "nandsim after nandwrite of the export" /tmp/files.sha256 /mnt/back
ubi_down /mnt/back
rmmod nandsim
rm /tmp/back.oob /tmp/diff.txt /tmp/export.oob /tmp/oob.img

step "bad blocks from nandsim's markers"
nandsim_up badblocks=5,9
expect_eq "nandsim's bad blocks" "5,9" "$(bad_blocks "$NANDSIM")"
dump_of "$NANDSIM" /tmp/bad.oob --oob --bb=dumpbad
rmmod nandsim
# shellcheck disable=SC2086
ramflash-image import --oob $geometry /tmp/bad.oob /tmp/bad.img >/tmp/import.log
grep -q "^bad blocks: 5,9$" /tmp/import.log || fail "import did not read the markers: $(cat /tmp/import.log)"
start_ramflash bad --image /tmp/bad.img
expect_eq "ramflash's bad blocks" "5,9" "$(bad_blocks "$MTD")"
expect_eq "sysfs bad_blocks" 2 "$(mtd_attr "$MTD" bad_blocks)"
stop_ramflash
ramflash-image export --oob /tmp/bad.img /tmp/bad-export.oob >/tmp/export.log
grep -q "^bad blocks: 5,9$" /tmp/export.log || fail "export did not list the bad blocks"
expect_eq "block 5's marker in the export" 00 "$(byte /tmp/bad-export.oob $((5 * pages * rec + 2048)))"
expect_eq "block 4's marker byte in the export" ff "$(byte /tmp/bad-export.oob $((4 * pages * rec + 2048)))"
ramflash-image export /tmp/bad.img /tmp/bad-export.plain >/dev/null
expect_eq "block 9 in a plain export (padded)" 0 \
	"$(dd if=/tmp/bad-export.plain bs=$block skip=9 count=1 2>/dev/null | tr -d '\377' | wc -c)"
rm /tmp/bad.oob /tmp/bad.img /tmp/bad-export.oob

step "bad blocks from a list, on a plain dump"
# shellcheck disable=SC2086
ramflash-image import -q --bad 3 $geometry /tmp/bad-export.plain /tmp/list.img
start_ramflash list --image /tmp/list.img
# A plain dump has no markers: the padded blocks 5 and 9 are good here.
expect_eq "ramflash's bad blocks" 3 "$(bad_blocks "$MTD")"
stop_ramflash
rm /tmp/list.img /tmp/bad-export.plain

step "NOR: a plain file out and back in"
head -c 300000 /dev/urandom >/tmp/nor.data
start_ramflash nor --type nor --size 1MiB --image /tmp/nor.img
flash_erase -q "$MTD" 0 0 || fail "flash_erase NOR"
dd if=/tmp/nor.data of="$MTD" bs=4096 2>/dev/null || fail "write NOR"
stop_ramflash
ramflash-image export -q /tmp/nor.img /tmp/nor.plain
expect_eq "NOR export length" 1048576 "$(wc -c </tmp/nor.plain)"
head -c 300000 /tmp/nor.plain | cmp - /tmp/nor.data || fail "NOR export data"
expect_eq "NOR export after the data (erased)" 0 \
	"$(tail -c +300001 /tmp/nor.plain | tr -d '\377' | wc -c)"
ramflash-image import -q --type nor --erase-size 64KiB /tmp/nor.plain /tmp/nor2.img
start_ramflash nor2 --image /tmp/nor2.img
dd if="$MTD" of=/tmp/nor.back bs=65536 2>/dev/null
cmp /tmp/nor.plain /tmp/nor.back || fail "NOR import read back through the kernel"
echo "ok: NOR plain file identical through export, import and the kernel"
stop_ramflash

step "bad input is a one-line error"
head -c 1000 /tmp/nor.plain >/tmp/short
expect_fail "a dump that is no whole number of blocks" \
	ramflash-image import --type nor /tmp/short /tmp/x.img
expect_fail "an unknown format" ramflash-image export --format raw /tmp/nor.img /tmp/x
expect_fail "an image that is none" ramflash-image export /tmp/short /tmp/x
if [ -e /tmp/x.img ] || [ -e /tmp/x ]; then
	fail "a failed run left a file behind"
fi
rmmod muse || fail "rmmod muse"
