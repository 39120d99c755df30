#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# /init of the test initramfs: set up a minimal system, run the scenario
# named by musetest.scenario= on the kernel command line, print exactly one
# result line and power off.  run-scenario.sh on the host reads that line.
#
# Command line keys (not "muse.": the kernel would hand those to muse.ko
# as module parameters):
#   musetest.scenario=NAME   run /scenarios/NAME.sh (required)
#   musetest.args=A,B,...    handed to the scenario as "$@" (commas become
#                            spaces)
#   musetest.timeout=SECS    guest-side limit; on expiry the blocked tasks
#                            are dumped to the console (sysrq w) and the
#                            result is FAIL

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LD_LIBRARY_PATH=/usr/local/lib
export HOME=/root TMPDIR=/tmp

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
mount -t tmpfs -o size=75% tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || true

# Report a task stuck in the kernel well before the host timeout; the
# kernel's "blocked for more than" message fails the run on the host.
if [ -w /proc/sys/kernel/hung_task_timeout_secs ]; then
	echo 30 >/proc/sys/kernel/hung_task_timeout_secs
fi
echo 1 >/proc/sys/kernel/sysrq 2>/dev/null || true

cmdline_value() {
	tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1
}

name=$(cmdline_value musetest.scenario)
args=$(cmdline_value musetest.args | tr ',' ' ')
limit=$(cmdline_value musetest.timeout)

result=FAIL
script=/scenarios/$name.sh
if [ -z "$name" ]; then
	echo "guest-init: no musetest.scenario= on the kernel command line"
elif [ ! -f "$script" ]; then
	echo "guest-init: no scenario $script in the initramfs"
else
	echo "guest-init: running scenario $name $args"
	cd /tmp || exit 1
	# shellcheck disable=SC2086 # args is a word list on purpose
	sh "$script" $args &
	pid=$!
	if [ -n "$limit" ]; then
		(
			sleep "$limit"
			echo "guest-init: scenario $name still running after ${limit}s"
			ps
			echo w >/proc/sysrq-trigger
			kill -9 "$pid"
		) &
		watchdog=$!
	fi
	rc=0
	wait "$pid" || rc=$?
	[ -n "$limit" ] && kill "$watchdog" 2>/dev/null
	case "$rc" in
	0) result=PASS ;;
	77) result=SKIP ;;
	*) echo "guest-init: scenario $name exited with status $rc" ;;
	esac
fi

echo "MUSE-SCENARIO-RESULT: $result $name"
sync
poweroff -f
