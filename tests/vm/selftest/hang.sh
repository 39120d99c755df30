#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Harness self-test, expected to FAIL: the scenario never finishes, so the
# guest-side limit must dump the blocked tasks and report FAIL before the
# host-side timeout.
sleep 100000
