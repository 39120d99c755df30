#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/vm's reply-sweep (every class of reply value against READ, WRITE,
# ERASE and ISBAD, through JFFS2 and mtdchar, and muse-peer's replies
# target) under KASAN, UBSAN, lockdep and kmemleak: no BUG, no WARNING,
# only EIO for what the module refuses, nothing leaked.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin muse-peer
kd_wrap reply-sweep
