# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh
#
# Guest helpers of the seed suite, on top of tests/vm/scenarios/lib.sh and
# tests/kernel-debug/scenarios/kdebug-lib.sh (sourced by every scenario
# here, after those).  Not a scenario itself.

# load_seed: the MUSE v2 module of the seed (muse_seed.ko) in place of
# this project's muse.ko; both create /dev/muse.
load_seed() {
	grep -qx "module muse_seed" /etc/muse-initramfs ||
		skip "muse_seed.ko was not built"
	modprobe muse_seed || fail "modprobe muse_seed"
	[ -c /dev/muse ] || fail "/dev/muse missing after modprobe muse_seed"
}

# seed_kmemleak_check: fail if kmemleak suspects an object allocated by or
# through the seed's module, except the one leak of the seed's own code
# and this suite records (doc/protocol.md, "Against the original
# implementation"): muse_parse_mtdreq() kstrdup()s the MTD's name and
# nothing frees it, one object per registration.  Call it while
# muse_seed.ko is loaded (its frames named) and after every server ended.
seed_kmemleak_check() {
	step "kmemleak scan"
	kmemleak_suspects muse >/dev/null
	# One report per paragraph; muse_parse_mtdreq() may be inlined into
	# its only caller.
	awk -v RS= -v ORS='\n\n' \
		'!(/kstrdup/ && /muse_(parse_mtdreq|process_init_reply)/)' \
		/tmp/kmemleak-match.txt >/tmp/kmemleak-ours.txt
	names=$(grep -c '^unreferenced object' /tmp/kmemleak-match.txt || true)
	ours=$(grep -c '^unreferenced object' /tmp/kmemleak-ours.txt || true)
	if [ "$ours" -gt 0 ]; then
		cat /tmp/kmemleak-ours.txt
		fail "kmemleak reports $ours object(s) leaked through muse_seed besides the MTD names"
	fi
	echo "ok: kmemleak: the seed's MTD-name leaks only ($((names - ours)) of them)"
}

# seed_geometry MTD TYPE WRITESIZE ERASESIZE: what the seed registered.  A
# v2 kernel knows no OOB, subpages or ECC: those must read 0, 0 or the
# page size, whatever the server's device has.
seed_geometry() {
	expect_eq "type" "$2" "$(mtd_attr "$1" type)"
	expect_eq "writesize" "$3" "$(mtd_attr "$1" writesize)"
	expect_eq "erasesize" "$4" "$(mtd_attr "$1" erasesize)"
	expect_eq "oobsize" 0 "$(mtd_attr "$1" oobsize)"
	expect_eq "subpagesize" "$3" "$(mtd_attr "$1" subpagesize)"
	expect_eq "ecc_strength" 0 "$(mtd_attr "$1" ecc_strength)"
}

# On failure, the servers' own words too.
seed_server_logs() {
	seed_status=$?
	[ "$seed_status" -eq 0 ] || [ "$seed_status" -eq 77 ] ||
		for f in /tmp/minimal.log /tmp/ramflash-*.log; do
			[ -f "$f" ] && { echo "--- $f ---"; tail -n 20 "$f"; }
		done
	exit "$seed_status"
}
trap seed_server_logs EXIT
