#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write libmuse's section 3 manual pages from muse.h's doc comments.

One page per exported symbol of the version script: a kernel-doc comment
("/**", then "name() - summary", "@param: ...", text, "Return: ...")
followed by the declarations it documents.  A comment naming several
functions ("a(), b() - summary") makes one page for the first and, for
the others, pages that include it (".so").  The VERSIONS section comes from
the symbol's version node in the map.  libmuse.3 is the template's text
with @VERSION@ and @FUNCTIONS@ (one line per page) filled in.

Usage: gen-man3.py VERSION HEADER MAP TEMPLATE OUTDIR [KIT_HEADER]
A symbol of MAP without a doc comment in HEADER is an error naming it.
KIT_HEADER (muse/testing.h) adds a page per function it documents: the
test kit, a static library, has no version script.
"""
import os
import re
import sys


def roff(text):
    """Escape plain text for roff and mark up names and parameters."""
    text = text.replace('\\', '\\e').replace('-', '\\-')
    text = re.sub(r'\b(muse_[a-z0-9_]+)\(\)', r'\\fB\1\\fP()', text)
    text = re.sub(r'@([a-z_]+)', r'\\fI\1\\fP', text)
    return text


def lines_out(text):
    """Paragraph text as roff lines; no line may start with a dot."""
    out = []
    for line in text.splitlines():
        if line[:1] in ('.', "'"):
            line = '\\&' + line
        out.append(line)
    return out


def section_intros(src):
    """[(end, paragraphs)] of the comments that introduce a group of
    functions: a plain comment of several lines standing alone (a blank
    line after it), not the file's own at its top."""
    intros = []
    for m in re.finditer(r'/\*\n((?:(?!\*/).)*?)\*/\n\n', src, re.S):
        lines = [re.sub(r'^ \* ?', '', l) for l in m.group(1).splitlines()]
        if len(lines) >= 3:
            intros.append((m.end(), paragraphs(lines)))
    return intros


def parse_header(path):
    """Return {name: entry} for every kernel-doc comment of the header."""
    src = open(path, encoding='utf-8').read()
    # The file's own comment (SPDX line, then what the header is) is not
    # a group's introduction.
    first = src.find('*/')
    intros = [i for i in section_intros(src) if i[0] > first + 2]
    entries = {}
    for m in re.finditer(r'/\*\*\n(.*?)\*/\n(.*?;)\n(?=\n|/|#)', src,
                         re.S):
        intro = [paras for end, paras in intros if end <= m.start()]
        body = [re.sub(r'^ \* ?', '', l) for l in m.group(1).splitlines()]
        # What a compiler needs but a reader does not.
        decls = re.sub(r'^#.*$', '', m.group(2), flags=re.M)
        decls = re.sub(r'\s*__attribute__\(\(.*\)\)\s*', '', decls)
        # The title runs until the first parameter or blank line.
        title = []
        while body and body[0].strip() and not body[0].startswith('@'):
            title.append(body.pop(0).strip())
        head, _, summary = ' '.join(title).partition(' - ')
        names = re.findall(r'(muse_[a-z0-9_]+)\(\)', head)
        if not names or not summary:
            raise SystemExit(f'{path}: cannot parse doc comment: {title}')
        params, text, ret = [], [], []
        cur = None
        for line in body:
            pm = re.match(r'@([a-z_]+):\s*(.*)', line)
            if pm and cur is not ret:
                params.append([pm.group(1), pm.group(2).strip()])
                cur = params
            elif line.startswith('Return:'):
                cur = ret
                ret.append(line[len('Return:'):].strip())
            elif not line.strip():
                if cur is params:
                    cur = text
                if cur is not None and cur is not params:
                    cur.append('')
            elif cur is params:
                params[-1][1] += ' ' + line.strip()
            else:
                if cur is None:
                    cur = text
                cur.append(line.strip())
        entry = {
            'names': names, 'summary': summary.strip().rstrip('.'),
            'params': params,
            # The group's introduction says what the function is part of.
            'text': paragraphs(text) + (intro[-1] if intro else []),
            'return': paragraphs(ret),
            'decls': [' '.join(d.split()) + ';'
                      for d in re.split(r';\s*', decls) if d.strip()],
        }
        for name in names:
            entries[name] = entry
    return entries


def paragraphs(lines):
    paras, cur = [], []
    for line in lines + ['']:
        if line:
            cur.append(line)
        elif cur:
            paras.append(' '.join(cur))
            cur = []
    return paras


def parse_map(path):
    """Return [(symbol, node)] in the map's order."""
    syms, node = [], None
    for line in open(path, encoding='utf-8'):
        m = re.match(r'^(LIBMUSE_[0-9.]+) \{', line)
        if m:
            node = m.group(1)
        m = re.match(r'^\s+(muse_[a-z0-9_]+);', line)
        if m:
            syms.append((m.group(1), node))
    return syms


