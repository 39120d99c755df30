#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compile and link the complete C programs of the documentation.

A fenced block whose info string is "c program" (Markdown renders it as C)
is a whole program: it is written out, compiled with the headers as a
user includes them (<muse/muse.h>, -I INCLUDE_DIR), -Wall -Werror, and
linked against the built library.  Fragments ("c" alone) are not.

Usage: doc-examples.py CC INCLUDE_DIR LIB_DIR DOC... [-- EXTRA_CFLAGS...]
Fails naming DOC:LINE of each block that does not build, and when a DOC
has no such block (so that renaming the marker cannot pass silently).
"""
import os
import subprocess
import sys
import tempfile


def programs(path):
    """Yield (first line number, text) of each "c program" block."""
    block, start = None, 0
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            fence = line.strip()
            if block is None:
                if fence == '```c program':
                    block, start = [], n + 1
            elif fence == '```':
                yield start, ''.join(block)
                block = None
            else:
                block.append(line)
    if block is not None:
        raise SystemExit(f'{path}:{start}: "c program" block never closed')


def main():
    args = sys.argv[1:]
    extra = []
    if '--' in args:
        extra = args[args.index('--') + 1:]
        args = args[:args.index('--')]
    cc, include, libdir, docs = args[0], args[1], args[2], args[3:]
    failed = 0
    built = 0
    with tempfile.TemporaryDirectory() as tmp:
        for doc in docs:
            found = 0
            for line, text in programs(doc):
                found += 1
                src = os.path.join(tmp, f'example-{built}.c')
                with open(src, 'w', encoding='utf-8') as f:
                    f.write(text)
                cmd = [cc, '-std=gnu11', '-Wall', '-Werror'] + extra + [
                    '-I', include, src, '-o', src[:-2],
                    '-L', libdir, '-lmuse', '-lpthread']
                res = subprocess.run(cmd, capture_output=True, text=True)
                if res.returncode:
                    failed += 1
                    print(f'{doc}:{line}: the program does not build:')
                    print(res.stdout + res.stderr)
                built += 1
            if not found:
                failed += 1
                print(f'{doc}: no "c program" block')
    if failed:
        sys.exit(1)
    print(f'{built} documented programs build')


if __name__ == '__main__':
    main()
