#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the seed corpus of fuzz-handle-buf: a few canned requests of every
opcode, in the target's input format (flags byte, then u16-length records).
Regenerate with: tests/fuzz/gen-corpus.py tests/fuzz/corpus"""
import os
import struct
import sys

INIT, ERASE, READ, WRITE, MARKBAD, ISBAD, SYNC, REGISTERED = range(8192, 8200)
EXT_REGISTERED = 32
SPLIT_PAGES, NO_EXTENSIONS = 1, 2
PAGE, BLOCK = 512, 4096


def req(opcode, unique, body=b""):
    """fuse_in_header + body."""
    return struct.pack("<IIQQIIIHH", 40 + len(body), opcode, unique, 1,
                       0, 0, 0, 0, 0) + body


def init_v2():
    return req(INIT, 1, struct.pack("<II", 7, 31))


def init_ext(flags=7, max_io=65536):
    return req(INIT, 1, struct.pack("<IIII8x", 7, 38, flags, max_io))


def io(opcode, unique, addr, length, flags=0, ooboffs=0, ooblen=0,
       ext=True, payload=b""):
    body = struct.pack("<QQII", addr, length, flags, 0)
    if ext:
        body += struct.pack("<II", ooboffs, ooblen)
    return req(opcode, unique, body + payload)


def registered(unique, error, index, parts=(), claimed=None):
    """MUSE_REGISTERED: (index, offset, size, name) per partition."""
    body = struct.pack("<iIiI", error, 3, index,
                       len(parts) if claimed is None else claimed)
    for p_index, offset, size, name in parts:
        body += struct.pack("<iIQQ64s", p_index, 0, offset, size, name)
    return req(REGISTERED, unique, body)


def inputs():
    data = bytes(range(256)) * 2
    yield "init-v2", 0, [init_v2()]
    yield "init-ext", 0, [init_ext()]
    yield "init-bad-major", 0, [req(INIT, 1, struct.pack("<II", 8, 38))]
    yield "erase", 0, [init_ext(), req(ERASE, 2, struct.pack("<QQ", BLOCK, 2 * BLOCK))]
    yield "read-ext-oob", 0, [init_ext(), io(READ, 2, 2 * PAGE, 2 * PAGE, 4, 2, 20)]
    yield "read-auto-oob-only", 0, [init_ext(), io(READ, 2, 0, 0, 2, 1, 11)]
    yield "read-compat", 0, [init_v2(), io(READ, 2, PAGE, PAGE, ext=False)]
    yield "read-ecc", 0, [init_ext(), io(READ, 2, 4 * PAGE, PAGE),
                          io(READ, 3, 7 * PAGE, PAGE), io(READ, 4, 5 * PAGE, PAGE)]
    yield "write-ext-oob", 0, [init_ext(), io(WRITE, 2, 0, PAGE, 8, 0, 16,
                                              payload=data + bytes(16))]
    yield "write-compat", 0, [init_v2(), io(WRITE, 2, PAGE, PAGE, ext=False,
                                            payload=data)]
    yield "markbad", 0, [init_ext(), req(MARKBAD, 2, struct.pack("<Q", BLOCK))]
    yield "isbad", 0, [init_ext(), req(ISBAD, 2, struct.pack("<Q", 2 * BLOCK)),
                       req(ISBAD, 3, struct.pack("<Q", BLOCK))]
    yield "sync", 0, [init_ext(), req(SYNC, 2)]
    yield "registered", 0, [init_ext(7 | EXT_REGISTERED),
                            registered(2, 0, -1, [(1, 0, BLOCK, b"boot loader"),
                                                  (2, BLOCK, 3 * BLOCK, b"ubi")])]
    yield "registered-failed", 0, [init_ext(7 | EXT_REGISTERED),
                                   registered(2, -22, -1),
                                   registered(3, 0, 0, [(1, 0, BLOCK, b"x")], 2)]
    yield "split-pages", SPLIT_PAGES, [
        init_ext(), io(READ, 2, 256, 3 * PAGE, 0, 5, 30),
        io(WRITE, 3, 0, 2 * PAGE, 0, 0, 0, payload=data * 2)]
    yield "no-extensions", NO_EXTENSIONS, [init_ext(), io(READ, 2, 0, PAGE, ext=False)]
    yield "malformed", 0, [init_ext(), b"\x01\x02", req(1, 2), req(READ, 0),
                           req(READ, 3, bytes(8)),
                           io(READ, 4, 0, PAGE, 6),
                           io(WRITE, 5, 0, PAGE, payload=data[:100])]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "corpus"
    os.makedirs(out, exist_ok=True)
    for name, flags, reqs in inputs():
        blob = bytes([flags]) + b"".join(struct.pack("<H", len(r)) + r
                                         for r in reqs)
        with open(os.path.join(out, name), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
