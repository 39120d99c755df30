#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/vm's ready (MUSE_REGISTERED: the register work walking the MTD
# core's partition list under its lock, a failed registration waiting for
# the server's answer before the abort, ramflash's ready lines) under
# KASAN, lockdep and kmemleak: no splat, nothing leaked.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin ramflash
kd_wrap ready
