#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The ramflash-trace command on a trace of a known workload.

check-trace.py TEST-RAMFLASH-TRACE RAMFLASH-TRACE: the test program writes
a traced workload (--write TRACE IMAGE); then print gives a line per
record, --json a JSON object per line numbered from 1 with the header
first, summary the kinds and the write amplification, validate passes,
replay rebuilds the run's image byte for byte and a torn replay a
different one; a corrupt or truncated trace fails validate with the
record's offset (exit 1), bad usage exits 2.
"""
import json
import os
import subprocess
import sys
import tempfile


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

        for args in ((), ('frobnicate', trace), ('print', '--upto', '3',
                                                 trace),
                     ('replay', trace), ('replay', '--power-cut', '--image',
                                         torn, trace),
                     ('summary', '--user-bytes', 'x', trace)):
            run(tool, *args, status=2)
    print('ok')


if __name__ == '__main__':
    main()
