#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Kernel program (MUSE_EXT_KERNEL_PROGRAM): the module programs whole
# subpages of the blocks ramflash granted into ramflash's store itself,
# marks them programmed in the block's bitmap and counts them there;
# ramflash applies the counts later.  Every part runs under one script on
# ramflash with kernel program (its default) and with --no-kernel-program
# (the control), and on nandsim of the same geometry where nandsim can do
# the same; the results must be the same:
# a) SLC NAND with 512 B subpages: writes of single subpages, a subpage
#    programmed a second time (a request: the chip ANDs), nandwrite page by
#    page, nandwrite with OOB (requests), one write of a whole block; the
#    data of the three devices and ramflash's OOB identical on and off;
#    the connection's kernel_programs (sysfs) exactly the kernel's I/O
#    units, 0 in the control; --stats write_bytes and write_oob_bytes the
#    same on and off, its kernel_programs counter the subpages of those
#    units (0 in the control).
# b) UBI with subpage VID headers on that NAND: a volume written twice by
#    ubiupdatevol, a UBIFS fill-and-delete loop (3 rounds), every checksum,
#    after a remount and (ramflash) a restart on the image.
# c) MLC NAND (a subpage is a page): pages in any order are the kernel's
#    (ramflash's chip declares no order rule), a second program of a page
#    is a request the chip refuses, on and off.
# d) NOR: every write stays a request (kernel_programs 0 on and off).
# e) power cuts (--power-cut-after, --power-cut-random with a seed) in a
#    raw sequence of erases, page and subpage programs: data and OOB in the
#    image at the cut the same byte for byte with kernel program on and
#    off, and once a ramflash has applied the kernel's counts, the whole
#    image but the op clock only --retention reads.
# f) SIGKILL of ramflash in a storm of two page writers on an erased chip
#    (image on tmpfs): restarted on the image, every write a writer saw
#    succeed reads back, the pages after it are erased, written pages
#    refuse a second program, the kernel's counts in the image match the
#    pages written and are applied at start.
# Arguments (musetest.args=c,d): the parts to run, default all (a c d e f;
# b runs within a, on the same devices).
. /scenarios/lib.sh

require_bin ramflash
load_ubifs_stack
load_muse

block=131072
page=2048
sub=512
ppb=64		# pages per block
# a) and b): 16 MiB, 2 KiB pages, 512 B subpages, 64 B OOB.
NANDSIM_ARGS="id_bytes=0x20,0xf1,0x00,0x15 overridesize=7"
SLC="--type nand --size 16MiB --page-size 2048 --erase-size 128KiB --oob-size 64 --subpage-size 512"

# serve MODE NAME ARGS...: start_ramflash NAME ARGS with kernel program
# (MODE kernel, ramflash's default) or without (control:
# --no-kernel-program; nor: a NOR, where ramflash's default is off); wait
# until it says it registered (its grants are set up then), check it says
# kernel program is on or off as MODE wants.  Sets CONN (the connection's
# sysfs directory) and KP (1 with kernel program, 0 without).
serve() {
	sv_mode=$1
	shift
	case "$sv_mode" in
	kernel) KP=1 ;;
	control) KP=0 && set -- "$@" --no-kernel-program ;;
	nor) KP=0 ;;
	*) fail "serve: mode $sv_mode" ;;
	esac
	start_registered "$@"
	ramflash_says "kernel program" "$KP"
	[ -f "$CONN/kernel_programs" ] || fail "no kernel_programs for $1: '$CONN'"
}

# kprogs: the connection's kernel_programs.
kprogs() {
	cat "$CONN/kernel_programs"
}

# expect_kprogs WHAT N: kernel_programs is N with kernel program, 0 without.
expect_kprogs() {
	expect_eq "$1: kernel_programs" $((KP * $2)) "$(kprogs)"
}

