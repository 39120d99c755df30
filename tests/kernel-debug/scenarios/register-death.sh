#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/vm's register-death (the server of the largest partitioned NAND
# dies while it registers) under KASAN, lockdep and kmemleak: no soft
# lockup, no splat, every partition gone, nothing leaked.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin muse-rawpeer
kmemleak_begin
sh /scenarios/register-death.sh || exit $?
kmemleak_check
