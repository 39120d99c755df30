#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The --stats-svg picture against the --stats JSON of the same chip.

check-svg.py RAMFLASH-SVG-CHIP: runs the generator (svg-chip.c) into a
temporary directory and checks each picture with an XML parser: it is
well-formed, has one cell per block in block order, each cell marks the
block as the JSON has it (bad and its reason, else the heat level of its
erase count), and the legend names the JSON's min/avg/max.  Then what
svg-chip.c built is checked by number, and the large chip for its layout
and size.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

SVG = '{http://www.w3.org/2000/svg}'
LEVELS = 8
MAX_COLS = 128


def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)


def expect(what, got, want):
    if got != want:
        fail(f'{what}: {got!r}, expected {want!r}')


def level(ec, lo, hi):
    """svg.c's heat level: min 0, max the last, nearest in between."""
    span = hi - lo
    return 0 if span == 0 else ((ec - lo) * (LEVELS - 1) + span // 2) // span


def check(svg_path, json_path):
    """Compare one picture with its JSON; return the parsed picture."""
    with open(json_path) as f:
        stats = json.load(f)
    root = ET.parse(svg_path).getroot()
    expect('root element', root.tag, SVG + 'svg')
    counts = stats['erase_counts']
    blocks = stats['geometry']['blocks']
    lo, hi = stats['erase_count_min'], stats['erase_count_max']
    reasons = {b['block']: b['reason'] for b in stats['bad_blocks']}

    cells = [e for e in root.iter()
             if 'block' in e.get('class', '').split()]
    expect('cells', len(cells), blocks)
    expect('erase counts in the JSON', len(counts), blocks)
    for e in cells:
        expect('cell element', e.tag, SVG + 'rect')
    xs = sorted({int(e.get('x')) for e in cells})
    cols = len(xs)
    if cols > MAX_COLS:
        fail(f'{cols} columns, at most {MAX_COLS}')
    for b, e in enumerate(cells):
        expect(f'block {b} column', int(e.get('x')), xs[b % cols])
        classes = e.get('class').split()
        if b in reasons:
            expect(f'block {b} classes', classes,
                   ['block', 'bad', reasons[b]])
        else:
            expect(f'block {b} classes', classes,
                   ['block', f'h{level(counts[b], lo, hi)}'])
    rows = sorted({int(e.get('y')) for e in cells})
    expect('rows', len(rows), (blocks + cols - 1) // cols)
    bad = sum('bad' in e.get('class').split() for e in cells)
    expect('cells marked bad', bad, len(stats['bad_blocks']))

    legend = root.find(f".//{SVG}text[@id='legend-wear']")
    if legend is None:
        fail('no legend-wear text')
    m = re.search(r'min (\d+), avg ([0-9.]+), max (\d+)', legend.text)
    if not m:
        fail(f'legend-wear says {legend.text!r}')
    expect('legend min', int(m.group(1)), lo)
    expect('legend avg', m.group(2), f'{stats["erase_count_total"] / blocks:.2f}')
    expect('legend max', int(m.group(3)), hi)
    return root, cells, cols


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.argv[1], tmp], check=True)
        small = [os.path.join(tmp, 'small.' + x) for x in ('svg', 'json')]
        big = [os.path.join(tmp, 'big.' + x) for x in ('svg', 'json')]

        root, cells, cols = check(*small)
        expect('small: blocks', len(cells), 40)
        expect('small: columns', cols, 8)
        marks = [e.get('class').split()[2] for e in cells
                 if 'bad' in e.get('class').split()]
        expect('small: bad reasons', sorted(marks),
               ['factory', 'factory', 'marked', 'worn-out'])
        expect('small: worn-out block', cells[20].get('class'),
               'block bad worn-out')
        expect('small: block at the limit, hottest',
               cells[21].get('class'), 'block h7')
        legend = root.find(f".//{SVG}text[@id='legend-wear']").text
        expect('small: legend', legend.split(' (')[0],
               'erase count: min 0, avg 1.57, max 4')
        # The name's markup survives as text; what is not XML becomes '?'.
        expect('small: title', root.find(SVG + 'title').text,
               'chip <&>"\' ? \u00e9 ?????? end: erase count per eraseblock')

        root, cells, cols = check(*big)
        expect('big: columns', cols, MAX_COLS)
        texts = len(root.findall(f'.//{SVG}text'))
        if texts > 100:
            fail(f'big: {texts} text elements; no text per block')
        size = os.path.getsize(big[0])
        if size > 3 * 1024 * 1024:
            fail(f'big: {size} bytes')
        print(f'ok: small and big ({len(cells)} blocks, {size} bytes) '
              'match their JSON')


main()
