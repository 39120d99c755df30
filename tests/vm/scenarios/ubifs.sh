#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# UBI + UBIFS on a ramflash NAND, and persistence through ramflash's image:
# format, attach, make a volume, mount UBIFS, write a tree of files with
# known checksums, sync, unmount, detach, stop ramflash, start a new
# ramflash on the same image, reattach, mount, and check every file.
. /scenarios/lib.sh

require_bin ramflash
load_ubifs_stack
load_muse

img=/tmp/ubifs.img
geometry="--type nand --size 16MiB --page-size 2048 --erase-size 128KiB --oob-size 64"

step "first ramflash, UBI, UBIFS"
# shellcheck disable=SC2086 # geometry is a word list
start_ramflash ubifs $geometry --image "$img" --threads 2
ubi_attach "$MTD"
ubi_volume data 8MiB
ubi_volume rest
ubifs_mount data /mnt/data

step "a tree of files"
mkdir -p /mnt/data/a/b/c /mnt/data/empty
n=0
for dir in /mnt/data /mnt/data/a /mnt/data/a/b /mnt/data/a/b/c; do
	for size in 0 1 100 2047 2048 4096 12345 65536 300000; do
		head -c "$size" /dev/urandom >"$dir/f$size"
		n=$((n + 1))
	done
done
ln -s a/b/c/f100 /mnt/data/link
echo "small text" >/mnt/data/a/text
# A file rewritten in place: the old data must not come back.
head -c 200000 /dev/urandom >/mnt/data/a/rewritten
head -c 150000 /dev/urandom >/mnt/data/a/rewritten
files_sha /mnt/data >/tmp/before.sha256
expect_eq "files written" $((n + 2)) "$(wc -l </tmp/before.sha256)"
sync
ubi_down /mnt/data
stop_ramflash

step "second ramflash on the same image"
# shellcheck disable=SC2086
start_ramflash ubifs $geometry --image "$img"
ubi_reattach "$MTD"
expect_eq "volumes after reattach" "data rest" \
	"$(cat /sys/class/ubi/ubi0_0/name /sys/class/ubi/ubi0_1/name | tr '\n' ' ' | sed 's/ $//')"
ubifs_mount data /mnt/data
same_files "after the restart" /tmp/before.sha256 /mnt/data
expect_eq "symlink" "a/b/c/f100" "$(readlink /mnt/data/link)"
[ -d /mnt/data/empty ] || fail "empty directory lost"

step "the second volume still works"
ubifs_mount rest /mnt/rest
head -c 1000000 /dev/urandom >/tmp/big
cp /tmp/big /mnt/rest/big
sync
umount /mnt/rest
ubifs_mount rest /mnt/rest
expect_eq "1 MB file on the second volume" "$(sum /tmp/big)" "$(sum /mnt/rest/big)"
ubi_down /mnt/rest /mnt/data
stop_ramflash
rmmod muse
