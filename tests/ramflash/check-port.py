#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""doc/ramflash.md, "Porting a nandsim modprobe line": every ramflash
command of its code blocks runs (with --print-mtd, no kernel needed) and
prints the line of the comment under it, so the ported line in the
documentation cannot drift from what ramflash does.

Usage: check-port.py RAMFLASH DOC
"""
import shlex
import subprocess
import sys

SECTION = '### Porting a nandsim modprobe line'


def commands(doc):
    """(command, expected line) of each ramflash command in the section."""
    text = doc.split(SECTION, 1)[1].split('\n## ', 1)[0]
    found = []
    for block in text.split('```sh\n')[1:]:
        lines = block.split('```', 1)[0].replace('\\\n', ' ').splitlines()
        for i, line in enumerate(lines):
            if not line.startswith('ramflash '):
                continue
            if i + 1 >= len(lines) or not lines[i + 1].startswith('# '):
                sys.exit(f'no "# output" line under: {line}')
            found.append((line, lines[i + 1][2:]))
    return found


def main():
    ramflash, doc = sys.argv[1], sys.argv[2]
    with open(doc, encoding='utf-8') as f:
        found = commands(f.read())
    if not found:
        sys.exit(f'{doc}: no ramflash command under "{SECTION}"')
    for line, expected in found:
        argv = shlex.split(line)
        argv[0] = ramflash
        run = subprocess.run(argv, capture_output=True, text=True,
                             check=False)
        if run.returncode or run.stdout.strip() != expected:
            sys.exit(f'{line}\n  exit {run.returncode}, stdout '
                     f'{run.stdout.strip()!r}, stderr {run.stderr.strip()!r}'
                     f'\n  documented: {expected!r}')
        print(f'ok: {line}')


main()
