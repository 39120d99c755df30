#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The administrator's view of connections: /sys/fs/muse/connections/<id>/
# with name, pid, waiting, abort and request_timeout.  A busy connection
# (server stopped with SIGSTOP, a reader waiting) is aborted from sysfs:
# the reader gets EIO at once, the MTD goes once its users let go, and a
# new server registers.  request_timeout set (per connection, or through
# the module parameter for all) after a request was queued still covers
# it; the default stays 0, since a server stopped in a debugger is a use
# case.  Then the requests caught while copied to the server
# (muse-peer lifetime copy-kill, copy-timeout), and the module unloads.
. /scenarios/lib.sh

require_bin ramflash
load_muse
RF="--type nand --size 4MiB --page-size 2048 --erase-size 128KiB --oob-size 64"
PARAM=/sys/module/muse/parameters/request_timeout

# someone_waits DIR: the connection has a request not answered yet.
someone_waits() {
	[ "$(cat "$1/waiting")" -ge 1 ]
}

# stopped_reader NAME: start ramflash serving NAME, stop it, queue a
# one-page read; sets DIR (its connection) and READER (the dd's pid).
stopped_reader() {
	# The read must be a request the stopped server holds, not one the
	# kernel serves from ramflash's store itself (read passthrough).
	# shellcheck disable=SC2086 # a word list
	start_ramflash "$1" $RF --threads 1 --no-passthrough
	DIR=$(conn_dir "$1")
	kill -STOP "$RAMFLASH_PID"
	dd if="$MTD" of=/dev/null bs=2048 count=1 2>/tmp/reader.err &
	READER=$!
	wait_for 10 someone_waits "$DIR" ||
		fail "$DIR/waiting stays $(cat "$DIR/waiting") with a reader queued"
	echo "ok: $DIR/waiting = $(cat "$DIR/waiting") with the server stopped"
}

# reader_failed WHAT SECONDS: the reader ends within SECONDS with EIO.
reader_failed() {
	ends_within "$2" "$READER"
	[ "$LOAD_STATUS" -ne 0 ] || fail "$1: the reader succeeded"
	grep -q "Input/output error" /tmp/reader.err ||
		fail "$1: the reader failed with $(cat /tmp/reader.err)"
	echo "ok: $1: the reader got EIO"
}

# kill_stopped: SIGKILL the stopped server; its MTD goes.
kill_stopped() {
	kill -KILL "$RAMFLASH_PID"
	wait "$RAMFLASH_PID" || true
	wait_for 10 mtd_gone "$MTD" || fail "$MTD still registered after its server died"
}

step "the connection directory"
expect_eq "module request_timeout default" 0 "$(cat $PARAM)"
# shellcheck disable=SC2086
start_ramflash admin-a $RF
[ -d /sys/fs/muse/connections ] || fail "no /sys/fs/muse/connections"
dir=$(conn_dir admin-a)
case "${dir##*/}" in
*[!0-9]* | "") fail "connection id ${dir##*/} is not a number" ;;
esac
expect_eq "name" admin-a "$(cat "$dir/name")"
expect_eq "pid" "$RAMFLASH_PID" "$(cat "$dir/pid")"
expect_eq "waiting when idle" 0 "$(cat "$dir/waiting")"
expect_eq "request_timeout" 0 "$(cat "$dir/request_timeout")"
mode=$(stat -c %a "$dir/abort")
case "$mode" in
*00) echo "ok: abort is root's alone (mode $mode)" ;;
*) fail "abort has mode $mode: others may write it" ;;
esac
stop_ramflash
wait_for 10 test ! -e "$dir" || fail "$dir outlived its connection"

step "abort a busy connection"
stopped_reader admin-b
echo 1 >"$DIR/abort"
reader_failed "abort" 5
kill_stopped
wait_for 10 test ! -e "$DIR" || fail "$DIR outlived its connection"
# shellcheck disable=SC2086
start_ramflash admin-b2 $RF
dd if="$MTD" of=/dev/null bs=128k 2>/dev/null || fail "read from a new server after the abort"
stop_ramflash

step "request_timeout of the connection set after the request was queued"
stopped_reader admin-c
echo 1 >"$DIR/request_timeout"
expect_eq "request_timeout written" 1 "$(cat "$DIR/request_timeout")"
reader_failed "the connection's timeout" 10
kill_stopped

step "the module parameter sets every connection's, queued requests too"
stopped_reader admin-d
echo 1 >$PARAM
expect_eq "the connection's request_timeout after the module's" 1 \
	"$(cat "$DIR/request_timeout")"
reader_failed "the module's timeout" 10
echo 0 >$PARAM
kill_stopped

run_peer lifetime copy-kill copy-timeout

step "the module unloads"
rmmod muse || fail "rmmod muse"
echo "ok: rmmod muse"