# slice FILE OFFSET LENGTH: LENGTH bytes of FILE from OFFSET (multiples of
# 512) into /tmp/slice.bin, in blocks of up to 64 KiB.
slice() {
	sl_bs=65536
	while [ $(($2 % sl_bs)) -ne 0 ] || [ $(($3 % sl_bs)) -ne 0 ]; do
		sl_bs=$((sl_bs / 2))
	done
	dd if="$1" of=/tmp/slice.bin bs=$sl_bs skip=$(($2 / sl_bs)) \
		count=$(($3 / sl_bs)) 2>/dev/null
}

# program MTD OFFSET LENGTH FILE: one write of LENGTH bytes at OFFSET,
# FILE's bytes at the same offset.
program() {
	slice "$4" "$2" "$3"
	mtd_debug write "$1" "$2" "$3" /tmp/slice.bin >/dev/null
}

# range_sum FILE OFFSET LENGTH: the sha256 of LENGTH bytes of FILE from
# OFFSET (multiples of 512).
range_sum() {
	slice "$1" "$2" "$3"
	sum /tmp/slice.bin
}

# raw_work TAG MTD [nandsim]: part a) on MTD (erased by the caller).  The
# data written is /tmp/slc.bin at the same offsets; the checksums of the
# dumps go to /tmp/raw-TAG.sums.  Returns in RAW_UNITS the writes a
# ramflash with kernel program must have left to the kernel (the
# connection's kernel_programs counts them), in RAW_SUBPAGES their
# subpages (ramflash's kernel_programs counter).
raw_work() {
	rw_mtd=$2
	: >"/tmp/raw-$1.sums"
	step "$1: subpages 0, 1 and 3 of block 1's first page, one write each"
	for s in 0 1 3; do
		program "$rw_mtd" $((block + s * sub)) $sub /tmp/slc.bin ||
			fail "$1: write of subpage $s"
	done
	RAW_UNITS=3
	RAW_SUBPAGES=3
	if [ -z "${3:-}" ]; then
		# nandsim's ECC bytes would be ANDed too and fail the read.
		step "$1: subpage 1 programmed again with zeros (a request; the chip ANDs)"
		head -c $sub /dev/zero >/tmp/zero.bin
		mtd_debug write "$rw_mtd" $((block + sub)) $sub /tmp/zero.bin >/dev/null ||
			fail "$1: second program of subpage 1"
	fi
	step "$1: nandwrite of blocks 2-9 page by page, of 12-13 with OOB"
	slice /tmp/slc.bin $((2 * block)) $((8 * block))
	nandwrite -q -s $((2 * block)) "$rw_mtd" /tmp/slice.bin ||
		fail "$1: nandwrite"
	RAW_UNITS=$((RAW_UNITS + 8 * ppb))
	RAW_SUBPAGES=$((RAW_SUBPAGES + 8 * ppb * page / sub))
	nandwrite -q -o -s $((12 * block)) "$rw_mtd" /tmp/slc.oob ||
		fail "$1: nandwrite -o"
	step "$1: block 20 in one write"
	program "$rw_mtd" $((20 * block)) $block /tmp/slc.bin ||
		fail "$1: write of block 20"
	RAW_UNITS=$((RAW_UNITS + 1))
	RAW_SUBPAGES=$((RAW_SUBPAGES + block / sub))

	nanddump -q -f /tmp/raw.data "$rw_mtd" || fail "$1: nanddump"
	slice /tmp/slc.bin $block $sub
	cp /tmp/slice.bin /tmp/page.want
	if [ -n "${3:-}" ]; then
		slice /tmp/slc.bin $((block + sub)) $sub
		cat /tmp/slice.bin >>/tmp/page.want
	else
		cat /tmp/zero.bin >>/tmp/page.want
	fi
	head -c $sub /dev/zero | tr '\0' '\377' >>/tmp/page.want
	slice /tmp/slc.bin $((block + 3 * sub)) $sub
	cat /tmp/slice.bin >>/tmp/page.want
	expect_eq "$1: block 1's first page" "$(sum /tmp/page.want)" \
		"$(range_sum /tmp/raw.data $block $page)"
	expect_eq "$1: the rest of block 1 erased" "$(ff $((block - page)))" \
		"$(range_sum /tmp/raw.data $((block + page)) $((block - page)))"
	expect_eq "$1: blocks 2-9" "$(range_sum /tmp/slc.bin $((2 * block)) $((8 * block)))" \
		"$(range_sum /tmp/raw.data $((2 * block)) $((8 * block)))"
	expect_eq "$1: blocks 12-13" "$(sum /tmp/slc.oobdata)" \
		"$(range_sum /tmp/raw.data $((12 * block)) $((2 * block)))"
	expect_eq "$1: block 20" "$(range_sum /tmp/slc.bin $((20 * block)) $block)" \
		"$(range_sum /tmp/raw.data $((20 * block)) $block)"
	echo "data $(sum /tmp/raw.data)" >>"/tmp/raw-$1.sums"
	rm /tmp/raw.data
	[ -n "${3:-}" ] && return
	nanddump -q -o -f /tmp/raw.all "$rw_mtd" || fail "$1: nanddump -o"
	echo "with OOB $(sum /tmp/raw.all)" >>"/tmp/raw-$1.sums"
	rm /tmp/raw.all
}

