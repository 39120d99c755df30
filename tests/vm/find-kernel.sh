#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Print "BZIMAGE MODULES_DIR" of the newest installed Debian
# linux-image-*-amd64 kernel that has both its image in /boot and its
# modules in /lib/modules, or exit 1 with the reason on stderr.
#   find-kernel.sh [BOOT_DIR [MODULES_ROOT]]
boot=${1:-/boot}
modroot=${2:-/lib/modules}
for image in $(ls "$boot"/vmlinuz-*-amd64 2>/dev/null | sort -rV); do
	ver=${image#"$boot"/vmlinuz-}
	if [ -r "$image" ] && [ -f "$modroot/$ver/modules.dep" ]; then
		echo "$image $modroot/$ver"
		exit 0
	fi
done
echo "no readable $boot/vmlinuz-*-amd64 with $modroot/<ver>/modules.dep" \
	"(apt-get install linux-image-amd64)" >&2
exit 1
