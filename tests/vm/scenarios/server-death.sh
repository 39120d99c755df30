#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The server dies (kill -9) while the MTD is busy: callers get errors
# promptly, nothing hangs, the MTD disappears once its users let go, the
# module unloads and a new server registers again.  Then the raw
# malformed-reply peer (muse-peer replies) runs its cases, if it was built.
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

# someone_waits DIR: the connection has a request not answered yet.
someone_waits() {
	[ "$(cat "$1/waiting")" -ge 1 ]
}

# task_state PIDFILE: the state letter (/proc/PID/stat) of the process
# named in PIDFILE, or nothing.
task_state() {
	ts_pid=$(cat "$1" 2>/dev/null) || return 0
	[ -z "$ts_pid" ] || sed 's/.*) \(.\).*/\1/' "/proc/$ts_pid/stat" 2>/dev/null || true
}

# blocked_in_kernel PIDFILE: the process named in PIDFILE sleeps
# uninterruptibly, as a user waiting for a request does: D (a killable
# wait) or I (TASK_IDLE, a wait that cannot be withdrawn).
blocked_in_kernel() {
	case "$(task_state "$1")" in
	D | I) return 0 ;;
	*) return 1 ;;
	esac
}

# stop_under_load WHAT PIDFILE DONEFILE: the load (whose current dd's pid
# is in PIDFILE, which writes DONEFILE when it ends) has run once through
# (PIDFILE.started); stop the server and wait until the load's dd is blocked
# on a request the server holds.  Then the kill lands with that request
# in flight, which a fixed sleep could only hope for.
stop_under_load() {
	wait_for 20 test -e "$2.started" ||
		fail "$1 did not complete one pass in 20 s: $(cat /tmp/load.err)"
	[ ! -e "$3" ] || fail "$1 stopped before the server died: $(cat /tmp/load.err)"
	sul_dir=$(conn_dir dying)
	kill -STOP "$RAMFLASH_PID"
	wait_for 10 someone_waits "$sul_dir" ||
		fail "$1: no request waiting with the server stopped"
	wait_for 10 blocked_in_kernel "$2" ||
		fail "$1: its dd is not blocked in the kernel with the server stopped (state $(task_state "$2"))"
	echo "ok: $1 is blocked on a request (state $(task_state "$2"), $sul_dir/waiting = $(cat "$sul_dir/waiting"))"
}

step "kill -9 while dd reads /dev/mtdN"
# --no-passthrough: the reads must be requests the death fails; passthrough
# reads under a dying server are muse-peer passthrough's death case.
# shellcheck disable=SC2086 # geometry is a word list
start_ramflash dying $geometry --no-passthrough
flash_erase -q "$MTD" 0 0
(
	while :; do
		dd if="$MTD" of=/dev/null bs=4096 2>/tmp/load.err &
		echo $! >/tmp/reader.pid
		wait $! || break
		: >/tmp/reader.pid.started
	done
	echo finished >/tmp/reader.done
) &
reader=$!
stop_under_load "the reader" /tmp/reader.pid /tmp/reader.done
t0=$(uptime_s)
kill_server
wait_for 10 test -e /tmp/reader.done || fail "the reader still runs 10 s after the server died"
wait "$reader"
echo "ok: the reader got an error within $(($(uptime_s) - t0)) s"
wait_for 10 mtd_gone "$MTD" || fail "$MTD still registered with no user"
echo "ok: $MTD is gone"

step "kill -9 while UBI is attached and UBIFS writes"
# The writer's programs must be requests for the death to find them in
# flight: with kernel program the module would store them itself.
# shellcheck disable=SC2086
start_ramflash dying $geometry --no-kernel-program
ubifs_up "$MTD" v /mnt/v
(
	i=0
	# Four files of 128 KiB rewritten in turn: never short of space.
	while :; do
		dd if=/dev/urandom of=/mnt/v/f$((i % 4)) bs=65536 count=2 conv=fsync 2>/tmp/load.err &
		echo $! >/tmp/writer.pid
		wait $! || break
		: >/tmp/writer.pid.started
		i=$((i + 1))
	done
	echo finished >/tmp/writer.done
) &
writer=$!
stop_under_load "the UBIFS writer" /tmp/writer.pid /tmp/writer.done
kill_server
wait_for 15 test -e /tmp/writer.done || fail "the UBIFS writer still runs 15 s after the server died"
wait "$writer"
echo "ok: the UBIFS writer got an error"
! mtd_gone "$MTD" ||
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
expect_eq "no MTD left" "" "$(mtd_list)"

run_peer replies io timeout
rmmod muse || fail "rmmod muse at the end"
