#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The ramflash-trace command on a trace of a known workload.

check-trace.py TEST-RAMFLASH-TRACE RAMFLASH-TRACE: the test program writes
a traced workload (--write TRACE IMAGE); then print gives a line per
record, --json a JSON object per line numbered from 1 with the header
first, summary the kinds and the write amplification, validate passes,
replay rebuilds the run's image byte for byte and a torn replay a
different one; a corrupt or truncated trace fails validate with the
record's offset (exit 1), bad usage exits 2.  sweep cuts exactly the
programs and erases that reached the flash (all, every Nth, a seeded
sample, between markers, one), each image the torn replay's, reports what
its checker says (exit 3 when one fails), keeps only failing images and
stops a checker that overruns --timeout.  play, which needs an MTD (the vm
scenario trace-play plays onto nandsim), refuses here, before it touches
its target, with exit 2: bad usage, a trace of hashes, a corrupt or too
short trace, a target that is not an MTD.
"""
import json
import os
import subprocess
import sys
import tempfile
import time


def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)


def run(tool, *args, status=0):
    p = subprocess.run([tool, *args], capture_output=True, text=True,
                       check=False)
    if p.returncode != status:
        fail('%s %s: exit %d, expected %d\n%s%s' % (
            os.path.basename(tool), ' '.join(args), p.returncode, status,
            p.stdout, p.stderr))
    return p


def sweep(tool, d, name, *args, status=3):
    """Run a sweep into d/name; its report lines as (K, verdict) pairs."""
    out = os.path.join(d, name)
    p = run(tool, 'sweep', '--dir', out, *args, status=status)
    lines = p.stdout.splitlines()
    if not lines or ' cut points, ' not in lines[-1]:
        fail('sweep %s: no summary line:\n%s' % (name, p.stdout))
    with open(os.path.join(out, 'report.txt')) as f:
        if f.read().splitlines() != lines[:-1]:
            fail('sweep %s: report.txt is not what it printed' % name)
    return out, [(int(l.split()[0]), l.split()[3]) for l in lines[:-1]]


def check_sweep(tool, trace, records, d):
    checker = os.path.join(d, 'check.sh')
    with open(checker, 'w') as f:
        f.write('#!/bin/sh\n[ -s "$1" ] || exit 9\n'
                '[ "$RAMFLASH_TRACE_CUT" = "$2" ] || exit 8\n'
                'echo "cut $2"\n[ $(($2 % 3)) -ne 0 ]\n')
    os.chmod(checker, 0o755)
    cuts = [r['n'] for r in records
            if r['result'] not in (-22, -108) and
            (r['kind'] in ('erase', 'kernel-erase') or
             (r['kind'] == 'write' and r['len'] + r['ooblen']))]

    out, got = sweep(tool, d, 'all', trace, checker)
    if [k for k, _ in got] != cuts:
        fail('sweep: cut points %r, expected %r' % ([k for k, _ in got], cuts))
    for k, verdict in got:
        if verdict != ('fail' if k % 3 == 0 else 'pass'):
            fail('sweep: cut %d is %s' % (k, verdict))
        image = os.path.join(out, 'cut-%d.img' % k)
        if os.path.exists(image) != (k % 3 == 0):
            fail('sweep: the image of cut %d is %s' % (
                k, 'kept' if os.path.exists(image) else 'gone'))
    torn = os.path.join(d, 'sweep-torn.img')
    failing = [k for k, _ in got if k % 3 == 0][0]
    run(tool, 'replay', '--upto', str(failing), '--power-cut', '--image',
        torn, trace)
    with open(torn, 'rb') as a, \
            open(os.path.join(out, 'cut-%d.img' % failing), 'rb') as b:
        if a.read() != b.read():
            fail('sweep: cut %d is not the torn replay' % failing)

    _, got = sweep(tool, d, 'every', '--every', '4', trace, '--', checker)
    if [k for k, _ in got] != cuts[::4]:
        fail('sweep --every 4: %r' % got)
    _, one = sweep(tool, d, 's1', '--sample', '5', '--seed', '9', trace,
                   checker)
    _, two = sweep(tool, d, 's2', '--sample', '5', '--seed', '9', trace,
                   checker)
    if one != two or len(one) != 5 or sorted(one) != one or \
            not set(k for k, _ in one) <= set(cuts):
        fail('sweep --sample 5: %r, then %r' % (one, two))
    _, got = sweep(tool, d, 'only', '--only', str(cuts[1]), trace, checker,
                   status=3 if cuts[1] % 3 == 0 else 0)
    if [k for k, _ in got] != [cuts[1]]:
        fail('sweep --only: %r' % got)
    run(tool, 'sweep', '--dir', os.path.join(d, 'x'), '--only', '4', trace,
        checker, status=1)
    markers = [r['n'] for r in records if r['kind'] == 'marker']
    _, got = sweep(tool, d, 'marked', '--after-marker', 'step 7',
                   '--before-marker', 'step 23', trace, checker)
    if [k for k, _ in got] != [k for k in cuts
                               if markers[0] < k < markers[2]]:
        fail('sweep between markers: %r' % got)
    start = time.monotonic()
    _, got = sweep(tool, d, 'slow', '--only', str(cuts[0]), '--timeout', '1',
                   trace, 'sh', '-c', 'sleep 20')
    if got != [(cuts[0], 'fail')] or time.monotonic() - start > 10:
        fail('sweep --timeout 1: %r' % got)
    _, got = sweep(tool, d, 'none', '--only', str(cuts[0]), trace,
                   os.path.join(d, 'no-such-checker'))
    if got != [(cuts[0], 'fail')]:
        fail('sweep with a checker that cannot run: %r' % got)


def check_play_refusals(writer, tool, trace, d):
    """Each refusal of play: exit 2, its reason, the target untouched."""
    hashed = os.path.join(d, 'hashed.trace')
    run(writer, '--write-hash', hashed, os.path.join(d, 'hashed.img'))
    corrupt = os.path.join(d, 'corrupt.trace')
    with open(trace, 'rb') as f:
        good = f.read()
    with open(corrupt, 'wb') as f:
        f.write(good[:-30])
    target = os.path.join(d, 'target')
    with open(target, 'wb') as f:
        f.write(b'\xa5' * 4096)
    for args, why in (
            ((), 'play needs TRACE and /dev/mtdN'),
            ((trace,), 'play needs TRACE and /dev/mtdN'),
            (('--from', '5', '--upto', '3', trace, target),
             '--from 5 comes after --upto 3'),
            (('--upto', '0', trace, target), 'is not a record number'),
            (('--from', 'x', trace, target), 'is not a record number'),
            (('--json', trace, target), 'not one of this command'),
            (('--upto', '100000', trace, target), 'holds'),
            ((hashed, target), '--trace-data hash'),
            ((corrupt, target), 'truncated'),
            ((target, target), 'is not a ramflash trace'),
            ((trace, target), 'is not a character device'),
            ((trace, '/dev/null'), 'is not an MTD'),
            ((trace, os.path.join(d, 'no-such-mtd')), 'cannot open')):
        p = run(tool, 'play', *args, status=2)
        if why not in p.stderr or p.stdout:
            fail('play %s: %r, expected %r and nothing played' % (
                ' '.join(args), p.stderr, why))
    with open(target, 'rb') as f:
        if f.read() != b'\xa5' * 4096:
            fail('a refused play wrote to its target')


def main():
    writer, tool = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as d:
        trace, image = os.path.join(d, 't.trace'), os.path.join(d, 'run.img')
        run(writer, '--write', trace, image)

        lines = [json.loads(l) for l in
                 run(tool, 'print', '--json', trace).stdout.splitlines()]
        if 'header' not in lines[0] or not lines[0]['header']['full_data']:
            fail('the first JSON line is not the header: %r' % lines[0])
        records = lines[1:]
        if [r['n'] for r in records] != list(range(1, len(records) + 1)):
            fail('records are not numbered 1..N')
        kinds = {r['kind'] for r in records}
        for k in ('read', 'write', 'erase', 'sync', 'kernel-erase',
                  'kernel-erase-pending', 'kernel-reads', 'marker', 'end'):
            if k not in kinds:
                fail('no %s record in the workload\'s trace' % k)
        if records[-1]['kind'] != 'end':
            fail('the last record is not the end')
        text = run(tool, 'print', trace).stdout.splitlines()
        if len(text) != 3 + len(records):
            fail('print: %d lines for %d records' % (len(text), len(records)))

        written = sum(r['len'] + r['ooblen'] for r in records
                      if r['kind'] == 'write' and r['result'] == 0)
        summary = run(tool, 'summary', '--user-bytes', str(written // 2),
                      trace).stdout
        if 'write amplification 2.000' not in summary:
            fail('summary: no write amplification 2.000 for %d bytes:\n%s'
                 % (written, summary))
        if 'write amplification unknown' not in run(tool, 'summary',
                                                     trace).stdout:
            fail('summary without --user-bytes claims an amplification')
        if 'valid' not in run(tool, 'validate', trace).stdout:
            fail('validate does not say valid')

        out = os.path.join(d, 'replay.img')
        run(tool, 'replay', '--image', out, trace)
        with open(image, 'rb') as a, open(out, 'rb') as b:
            if a.read() != b.read():
                fail('the replay differs from the run\'s image')
        torn = os.path.join(d, 'torn.img')
        last_write = max(r['n'] for r in records if r['kind'] == 'write')
        run(tool, 'replay', '--upto', str(last_write), '--power-cut',
            '--image', torn, trace)
        with open(image, 'rb') as a, open(torn, 'rb') as b:
            if a.read() == b.read():
                fail('a torn replay equals the whole run')
        p = run(tool, 'replay', '--image', out, trace, status=1)
        if 'exists' not in p.stderr:
            fail('replay over an image: %s' % p.stderr)

        with open(trace, 'rb') as f:
            good = f.read()
        bad = os.path.join(d, 'bad.trace')
        second = records[1]['offset']
        for data, what in ((good[:second + 30], 'truncated'),
                           (good[:second + 20] + b'\xff' + good[second + 21:],
                            'checksum mismatch')):
            with open(bad, 'wb') as f:
                f.write(data)
            p = run(tool, 'validate', bad, status=1)
            if what not in p.stderr or \
                    'record 2 at offset %d' % second not in p.stderr:
                fail('validate: %r lacks %r at record 2' % (p.stderr, what))
            run(tool, 'print', bad, status=1)

        check_sweep(tool, trace, records, d)
        check_play_refusals(writer, tool, trace, d)

        for args in ((), ('frobnicate', trace), ('print', '--upto', '3',
                                                 trace),
                     ('replay', trace), ('replay', '--power-cut', '--image',
                                         torn, trace),
                     ('summary', '--user-bytes', 'x', trace),
                     ('sweep', trace, 'true'),
                     ('sweep', '--dir', d, '--every', '2', '--sample', '3',
                      trace, 'true')):
            run(tool, *args, status=2)
    print('ok')


if __name__ == '__main__':
    main()
