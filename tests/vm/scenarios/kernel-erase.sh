#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Kernel erase (MUSE_EXT_KERNEL_ERASE): the module erases the blocks
# ramflash granted by punching holes into its store and counting the erase
# there; ramflash applies the count later.  Every part runs on ramflash with
# kernel erase (its default) and with --no-kernel-erase (the control), and
# the results must be the same:
# a) an erase of the whole device in one MEMERASE, nandwrite/nanddump of
#    data with and without OOB, flash_erase block by block, everything
#    reads back 0xff, data and OOB; the dumps are identical, and nandsim
#    (same geometry) gives the same data.
# b) /sys/fs/muse/connections/<id>/kernel_erases counts exactly the erases
#    done with kernel erase on and stays 0 in the control; ramflash's
#    --stats JSON has the same erase totals and per-block counts in both,
#    the kernel's erases it has not applied yet included.
# c) --endurance N: N erases of a block succeed, the next fails with EIO
#    and the block is worn out, bad once marked; the kernel erases N - 1
#    of them (the budget of its grant), the server the last.
# d) bad blocks: factory bad blocks (--bad-blocks) and a block marked bad
#    are never erased by the kernel (the erase fails, the data stays), an
#    erase crossing a bad block erases the blocks before it and fails.
# e) a SIGKILLed ramflash: its image keeps the kernel's erase counts, a new
#    ramflash applies them at start, so a page of an MLC NAND (which
#    refuses a second program) programmed before the erase programs again.
# f) UBI and UBIFS on kernel erase: ubiformat, files, sync, remount and a
#    ramflash restart, every checksum; all of UBI's erases are the kernel's.
# a) also runs on ramflash --erase-slack 256KiB (mode keep: the kernel
#    zeroes erased pages in place): the same dumps and counts, and within
#    ramflash's thread's period the kept blocks above the slack punched
#    (slack_punched_blocks), the store then within the slack of what it
#    holds without.
# Arguments (musetest.args=d,e): the parts to run, default all (a c d e f;
# b is checked within a).
. /scenarios/lib.sh

require_bin ramflash
require_bin mtdioctl
load_ubifs_stack
load_muse

block=131072
page=2048
oob=64
ppb=64		# pages per block
rec=2112	# a page and its OOB in a nanddump/nandwrite -o file
# nandsim: 2 KiB pages, 64 B OOB, 128 KiB blocks, 64 blocks (8 MiB).
NANDSIM_ARGS="id_bytes=0x20,0xf1,0x00,0x15 overridesize=6"
# The small NAND of parts c) and d): 4 MiB, 32 blocks.
RF4="--type nand --size 4MiB --page-size 2048 --erase-size 128KiB --oob-size 64"
# Part a)'s keep mode: two blocks' data (and their OOB) may stay.
KEEP_SLACK=262144

# serve MODE NAME ARGS...: start_ramflash NAME ARGS in MODE (kernel: kernel
# erase, ramflash's default; control: --no-kernel-erase; keep: kernel erase
# keeping pages, --erase-slack KEEP_SLACK); wait until it
# says it registered (after its passthrough and erase grants are set up),
# check it says kernel erase is on or off as MODE wants.  Sets CONN (the
# connection's sysfs directory) and KE (1 with kernel erase, 0 without).
serve() {
	sv_mode=$1
	shift
	case "$sv_mode" in
	kernel) KE=1 ;;
	control) KE=0 && set -- "$@" --no-kernel-erase ;;
	keep) KE=1 && set -- "$@" --erase-slack $KEEP_SLACK ;;
	*) fail "serve: mode $sv_mode" ;;
	esac
	start_registered "$@"
	ramflash_says "kernel erase" "$KE"
	[ -f "$CONN/kernel_erases" ] || fail "no kernel_erases for $1: '$CONN'"
}

# kerases: the connection's kernel_erases.
kerases() {
	cat "$CONN/kernel_erases"
}

# kerases_above N: kernel_erases is more than N.
kerases_above() {
	[ "$(kerases)" -gt "$1" ]
}