# raw_bytes: the in-band and OOB bytes raw_work programs on ramflash.
raw_bytes() {
	echo "$((4 * sub + 8 * block + 2 * block + block)) $((2 * ppb * 64))"
}

# ubi_work TAG MTD: part b) on MTD: UBI with subpage VID headers, a volume
# written twice by ubiupdatevol, a UBIFS fill-and-delete loop; left
# attached with UBIFS on /mnt/ubi.
ubi_work() {
	step "$1: UBI with subpage VID headers"
	dmesg -c >/dev/null
	ubi_attach "$2"
	dmesg | grep -q "VID header offset: 512 " ||
		fail "$1: UBI does not put its VID headers in the second subpage"
	echo "ok: $1: $(dmesg | grep -o 'VID header offset: [0-9]* .*')"
	ubi_volume upd 3MiB
	for u in 1 2; do
		step "$1: ubiupdatevol $u"
		ubiupdatevol /dev/ubi0_0 "/tmp/upd$u.bin" || fail "$1: ubiupdatevol $u"
		expect_eq "$1: volume after update $u" "$(sum "/tmp/upd$u.bin")" \
			"$(head -c "$(wc -c <"/tmp/upd$u.bin")" /dev/ubi0_0 | sha256sum | cut -d' ' -f1)"
	done
	ubi_volume fs
	ubifs_mount fs /mnt/ubi
	for r in 1 2 3; do
		step "$1: UBIFS fill and delete, round $r"
		mkdir "/mnt/ubi/r$r"
		cp /tmp/pool/* "/mnt/ubi/r$r/" || fail "$1: copy round $r"
		sync
		rm -rf "/mnt/ubi/r$((r - 1))"
		sync
		same_files "$1: round $r" /tmp/pool.sha256 "/mnt/ubi/r$r"
	done
	umount /mnt/ubi
	ubifs_mount fs /mnt/ubi
	ubi_check "$1: after a remount"
}

# ubi_check WHAT: the files of the last round and the updated volume.
ubi_check() {
	same_files "$1" /tmp/pool.sha256 /mnt/ubi/r3
	expect_eq "$1: the updated volume" "$(sum /tmp/upd2.bin)" \
		"$(head -c "$(wc -c </tmp/upd2.bin)" /dev/ubi0_0 | sha256sum | cut -d' ' -f1)"
	! ubi_readonly || fail "$1: UBI or UBIFS turned read-only"
}

# slc_data: the data of parts a) and b).
slc_data() {
	random_file /tmp/slc.bin $((16 * 1024 * 1024))
	random_file /tmp/slc.oobdata $((2 * block))
	oob_records /tmp/slc.oobdata /tmp/slc.oob kernel-program
	random_file /tmp/upd1.bin $((2 * 1024 * 1024 + 4321))
	random_file /tmp/upd2.bin $((3 * 1024 * 1024 - 7))
	mkdir -p /tmp/pool
	for i in 1 2 3 4 5 6 7 8; do
		random_file "/tmp/pool/f$i" $((i * 70000 + 13))
	done
	files_sha /tmp/pool >/tmp/pool.sha256
}

# part_a: a) and b) on nandsim and on ramflash with and without kernel
# program.
part_a() {
	slc_data
	step "a) nandsim, the kernel's own NAND"
	nandsim_up
	expect_eq "nandsim subpage size" $sub "$(mtd_attr "$NANDSIM" subpagesize)"
	expect_eq "nandsim size" $((16 * 1024 * 1024)) "$(mtd_attr "$NANDSIM" size)"
	flash_erase -q "$NANDSIM" 0 0 || fail "nandsim: flash_erase"
	raw_work nandsim "$NANDSIM" nandsim
	ubi_work nandsim "$NANDSIM"
	ubi_down /mnt/ubi
	rmmod nandsim

	for mode in kernel control; do
		step "a) b) ramflash, $mode"
		img=/tmp/slc-$mode.img
		rm -f "$img"
		# shellcheck disable=SC2086 # a word list
		serve $mode slc $SLC --image "$img" --stats "/tmp/slc-$mode.json"
		raw_work $mode "$MTD"
		expect_kprogs "$mode: after the raw writes" "$RAW_UNITS"
		stats_now "/tmp/slc-$mode.json"
		cp "/tmp/slc-$mode.json" "/tmp/raw-$mode.json"
		expect_eq "$mode: write_bytes" "$(raw_bytes | cut -d' ' -f1)" \
			"$(json_counter "/tmp/raw-$mode.json" write_bytes)"
		expect_eq "$mode: write_oob_bytes" "$(raw_bytes | cut -d' ' -f2)" \
			"$(json_counter "/tmp/raw-$mode.json" write_oob_bytes)"
		expect_eq "$mode: kernel_programs counter (subpages)" \
			$((KP * RAW_SUBPAGES)) \
			"$(json_counter "/tmp/raw-$mode.json" kernel_programs)"
		k=$(kprogs)
		ubi_work $mode "$MTD"
		ubi_down /mnt/ubi
		if [ "$KP" -eq 1 ]; then
			[ "$(kprogs)" -gt "$k" ] ||
				fail "$mode: UBI and UBIFS left no program to the kernel"
			echo "ok: $mode: UBI and UBIFS: $(($(kprogs) - k)) kernel programs"
		else
			expect_kprogs "$mode: after UBI and UBIFS" 0
		fi
		stop_ramflash
		k=$(json_counter "/tmp/slc-$mode.json" kernel_programs)
		if [ "$KP" -eq 1 ]; then
			[ "$k" -gt $RAW_SUBPAGES ] ||
				fail "$mode: kernel_programs counter at exit: $k"
		else
			expect_eq "$mode: kernel_programs counter at exit" 0 "$k"
		fi
		step "b) $mode: ramflash restarted on the image"
		# shellcheck disable=SC2086 # a word list
		serve $mode slc $SLC --image "$img"
		ubi_reattach "$MTD"
		ubifs_mount fs /mnt/ubi
		ubi_check "$mode: after a restart"
		ubi_down /mnt/ubi
		stop_ramflash
		rm -f "$img"
	done
	cmp /tmp/raw-kernel.sums /tmp/raw-control.sums ||
		fail "kernel program and --no-kernel-program dumps differ"
	echo "ok: kernel program = --no-kernel-program: $(tr '\n' ' ' </tmp/raw-kernel.sums)"
	rm -f /tmp/slc.bin /tmp/upd*.bin
}

# part_c: c), MLC NAND: subpage = page, pages in any order (ramflash's
# chip takes them so and declares no order rule), a second program
# refused.
part_c() {
	mblock=262144
	mpage=4096
	MLC="--type mlc-nand --size 4MiB --page-size 4096 --erase-size 256KiB --oob-size 224"
	random_file /tmp/mlc.bin $((4 * 1024 * 1024))
	for mode in kernel control; do
		step "c) MLC NAND, $mode"
		# shellcheck disable=SC2086 # a word list
		serve $mode mlc $MLC --stats "/tmp/mlc-$mode.json"
		for p in 0 1 2 5; do
			program "$MTD" $((mblock + p * mpage)) $mpage /tmp/mlc.bin ||
				fail "$mode: page $p of block 1"
		done
		expect_kprogs "$mode: pages 0, 1, 2 and 5" 4
		program "$MTD" $((mblock + 3 * mpage)) $mpage /tmp/mlc.bin ||
			fail "$mode: page 3, below page 5"
		expect_kprogs "$mode: page 3, below page 5" 5
		program "$MTD" $((mblock + 6 * mpage)) $((2 * mpage)) /tmp/mlc.bin ||
			fail "$mode: pages 6-7"
		expect_kprogs "$mode: pages 6-7 in one write" 6
		expect_fail "$mode: a second program of page 1" \
			program "$MTD" $((mblock + mpage)) $mpage /tmp/mlc.bin
		expect_kprogs "$mode: the second program: a request" 6
		nanddump -q -o -s $mblock -l $mblock -f /tmp/mlc.dump "$MTD" ||
			fail "$mode: nanddump"
		sum /tmp/mlc.dump >"/tmp/mlc-$mode.sums"
		nanddump -q -s $mblock -l $mblock -f /tmp/mlc.dump "$MTD"
		head -c $((4 * mpage)) /tmp/mlc.dump >/tmp/mlc.got
		expect_eq "$mode: pages 0-3" "$(range_sum /tmp/mlc.bin $mblock $((4 * mpage)))" \
			"$(sum /tmp/mlc.got)"
		stop_ramflash
		f=/tmp/mlc-$mode.json
		expect_eq "$mode: write_bytes" $((7 * mpage)) "$(json_counter "$f" write_bytes)"
		expect_eq "$mode: reprogram_refused" 1 "$(json_counter "$f" reprogram_refused)"
		expect_eq "$mode: kernel_programs counter (pages)" $((KP * 7)) \
			"$(json_counter "$f" kernel_programs)"
	done
	cmp /tmp/mlc-kernel.sums /tmp/mlc-control.sums ||
		fail "MLC: the dumps with and without kernel program differ"
	echo "ok: MLC: the same block with and without kernel program"
	rm -f /tmp/mlc.bin /tmp/mlc.dump /tmp/mlc.got
}

# part_d: d), NOR: writes stay requests.
part_d() {
	nor=2097152
	random_file /tmp/nor.bin $nor
	head -c 1000 /dev/zero >/tmp/zero.bin
	for mode in nor control; do
		step "d) NOR, $mode"
		serve $mode nor --type nor --size 2MiB --erase-size 64KiB \
			--stats "/tmp/nor-$mode.json"
		slice /tmp/nor.bin 512 1024
		mtd_debug write "$MTD" 512 1024 /tmp/slice.bin >/dev/null || fail "$mode: write at 512"
		program "$MTD" 65536 131072 /tmp/nor.bin || fail "$mode: sectors 1-2"
		mtd_debug write "$MTD" 70000 1000 /tmp/zero.bin >/dev/null ||
			fail "$mode: zeros over programmed bytes"
		mtd_debug read "$MTD" 0 $nor /tmp/nor.out >/dev/null || fail "$mode: read"
		sum /tmp/nor.out >"/tmp/nor-$mode.sums"
		expect_kprogs "$mode: NOR writes" 0
		stop_ramflash
		expect_eq "$mode: write_bytes" $((1024 + 131072 + 1000)) \
			"$(json_counter "/tmp/nor-$mode.json" write_bytes)"
		expect_eq "$mode: kernel_programs counter" 0 \
			"$(json_counter "/tmp/nor-$mode.json" kernel_programs)"
	done
	cmp /tmp/nor-nor.sums /tmp/nor-control.sums ||
		fail "NOR: the data with and without kernel program differ"
	dd if=/tmp/nor.out bs=1000 skip=70 count=1 2>/dev/null | cmp - /tmp/zero.bin ||
		fail "NOR: zeros programmed over programmed bytes do not read as zeros"
	echo "ok: NOR: the same data, no program by the kernel"
	rm -f /tmp/nor.bin /tmp/nor.out
}

# pc_work MTD: part e)'s sequence, 32 + 1024 + 2 + 128 + 6 operations: an
# erase of the 4 MiB chip, 16 blocks page by page, blocks 2 and 3 erased,
# written again, 6 subpages of block 20.  It stops at the first failure
# (the cut).
pc_work() {
	flash_erase -q "$1" 0 0 &&
		nandwrite -q "$1" /tmp/pc.bin &&
		flash_erase -q "$1" $((2 * block)) 2 &&
		nandwrite -q -s $((2 * block)) "$1" /tmp/pc2.bin &&
		for s in 0 1 2 5 6 7; do
			program "$1" $((20 * block + s * sub)) $sub /tmp/pc.bin || return 1
		done
}

# image_diff WHAT A B: the bytes two ramflash images of one geometry
# differ in, by region (image.h's header: meta_stride at 44, meta_off 48,
# data_off 56, oob_off 64, shadow_off 72), the first few of each shown.
# WHAT contents: only data, OOB and shadow count; all: every byte but the
# op clock --retention counts by (the header's clock at 88, each block
# record's program_clock at 16), which ramflash keeps only for requests
# (kernel program is off with --retention).  Prints "differing: N" last.
image_diff() {
	cmp -l "$2" "$3" | awk -v what="$1" -v st="$(u32 "$2" 44)" \
		-v m="$(u64 "$2" 48)" -v d="$(u64 "$2" 56)" \
		-v o="$(u64 "$2" 64)" -v s="$(u64 "$2" 72)" '{
		off = $1 - 1
		r = off < m ? "header" : off < d ? "metadata" : off < o ? "data" : \
			(s == 0 || off < s) ? "OOB" : "shadow"
		if (r == "header" && off >= 88 && off < 96)
			r = "clock"
		else if (r == "metadata" && (off - m) % st >= 16 && (off - m) % st < 24)
			r = "program_clock"
		n[r]++
		if (n[r] <= 4)
			printf "%s byte %d: %s / %s (octal)\n", r, off, $2, $3
		if (r != "clock" && r != "program_clock" &&
		    (what == "all" || r == "data" || r == "OOB" || r == "shadow"))
			counted++
	}
	END {
		for (r in n) printf "%s: %d bytes differ\n", r, n[r]
		printf "differing: %d\n", counted
	}' >/tmp/image.diff
	cat /tmp/image.diff
	[ "$(tail -n 1 /tmp/image.diff)" = "differing: 0" ]
}

# power_cut CUT-OPTION...: part e) on and off with the same cut.  At the
# cut the data and OOB must be the same; the image with kernel program
# still holds the kernel's counts (and says so in its header's flags),
# which the next ramflash applies: after one has served each image, the
# images must be the same but for the retention clock (image_diff all).
power_cut() {
	for mode in kernel control; do
		step "e) $mode: power cut $*"
		img=/tmp/pc-$mode.img
		rm -f "$img"
		off=
		[ $mode = kernel ] || off=--no-kernel-program
		# shellcheck disable=SC2086 # nothing or an option
		spawn_ramflash pc $PC --image "$img" --stats "/tmp/pc-$mode.json" "$@" $off
		wait_for_mtd pc
		if pc_work "$MTD" >/tmp/pc.log 2>&1; then
			fail "$mode: the sequence ran to its end through the cut"
		fi
		rc=0
		wait "$RAMFLASH_PID" || rc=$?
		expect_eq "$mode: ramflash's exit status after the cut" 3 "$rc"
		wait_for 10 mtd_gone "$MTD" || fail "$MTD still registered"
		expect_eq "$mode: power_cuts" 1 "$(json_counter "/tmp/pc-$mode.json" power_cuts)"
	done
	kp=$(json_counter /tmp/pc-kernel.json kernel_programs)
	[ "$kp" -gt 0 ] || fail "the kernel programmed nothing before the cut"
	expect_eq "control: kernel_programs" 0 "$(json_counter /tmp/pc-control.json kernel_programs)"
	image_diff contents /tmp/pc-kernel.img /tmp/pc-control.img ||
		fail "power cut $*: data or OOB differ with and without kernel program"
	# Served by a ramflash without kernel program, each image ends with
	# no count pending and no sign of kernel program (the header's flags).
	for mode in kernel control; do
		# shellcheck disable=SC2086 # a word list
		serve control pc $PC --image "/tmp/pc-$mode.img"
		stop_ramflash
	done
	image_diff all /tmp/pc-kernel.img /tmp/pc-control.img ||
		fail "power cut $*: the images with and without kernel program differ"
	echo "ok: power cut $*: the same image on and off ($kp subpages programmed by the kernel before the cut)"
}

# part_e: e), power cuts.
part_e() {
	PC="--type nand --size 4MiB --page-size 2048 --erase-size 128KiB"
	PC="$PC --oob-size 64 --subpage-size 512"
	random_file /tmp/pc.bin $((16 * block))
	random_file /tmp/pc2.bin $((2 * block))
	# In nandwrite's pages; at the erase of block 3; drawn from a seed.
	power_cut --power-cut-after 600
	power_cut --power-cut-after 1057
	power_cut --power-cut-random 40-1190 --seed 9
	rm -f /tmp/pc*.img /tmp/pc.bin /tmp/pc2.bin
}

# storm_writer FIRST LAST LOG: program pages FIRST..LAST of $MTD in order,
# one write each (/tmp/storm.bin's page at the same place), appending each
# page number to LOG once its write returned success; stop at the first
# failure.  Each dd opens the MTD anew, through a descriptor opened once:
# by its name, the first dd after the MTD went would create a file there.
storm_writer() {
	sw_p=$1
	exec 3<>"$MTD"
	while [ "$sw_p" -le "$2" ]; do
		dd if=/tmp/storm.bin of=/proc/self/fd/3 bs=$page skip="$sw_p" \
			seek="$sw_p" count=1 conv=notrunc 2>/dev/null || break
		echo "$sw_p" >>"$3"
		sw_p=$((sw_p + 1))
	done
	exec 3<&-
}

# storm_at LOG N: the writer logging to LOG saw N pages succeed.
storm_at() {
	[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}

# pending IMAGE: the kernel's programs not applied yet in the 32 blocks
# (struct rf_block_meta's kernel_programs, a __u16 at 26), summed.
pending() {
	pd_stride=$(u32 "$1" 44)
	od -An -v -t u2 -j "$(block_record "$1" 0)" -N $((32 * pd_stride)) "$1" |
		awk -v per=$((pd_stride / 2)) '{
			for (i = 1; i <= NF; i++) {
				if (n % per == 13)
					s += $i
				n++
			}
		}
		END { print s + 0 }'
}

# storm_check MODE FIRST LOG: the pages writer LOG saw succeed read
# back, the page after them may be either, the rest of its 16 blocks reads
# erased (/tmp/storm.out: the dump after the restart).
storm_check() {
	sc_n=$(wc -l <"$3")
	[ "$sc_n" -gt 0 ] || fail "$1: writer from page $2 wrote nothing before the kill"
	[ "$sc_n" -lt $((16 * ppb - 1)) ] ||
		fail "$1: writer from page $2 wrote all its pages before the kill"
	expect_eq "$1: writer from page $2: pages in order" "$(seq "$2" $(($2 + sc_n - 1)) | sum -)" \
		"$(sum "$3")"
	expect_eq "$1: the $sc_n pages written from page $2" \
		"$(range_sum /tmp/storm.bin $(($2 * page)) $((sc_n * page)))" \
		"$(range_sum /tmp/storm.out $(($2 * page)) $((sc_n * page)))"
	sc_next=$(($2 + sc_n))
	sc_rest=$((16 * ppb - sc_n - 1))
	got=$(range_sum /tmp/storm.out $((sc_next * page)) $page)
	[ "$got" = "$(ff $page)" ] ||
		[ "$got" = "$(range_sum /tmp/storm.bin $((sc_next * page)) $page)" ] ||
		fail "$1: page $sc_next (in flight at the kill) is neither erased nor written"
	expect_eq "$1: the $sc_rest pages after it erased" "$(ff $((sc_rest * page)))" \
		"$(range_sum /tmp/storm.out $(((sc_next + 1) * page)) $((sc_rest * page)))"
	echo "ok: $1: $sc_n pages from page $2 written and intact"
}

# part_f: f), SIGKILL in a write storm.
part_f() {
	ST="--type nand --size 4MiB --page-size 2048 --erase-size 128KiB --oob-size 64"
	ST="$ST --subpage-size 2048 --nand-reprogram refuse"
	random_file /tmp/storm.bin $((4 * 1024 * 1024))
	rand_seed 22
	for mode in kernel control; do
		step "f) $mode: SIGKILL of ramflash in a storm of page writes"
		img=/tmp/storm-$mode.img
		rm -f "$img" /tmp/storm-a /tmp/storm-b
		# shellcheck disable=SC2086 # a word list
		serve $mode storm $ST --image "$img"
		# Erased first: with kernel program on, the programs follow
		# the kernel's erases, whose counts are pending too.
		flash_erase -q "$MTD" 0 0 || fail "$mode: flash_erase"
		storm_writer 0 $((16 * ppb - 1)) /tmp/storm-a &
		wa=$!
		storm_writer $((16 * ppb)) $((32 * ppb - 1)) /tmp/storm-b &
		wb=$!
		# The kill comes once both writers are seen writing (a
		# varying number of pages in), not after a guessed sleep.
		rand 10
		at=$((20 + RAND * 10))
		wait_for 30 storm_at /tmp/storm-a $at ||
			fail "$mode: writer a did not write $at pages"
		wait_for 30 storm_at /tmp/storm-b $at ||
			fail "$mode: writer b did not write $at pages"
		kill -KILL "$RAMFLASH_PID"
		wait "$RAMFLASH_PID" || true
		ends_within 20 "$wa"
		ends_within 20 "$wb"
		wait_for 10 mtd_gone "$MTD" || fail "$MTD still registered after SIGKILL"
		[ "$(tail -n 1 /tmp/storm-a)" -lt $((16 * ppb - 1)) ] &&
			[ "$(tail -n 1 /tmp/storm-b)" -lt $((32 * ppb - 1)) ] ||
			fail "$mode: a writer finished before the kill: no storm was cut"
		written=$(($(wc -l </tmp/storm-a) + $(wc -l </tmp/storm-b)))
		counted=$(pending "$img")
		if [ "$KP" -eq 1 ]; then
			# Each writer may have had one more page programmed
			# whose success it never saw.
			if [ "$counted" -lt "$written" ] || [ "$counted" -gt $((written + 2)) ]; then
				fail "$mode: $counted kernel programs pending in the image for $written pages written"
			fi
			echo "ok: $mode: $counted kernel programs pending in the image, $written pages written"
		else
			expect_eq "$mode: kernel programs pending in the image" 0 "$counted"
		fi

		step "f) $mode: restarted on the image"
		# shellcheck disable=SC2086 # a word list
		serve $mode storm $ST --image "$img"
		expect_eq "$mode: kernel programs pending after the restart" 0 "$(pending "$img")"
		nanddump -q -f /tmp/storm.out "$MTD" || fail "$mode: nanddump"
		storm_check $mode 0 /tmp/storm-a
		storm_check $mode $((16 * ppb)) /tmp/storm-b
		for p in 0 "$(tail -n 1 /tmp/storm-a)" "$(tail -n 1 /tmp/storm-b)"; do
			expect_fail "$mode: a second program of page $p, written before the kill" \
				program "$MTD" $((p * page)) $page /tmp/storm.bin
		done
		program "$MTD" $(((16 * ppb - 1) * page)) $page /tmp/storm.bin ||
			fail "$mode: the last page of block 15, never written, refuses a program"
		stop_ramflash
		rm -f "$img" /tmp/storm.out
	done
	rm -f /tmp/storm.bin
}

# The parts to run: all, or those given (musetest.args=c,d for c and d).
[ $# -gt 0 ] || set -- a c d e f
for part in "$@"; do
	"part_$part"
done
rmmod muse || fail "rmmod muse"