def section(title, paras):
    """A section of paragraphs, or nothing without any."""
    out = [f'.SH {title}'] if paras else []
    for i, para in enumerate(paras):
        if i:
            out.append('.PP')
        out += lines_out(roff(para))
    return out


def th(name, version):
    return f'.TH {name.upper()} 3 "" "libmuse {version}" "libmuse Manual"'


# The test kit's first release; its functions have no symbol version, so
# those added later are named here with the release that added them.
KIT_SINCE = '1.2'
KIT_ADDED = {
    '1.3': {'muse_test_send_read', 'muse_test_send_write',
            'muse_test_send_erase', 'muse_test_send_isbad',
            'muse_test_send_markbad', 'muse_test_send_sync',
            'muse_test_wait_reply', 'muse_test_poll_reply',
            'muse_test_server_fd'},
}
KIT = 'KIT'


def kit_since(name):
    """The libmuse release whose test kit first had @name."""
    for version, names in KIT_ADDED.items():
        if name in names:
            return version
    return KIT_SINCE


def page(entry, nodes, version, header):
    """The page of @entry, documented in include/@header."""
    first = entry['names'][0]
    kit = nodes[first] == KIT
    out = ['.\\" SPDX-License-Identifier: LGPL-2.1-or-later',
           f'.\\" Generated by doc/man3/gen-man3.py from include/{header}.',
           th(first, version), '.SH NAME',
           ', '.join(entry['names']) +
           ' \\- ' + roff(entry['summary']).replace('\\fB', '').replace(
               '\\fP', ''),
           '.SH SYNOPSIS', '.nf', f'.B #include <{header}>', '.PP']
    for decl in entry['decls']:
        out.append('.BI "' + decl.replace('\\', '\\e').replace('"', '\\(dq')
                   + '"')
    out += ['.fi', '.PP',
            'Compile and link with \\fIpkg\\-config \\-\\-cflags \\-\\-libs'
            f' libmuse{"-testing" if kit else ""}\\fP.']
    if entry['params']:
        out.append('.SH ARGUMENTS')
        for pname, desc in entry['params']:
            out += ['.TP', f'.I {pname}'] + lines_out(roff(desc))
    out += section('DESCRIPTION', entry['text'])
    out += section('RETURN VALUE', entry['return'])
    out.append('.SH VERSIONS')
    for n in entry['names']:
        node = nodes[n]
        if node == KIT:
            out += [f'.BR {n} ()', f'is in the test kit of libmuse {kit_since(n)}'
                    ' and later (libmuse\\-testing, a static library).', '.br']
            continue
        since = node.split('_', 1)[1]
        out += [f'.BR {n} ()', f'is in libmuse {since} and later'
                f' (symbol version {node}).', '.br']
    out.pop()
    refs = sorted({r for para in entry['text'] + entry['return'] +
                   [d for _, d in entry['params']]
                   for r in re.findall(r'\b(muse_[a-z0-9_]+)\(\)', para)
                   if r in nodes and r not in entry['names']})
    out += ['.SH SEE ALSO', ',\n'.join(['.BR libmuse (3)'] +
                                       [f'.BR {r} (3)' for r in refs])]
    return '\n'.join(out) + '\n'


def main():
    version, header, mapfile, template, outdir = sys.argv[1:6]
    entries = parse_header(header)
    syms = parse_map(mapfile)
    missing = [s for s, _ in syms if s not in entries]
    if missing:
        raise SystemExit(f'{header}: no doc comment for '
                         f'{", ".join(missing)} (exported by {mapfile})')
    headers = {s: 'muse/muse.h' for s, _ in syms}
    if len(sys.argv) > 6:
        kit = parse_header(sys.argv[6])
        syms += [(name, KIT) for name in kit]
        headers.update({name: 'muse/testing.h' for name in kit})
        entries.update(kit)
    nodes = dict(syms)
    functions = []
    for sym, _ in syms:
        entry = entries[sym]
        first = entry['names'][0]
        with open(os.path.join(outdir, sym + '.3'), 'w',
                  encoding='utf-8') as f:
            if sym == first:
                f.write(page(entry, nodes, version, headers[sym]))
            else:
                f.write(f'.so man3/{first}.3\n')
        functions.append((sym, roff(entry['summary']).replace(
            '\\fB', '').replace('\\fP', '')))
    listing = []
    for sym, summary in sorted(functions):
        listing += ['.TP', f'.BR {sym} (3)', summary]
    text = open(template, encoding='utf-8').read()
    text = text.replace('@VERSION@', version)
    text = text.replace('@FUNCTIONS@\n', '\n'.join(listing) + '\n')
    with open(os.path.join(outdir, 'libmuse.3'), 'w', encoding='utf-8') as f:
        f.write(text)


if __name__ == '__main__':
    main()