# expect_kerases WHAT N: kernel_erases is N with kernel erase, 0 without.
expect_kerases() {
	expect_eq "$1: kernel_erases" $((KE * $2)) "$(kerases)"
}

# json_list FILE NAME: the inside of a top-level JSON array.
json_list() {
	sed -n "s/^ *\"$2\": \[\(.*\)\],\{0,1\} *\$/\1/p" "$1"
}

# counts N VALUE [BLOCK:VALUE...]: N comma-separated erase counts, VALUE
# except where a BLOCK:VALUE says otherwise.
counts() {
	ct_n=$1
	ct_def=$2
	shift 2
	ct_i=0
	ct_out=
	while [ "$ct_i" -lt "$ct_n" ]; do
		ct_v=$ct_def
		for ct_kv in "$@"; do
			[ "${ct_kv%%:*}" != "$ct_i" ] || ct_v=${ct_kv#*:}
		done
		ct_out="$ct_out${ct_out:+,}$ct_v"
		ct_i=$((ct_i + 1))
	done
	echo "$ct_out"
}

# erase_eio WHAT OFFSET LENGTH: an erase (one MEMERASE) that must fail with
# EIO.
erase_eio() {
	if mtd_debug erase "$MTD" "$2" "$3" >/tmp/erase.out 2>&1; then
		cat /tmp/erase.out
		fail "$1: the erase succeeded"
	fi
	grep -q "Input/output error" /tmp/erase.out || {
		cat /tmp/erase.out
		fail "$1: the erase failed, but not with EIO"
	}
	echo "ok: $1: EIO"
}

# erase_ok WHAT OFFSET LENGTH: an erase (one MEMERASE) that must succeed.
erase_ok() {
	mtd_debug erase "$MTD" "$2" "$3" >/tmp/erase.out 2>&1 || {
		cat /tmp/erase.out
		fail "$1: the erase failed"
	}
}

# block_sum FILE FIRST COUNT: the sha256 of COUNT blocks of FILE from
# block FIRST (a dump without OOB).
block_sum() {
	dd if="$1" bs=$block skip="$2" count="$3" 2>/dev/null | sha256sum | cut -d' ' -f1
}

# meta IMAGE BLOCK FIELD: a field of BLOCK's struct rf_block_meta in a
# ramflash image, erase_count (FIELD 0) or kernel_erases (28), the kernel's
# erases not applied yet.
meta() {
	u32 "$1" $(($(block_record "$1" "$2") + $3))
}

# patterns: the data of part a).
patterns() {
	step "patterned data: 4 blocks with OOB, 16 without"
	random_file /tmp/pat.data $((4 * block))
	random_file /tmp/pat.plain $((16 * block))
	oob_records /tmp/pat.data /tmp/pat.oob kernel-erase
	expect_eq "pattern with OOB, bytes" $((4 * ppb * rec)) "$(wc -c </tmp/pat.oob)"
}

# roundtrip TAG MTD [nandsim]: part a) on MTD: one MEMERASE over the whole
# device, the pattern written (blocks 0-3 with OOB, 8-23 without), read
# back, flash_erase of every block (one MEMERASE each), all 0xff.  The
# checksums of the dumps go to /tmp/rt-TAG.sums.  On ramflash, checks the
# connection's kernel_erases after each erase and the --stats JSON
# (ramflash's --stats /tmp/rt-TAG-exit.json, written on SIGUSR1) while the
# kernel's erases are not applied yet.
roundtrip() {
	rt_tag=$1
	rt_mtd=$2
	rt_nandsim=${3:-}
	rt_size=$(mtd_attr "$rt_mtd" size)
	rt_blocks=$((rt_size / block))
	: >"/tmp/rt-$rt_tag.sums"

	step "$rt_tag: one MEMERASE over all $rt_blocks blocks"
	mtd_debug erase "$rt_mtd" 0 "$rt_size" >/dev/null || fail "$rt_tag: mtd_debug erase"
	[ -n "$rt_nandsim" ] || expect_kerases "$rt_tag: after the first erase" "$rt_blocks"

	step "$rt_tag: nandwrite with and without OOB, nanddump"
	nandwrite -q -o "$rt_mtd" /tmp/pat.oob || fail "$rt_tag: nandwrite -o"
	nandwrite -q -s $((8 * block)) "$rt_mtd" /tmp/pat.plain ||
		fail "$rt_tag: nandwrite"
	nanddump -q -f /tmp/rt.data "$rt_mtd" || fail "$rt_tag: nanddump"
	expect_eq "$rt_tag: blocks 0-3" "$(sum /tmp/pat.data)" \
		"$(block_sum /tmp/rt.data 0 4)"
	expect_eq "$rt_tag: blocks 8-23" "$(sum /tmp/pat.plain)" \
		"$(block_sum /tmp/rt.data 8 16)"
	echo "data $(sum /tmp/rt.data)" >>"/tmp/rt-$rt_tag.sums"
	rm /tmp/rt.data
	nanddump -q -o -l $((4 * block)) -f /tmp/rt.oob4 "$rt_mtd" ||
		fail "$rt_tag: nanddump -o"
	if [ -n "$rt_nandsim" ]; then
		# nandsim computes its soft Hamming ECC over what it programs
		# (3 bytes per 256, OOB bytes 40-63); every other byte is ours.
		cmp -l /tmp/pat.oob /tmp/rt.oob4 >/tmp/rt.diff || true
		expect_eq "$rt_tag: bytes differing outside nandsim's ECC bytes" 0 \
			"$(awk -v rec=$rec '{ o = ($1 - 1) % rec; if (o < 2048 + 40) n++ }
				END { print n + 0 }' /tmp/rt.diff)"
		rm /tmp/rt.diff
	else
		expect_eq "$rt_tag: blocks 0-3 with OOB" "$(sum /tmp/pat.oob)" \
			"$(sum /tmp/rt.oob4)"
		nanddump -q -o -f /tmp/rt.all "$rt_mtd" || fail "$rt_tag: nanddump -o"
		echo "written $(sum /tmp/rt.all)" >>"/tmp/rt-$rt_tag.sums"
		rm /tmp/rt.all
	fi
	rm /tmp/rt.oob4

	step "$rt_tag: flash_erase block by block"
	# Not 0 0: flash_erase would try one MEMERASE of the whole chip.
	flash_erase -q "$rt_mtd" 0 1 || fail "$rt_tag: flash_erase of block 0"
	flash_erase -q "$rt_mtd" $block $((rt_blocks - 1)) ||
		fail "$rt_tag: flash_erase of blocks 1-$((rt_blocks - 1))"
	if [ -z "$rt_nandsim" ]; then
		expect_kerases "$rt_tag: after the second erase" $((2 * rt_blocks))
		# Not one request touched a block since: the kernel's
		# erases are pending in the store, and the report counts them.
		rt_json=/tmp/rt-$rt_tag-exit.json
		stats_now "$rt_json"
		expect_eq "$rt_tag: erase_counts (SIGUSR1)" \
			"$(counts "$rt_blocks" 2)" \
			"$(json_list "$rt_json" erase_counts)"
		expect_eq "$rt_tag: erase_count_total (SIGUSR1)" $((2 * rt_blocks)) \
			"$(json_counter "$rt_json" erase_count_total)"
		expect_eq "$rt_tag: erases (SIGUSR1)" $((2 * rt_blocks)) \
			"$(json_counter "$rt_json" erases)"
		expect_eq "$rt_tag: kernel_erases counter (SIGUSR1)" \
			$((KE * 2 * rt_blocks)) \
			"$(json_counter "$rt_json" kernel_erases)"
	fi
	nanddump -q -o -f /tmp/rt.erased "$rt_mtd" || fail "$rt_tag: nanddump -o"
	expect_eq "$rt_tag: all erased, data and OOB" \
		"$(ff $((rt_blocks * ppb * rec)))" "$(sum /tmp/rt.erased)"
	echo "erased $(sum /tmp/rt.erased)" >>"/tmp/rt-$rt_tag.sums"
	rm /tmp/rt.erased
}

# keep_punched: ramflash's report (SIGUSR1, kept as /tmp/keep-trimmed.json)
# says it punched kept blocks.
keep_punched() {
	stats_now /tmp/rt-keep-exit.json
	cp /tmp/rt-keep-exit.json /tmp/keep-trimmed.json
	[ "$(json_counter /tmp/keep-trimmed.json slack_punched_blocks)" -gt 0 ]
}

# keep_trimmed: after roundtrip in keep mode, every erased block was kept
# (the kernel zeroed it in place) until ramflash's thread applied the
# kernel's erases (within a second, no request needed) and punched the
# oldest above the slack.
keep_trimmed() {
	wait_for 10 keep_punched || {
		cat /tmp/keep-trimmed.json
		fail "keep: no kept block punched above --erase-slack"
	}
	echo "ok: keep: $(json_counter /tmp/keep-trimmed.json slack_punched_blocks) blocks, $(json_counter /tmp/keep-trimmed.json slack_punched_bytes) bytes punched above the slack"
}

# part_a: a) and b) on nandsim, ramflash with and without kernel erase.
part_a() {
	patterns
	step "a) nandsim, the kernel's own NAND (the control's control)"
	# shellcheck disable=SC2086 # a word list
	modprobe nandsim $NANDSIM_ARGS || fail "modprobe nandsim"
	NANDSIM=$(mtd_by_name "NAND simulator partition 0")
	[ -n "$NANDSIM" ] || fail "nandsim registered no MTD"
	expect_eq "nandsim erasesize" $block "$(mtd_attr "$NANDSIM" erasesize)"
	expect_eq "nandsim writesize" $page "$(mtd_attr "$NANDSIM" writesize)"
	expect_eq "nandsim oobsize" $oob "$(mtd_attr "$NANDSIM" oobsize)"
	nand_size=$(mtd_attr "$NANDSIM" size)
	NAND="--type nand --size $nand_size --page-size $page --erase-size $block"
	NAND="$NAND --oob-size $oob --subpage-size $(mtd_attr "$NANDSIM" subpagesize)"
	roundtrip nandsim "$NANDSIM" nandsim
	rmmod nandsim

	for mode in kernel keep control; do
		step "a) b) ramflash, $mode"
		# shellcheck disable=SC2086 # a word list
		serve $mode rt $NAND --stats /tmp/rt-$mode-exit.json
		roundtrip $mode "$MTD"
		[ $mode != keep ] || keep_trimmed
		stop_ramflash
		f=/tmp/rt-$mode-exit.json
		expect_eq "$mode: erase_counts at exit" \
			"$(counts $((nand_size / block)) 2)" "$(json_list "$f" erase_counts)"
		expect_eq "$mode: erase_count_total at exit" $((2 * nand_size / block)) \
			"$(json_counter "$f" erase_count_total)"
		expect_eq "$mode: erases at exit" $((2 * nand_size / block)) \
			"$(json_counter "$f" erases)"
		expect_eq "$mode: kernel_erases counter at exit" \
			$((KE * 2 * nand_size / block)) "$(json_counter "$f" kernel_erases)"
	done
	cmp /tmp/rt-kernel.sums /tmp/rt-control.sums ||
		fail "kernel erase and --no-kernel-erase dumps differ"
	cmp /tmp/rt-kernel.sums /tmp/rt-keep.sums ||
		fail "kernel erase with and without --erase-slack: the dumps differ"
	kept=$(($(json_counter /tmp/keep-trimmed.json store_bytes) -
		$(json_counter /tmp/rt-kernel-exit.json store_bytes)))
	[ "$kept" -le "$KEEP_SLACK" ] ||
		fail "--erase-slack $KEEP_SLACK: the store holds $kept bytes more than without"
	echo "ok: --erase-slack $KEEP_SLACK: the same dumps, $kept bytes more in the store"
	echo "ok: kernel erase = --no-kernel-erase: $(tr '\n' ' ' </tmp/rt-kernel.sums)"
	grep -v '^written ' /tmp/rt-kernel.sums | cmp - /tmp/rt-nandsim.sums ||
		fail "ramflash's dumps differ from nandsim's"
	echo "ok: ramflash's data = nandsim's"
}

# endurance MODE: part c).
endurance() {
	step "c) --endurance 4, $1"
	# shellcheck disable=SC2086 # a word list
	serve "$1" end $RF4 --endurance 4 --stats "/tmp/end-$1.json"
	random_file /tmp/end.bin $block
	for n in 1 2 3 4; do
		mtd_debug write "$MTD" $((2 * block)) $block /tmp/end.bin >/dev/null ||
			fail "write before erase $n"
		erase_ok "erase $n of 4 of block 2" $((2 * block)) $block
		mtd_debug read "$MTD" $((2 * block)) $block /tmp/end.out >/dev/null
		expect_eq "block 2 after erase $n" "$(ff $block)" "$(sum /tmp/end.out)"
	done
	# The grant's budget was endurance - 1: the kernel did 3, the
	# server the 4th (the one that reaches the limit).
	expect_kerases "$1: after 4 erases" 3
	erase_eio "$1: erase 5 of block 2, past --endurance 4" $((2 * block)) $block
	# Worn out as on a chip: the erase fails, the block is left for the
	# user (UBI) to mark.
	expect_eq "$1: block 2 good until marked" 0 "$(mtdioctl isbad "$MTD" $((2 * block)))"
	erase_eio "$1: erase 6 of block 2, worn out" $((2 * block)) $block
	mtdioctl markbad "$MTD" $((2 * block)) || fail "$1: MEMSETBADBLOCK of block 2"
	expect_eq "$1: block 2 bad once marked" 1 "$(mtdioctl isbad "$MTD" $((2 * block)))"
	erase_ok "$1: block 3, next to it" $((3 * block)) $block
	expect_kerases "$1: at the end" 4
	stop_ramflash
	f=/tmp/end-$1.json
	expect_eq "$1: erase_counts" "$(counts 32 0 2:4 3:1)" "$(json_list "$f" erase_counts)"
	expect_eq "$1: worn_out_blocks" 1 "$(json_counter "$f" worn_out_blocks)"
	expect_eq "$1: bad_blocks" '{"block": 2, "reason": "worn-out"}' \
		"$(json_list "$f" bad_blocks)"
	expect_eq "$1: erases" 5 "$(json_counter "$f" erases)"
	expect_eq "$1: kernel_erases counter" $((KE * 4)) "$(json_counter "$f" kernel_erases)"
}

# part_c: c), --endurance.
part_c() {
	endurance kernel
	endurance control
}

# bad MODE: part d).
bad() {
	step "d) bad blocks, $1: factory bad 3 and 10, block 5 marked bad"
	# shellcheck disable=SC2086 # a word list
	serve "$1" bad $RF4 --bad-blocks 3,10 --stats "/tmp/bad-$1.json"
	erase_eio "$1: erase of factory bad block 3" $((3 * block)) $block
	expect_kerases "$1: after it" 0
	# Blocks 1-31 one by one (flash_erase of the whole chip would try
	# one MEMERASE first, failing at block 3).
	flash_erase "$MTD" $block 31 >/tmp/erase.log 2>&1 || {
		cat /tmp/erase.log
		fail "$1: flash_erase"
	}
	expect_eq "$1: bad blocks flash_erase skipped" 2 \
		"$(grep -c -i "skipping bad block" /tmp/erase.log)"
	expect_kerases "$1: after flash_erase" 29
	random_file /tmp/b1.bin $block
	random_file /tmp/b4.bin $block
	random_file /tmp/b5.bin $block
	for b in 1 4 5; do
		mtd_debug write "$MTD" $((b * block)) $block /tmp/b$b.bin >/dev/null ||
			fail "$1: write block $b"
	done
	mtdioctl markbad "$MTD" $((5 * block)) || fail "$1: markbad 5"
	expect_eq "$1: block 5 bad" 1 "$(mtdioctl isbad "$MTD" $((5 * block)))"
	erase_eio "$1: erase of block 5, marked bad" $((5 * block)) $block
	mtd_debug read "$MTD" $((5 * block)) $block /tmp/b.out >/dev/null
	expect_eq "$1: block 5 keeps its data" "$(sum /tmp/b5.bin)" "$(sum /tmp/b.out)"
	expect_kerases "$1: after it" 29
	# Blocks 0-4 in one MEMERASE: 0-2 are erased (by the kernel), 3
	# (bad) fails it, and block 4 keeps its data, as nand_base leaves
	# the blocks after a failed one.
	erase_eio "$1: erase of blocks 0-4 across bad block 3" 0 $((5 * block))
	mtd_debug read "$MTD" $block $block /tmp/b.out >/dev/null
	expect_eq "$1: block 1 erased" "$(ff $block)" "$(sum /tmp/b.out)"
	mtd_debug read "$MTD" $((4 * block)) $block /tmp/b.out >/dev/null
	expect_eq "$1: block 4, after the failed block, keeps its data" \
		"$(sum /tmp/b4.bin)" "$(sum /tmp/b.out)"
	expect_kerases "$1: at the end" 32
	stop_ramflash
	f=/tmp/bad-$1.json
	expect_eq "$1: erase_counts" "$(counts 32 1 1:2 2:2 3:0 4:1 10:0)" \
		"$(json_list "$f" erase_counts)"
	expect_eq "$1: erases refused on bad blocks" 3 \
		"$(json_counter "$f" bad_block_erases)"
	expect_eq "$1: bad_blocks" \
		'{"block": 3, "reason": "factory"}, {"block": 5, "reason": "marked"}, {"block": 10, "reason": "factory"}' \
		"$(json_list "$f" bad_blocks)"
	expect_eq "$1: erases" 32 "$(json_counter "$f" erases)"
	expect_eq "$1: kernel_erases counter" $((KE * 32)) "$(json_counter "$f" kernel_erases)"
}

# part_d: d), bad blocks.
part_d() {
	bad kernel
	bad control
}

# part_e: e), SIGKILL and restart on an image.
part_e() {
	step "e) SIGKILL with the kernel's erases pending: MLC NAND on an image"
	img=/tmp/mlc.img
	mlc_block=262144
	MLC="--type mlc-nand --size 4MiB --page-size 4096 --erase-size 256KiB --oob-size 224"
	# shellcheck disable=SC2086 # a word list
	serve kernel mlc $MLC --image "$img"
	random_file /tmp/mlc-a.bin $((2 * mlc_block))
	random_file /tmp/mlc-b.bin $((2 * mlc_block))
	random_file /tmp/mlc-p.bin 4096
	# The control: this chip refuses a second program of a page.
	mtd_debug write "$MTD" 0 4096 /tmp/mlc-p.bin >/dev/null || fail "program block 0"
	expect_fail "a second program of an MLC page" \
		mtd_debug write "$MTD" 0 4096 /tmp/mlc-p.bin
	nandwrite -q -s $mlc_block "$MTD" /tmp/mlc-a.bin || fail "nandwrite blocks 1-2"
	erase_ok "erase of blocks 1-2" $mlc_block $((2 * mlc_block))
	erase_ok "erase of blocks 1-2 again" $mlc_block $((2 * mlc_block))
	expect_kerases "two erases of blocks 1-2" 4
	for b in 1 2; do
		expect_eq "block $b: erase_count in the image" 0 "$(meta "$img" $b 0)"
		expect_eq "block $b: the kernel's pending erases in the image" 2 \
			"$(meta "$img" $b 28)"
	done
	kill -KILL "$RAMFLASH_PID"
	wait "$RAMFLASH_PID" || true
	wait_for 10 mtd_gone "$MTD" || fail "$MTD still registered after SIGKILL"

	step "e) a new ramflash on the image applies them"
	# shellcheck disable=SC2086 # a word list
	serve kernel mlc $MLC --image "$img" --stats /tmp/mlc.json
	for b in 1 2; do
		expect_eq "block $b: erase_count in the image" 2 "$(meta "$img" $b 0)"
		expect_eq "block $b: pending erases in the image" 0 "$(meta "$img" $b 28)"
	done
	mtd_debug read "$MTD" $mlc_block $((2 * mlc_block)) /tmp/mlc.out >/dev/null
	expect_eq "blocks 1-2 erased" "$(ff $((2 * mlc_block)))" "$(sum /tmp/mlc.out)"
	nandwrite -q -s $mlc_block "$MTD" /tmp/mlc-b.bin ||
		fail "programming blocks 1-2 again after the restart"
	nanddump -q -s $mlc_block -l $((2 * mlc_block)) -f /tmp/mlc.out "$MTD"
	expect_eq "blocks 1-2 programmed again" "$(sum /tmp/mlc-b.bin)" "$(sum /tmp/mlc.out)"
	expect_fail "block 0 still refuses its second program" \
		mtd_debug write "$MTD" 0 4096 /tmp/mlc-p.bin
	stop_ramflash
	expect_eq "erase_counts" "$(counts 16 0 1:2 2:2)" "$(json_list /tmp/mlc.json erase_counts)"
	expect_eq "erase_count_total" 4 "$(json_counter /tmp/mlc.json erase_count_total)"
	rm -f "$img" /tmp/mlc*.bin /tmp/mlc.out
}

# part_f: f), UBI and UBIFS.
part_f() {
	step "f) UBI and UBIFS on kernel erase"
	img=/tmp/ubi.img
	UBI="--type nand --size 16MiB --page-size 2048 --erase-size 128KiB --oob-size 64"
	# shellcheck disable=SC2086 # a word list
	serve kernel ubi $UBI --image "$img" --stats /tmp/ubi.json
	ubi_attach "$MTD"
	expect_kerases "ubiformat" 128
	ubi_volume data
	ubifs_mount data /mnt/ubi
	mkdir /mnt/ubi/keep
	for i in 1 2 3; do
		head -c $((100000 * i + 7)) /dev/urandom >/mnt/ubi/keep/f$i
	done
	head -c 2000000 /dev/urandom >/mnt/ubi/churn
	sync
	files_sha /mnt/ubi/keep >/tmp/keep.sha256
	rm /mnt/ubi/churn
	sync
	# A commit unmaps the churn's LEBs; UBI erases their blocks.
	mount -o remount,rw /mnt/ubi
	wait_for 30 kerases_above 128 ||
		fail "UBI erased nothing after the churn: kernel_erases $(kerases)"
	echo "ok: kernel_erases $(kerases) after UBIFS"
	umount /mnt/ubi
	ubifs_mount data /mnt/ubi
	same_files "UBIFS after a remount" /tmp/keep.sha256 /mnt/ubi/keep
	ubi_down /mnt/ubi
	k=$(kerases)
	stop_ramflash
	expect_eq "every erase UBI made was the kernel's: erase_count_total" "$k" \
		"$(json_counter /tmp/ubi.json erase_count_total)"
	expect_eq "erases" "$k" "$(json_counter /tmp/ubi.json erases)"
	expect_eq "kernel_erases counter" "$k" "$(json_counter /tmp/ubi.json kernel_erases)"
	# shellcheck disable=SC2086 # a word list
	serve kernel ubi $UBI --image "$img"
	ubi_reattach "$MTD"
	ubifs_mount data /mnt/ubi
	same_files "UBIFS after a ramflash restart" /tmp/keep.sha256 /mnt/ubi/keep
	ubi_down /mnt/ubi
	stop_ramflash
	rm -f "$img"
}

# The parts to run: all, or those given (musetest.args=d,e for d and e).
[ $# -gt 0 ] || set -- a c d e f
for part in "$@"; do
	"part_$part"
done
rmmod muse || fail "rmmod muse"
