#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Harness self-test, expected to FAIL: the scenario itself passes, but the
# kernel log gets a "WARNING:" line and an "Oops" through /dev/kmsg (the
# same text a real splat prints), which run-scenario.sh must catch.
echo "<4>WARNING: CPU: 0 PID: 1 at selftest (injected by tests/vm)" >/dev/kmsg
echo "<1>Oops: 0000 [#1] (injected by tests/vm)" >/dev/kmsg
exit 0
