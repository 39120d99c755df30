#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The server dies (kill -9) while the MTD is busy: callers get errors
# promptly, nothing hangs, the MTD disappears once its users let go, the
# module unloads and a new server registers again.  Then the raw
# malformed-reply peer (muse-badpeer) runs its reply cases, if it was built.
. /scenarios/lib.sh

require_bin ramflash
load_ubifs_stack
load_muse

geometry="--type nand --size 4MiB --page-size 2048 --erase-size 128KiB --oob-size 64"

# kill_server: SIGKILL ramflash and reap it.
kill_server() {
	kill -KILL "$RAMFLASH_PID"
	wait "$RAMFLASH_PID" 2>/dev/null || true
}

# uptime_s: whole seconds since boot.
uptime_s() {
	cut -d. -f1 /proc/uptime
}

step "kill -9 while dd reads /dev/mtdN"
# shellcheck disable=SC2086 # geometry is a word list
start_ramflash dying $geometry
flash_erase -q "$MTD" 0 0
(
	while dd if="$MTD" of=/dev/null bs=4096 2>/dev/null; do :; done
	echo finished >/tmp/reader.done
) &
reader=$!
sleep 2
[ ! -e /tmp/reader.done ] || fail "the reader stopped before the server died"
t0=$(uptime_s)
kill_server
wait_for 10 test -e /tmp/reader.done || fail "the reader still runs 10 s after the server died"
wait "$reader"
echo "ok: the reader got an error within $(($(uptime_s) - t0)) s"
wait_for 10 mtd_gone "$MTD" || fail "$MTD still registered with no user"
echo "ok: $MTD is gone"

step "kill -9 while UBI is attached and UBIFS writes"
# shellcheck disable=SC2086
start_ramflash dying $geometry
ubifs_up "$MTD" v /mnt/v
(
	i=0
	# Four files of 128 KiB rewritten in turn: never short of space.
	while dd if=/dev/urandom of=/mnt/v/f$((i % 4)) bs=65536 count=2 conv=fsync 2>/tmp/writer.err; do
		i=$((i + 1))
	done
	echo finished >/tmp/writer.done
) &
writer=$!
sleep 3
[ ! -e /tmp/writer.done ] || fail "the writer stopped before the server died: $(cat /tmp/writer.err)"
kill_server
wait_for 15 test -e /tmp/writer.done || fail "the UBIFS writer still runs 15 s after the server died"
wait "$writer"
echo "ok: the UBIFS writer got an error"
grep -q "^mtd$(mtd_num "$MTD"):" /proc/mtd ||
	echo "note: $MTD already unregistered while UBI holds it"
ubi_down /mnt/v
wait_for 10 mtd_gone "$MTD" || fail "$MTD still registered after UBI let go"
echo "ok: $MTD is gone after detach"

step "the module unloads and loads again"
rmmod muse || fail "rmmod muse with no server left"
load_muse

step "a new server registers"
# shellcheck disable=SC2086
start_ramflash again $geometry
random_file /tmp/again.bin 131072
flash_erase -q "$MTD" 0 1
nandwrite -q "$MTD" /tmp/again.bin
nanddump -q -l 131072 -f /tmp/again.out "$MTD"
expect_eq "data through the new server" "$(sum /tmp/again.bin)" "$(sum /tmp/again.out)"
stop_ramflash

step "a server that dies before INIT, and one that never answers INIT"
# Opening /dev/muse and exiting at once must leave nothing behind.
for i in 1 2 3; do
	sh -c 'exec 3<>/dev/muse' || fail "open /dev/muse"
done
expect_eq "no MTD left" "" "$(sed -n '2,$p' /proc/mtd)"

run_badpeer reply-cases
rmmod muse || fail "rmmod muse at the end"
