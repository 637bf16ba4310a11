#!/usr/bin/env python3
"""Writes t4-codec/tests/data/corpus.manifest: the expected bitmap of every coded image in
../shared/corpus, as decoded by an independent reference (the PBM/PNG image shipped with the
file, else libtiff's own tools: tiffcp for TIFF files, fax2tiff for raw G4 streams).

Each line: PATH SPEC PAGE COLUMNSxROWS FNV1A64 SOURCE
  SPEC  tiff            a TIFF file (every page, every strip)
        raw:K[:eol][:rows=N]  a headerless stream, PDF K, EOLs present, height N if known
Bitmaps are hashed in PBM layout: 1 = black, rows packed MSB first, zero padding bits.
Needs libtiff-tools (tiffcp, fax2tiff). Run from the repository root:
    python3 scripts/corpus-manifest.py ../shared/corpus > t4-codec/tests/data/corpus.manifest
"""
import os, re, struct, subprocess, sys, tempfile, zlib

def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

def clear_padding(data, w, h):
    rb = (w + 7) // 8
    tail = w % 8
    out = bytearray(data[: rb * h])
    if tail:
        mask = (0xFF << (8 - tail)) & 0xFF
        for r in range(h):
            out[r * rb + rb - 1] &= mask
    return bytes(out)

def read_pbm(path):
    d = open(path, 'rb').read()
    pages = []
    i = 0
    while i < len(d):
        assert d[i:i+2] == b'P4', path
        i += 2
        nums = []
        while len(nums) < 2:
            while d[i:i+1].isspace(): i += 1
            if d[i:i+1] == b'#':
                while d[i:i+1] != b'\n': i += 1
                continue
            j = i
            while d[j:j+1].isdigit(): j += 1
            nums.append(int(d[i:j])); i = j
        i += 1
        w, h = nums
        n = (w + 7) // 8 * h
        pages.append((w, h, clear_padding(d[i:i+n], w, h)))
        i += n
        while i < len(d) and d[i:i+1].isspace(): i += 1
    return pages

def read_png_1bit(path):
    d = open(path, 'rb').read()
    assert d[:8] == b'\x89PNG\r\n\x1a\n'
    i = 8; idat = b''
    while i < len(d):
        n, t = struct.unpack('>I4s', d[i:i+8]); body = d[i+8:i+8+n]; i += 12 + n
        if t == b'IHDR':
            w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            assert depth == 1 and ctype == 0 and interlace == 0, path
        elif t == b'IDAT':
            idat += body
    raw = zlib.decompress(idat)
    rb = (w + 7) // 8
    out = bytearray()
    prev = bytearray(rb)
    for r in range(h):
        f = raw[r * (rb + 1)]; line = bytearray(raw[r * (rb + 1) + 1:(r + 1) * (rb + 1)])
        for x in range(rb):
            a = line[x - 1] if x >= 1 else 0; b = prev[x]; c = prev[x - 1] if x >= 1 else 0
            if f == 1: line[x] = (line[x] + a) & 0xFF
            elif f == 2: line[x] = (line[x] + b) & 0xFF
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 0xFF
        prev = line
        out += bytes(~v & 0xFF for v in line)  # gray 0 = black -> 1 = black
    return [(w, h, clear_padding(out, w, h))]

def parse_uncompressed_tiff(path):
    d = open(path, 'rb').read()
    le = d[:2] == b'II'
    e = '<' if le else '>'
    (off,) = struct.unpack(e + 'I', d[4:8])
    pages = []
    sizes = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}
    while off:
        (n,) = struct.unpack(e + 'H', d[off:off+2])
        tags = {}
        for k in range(n):
            ent = d[off + 2 + 12 * k: off + 14 + 12 * k]
            tag, typ, cnt = struct.unpack(e + 'HHI', ent[:8])
            size = sizes[typ] * cnt
            data = ent[8:12] if size <= 4 else d[struct.unpack(e + 'I', ent[8:12])[0]:][:size]
            fmt = {3: 'H', 4: 'I'}.get(typ)
            if fmt:
                tags[tag] = list(struct.unpack(e + fmt * cnt, data[: struct.calcsize(fmt) * cnt]))
        (off,) = struct.unpack(e + 'I', d[off + 2 + 12 * n: off + 6 + 12 * n])
        w, h = tags[256][0], tags[257][0]
        assert tags.get(259, [1])[0] == 1, path
        strip = b''.join(d[o:o + c] for o, c in zip(tags[273], tags[279]))
        if tags.get(266, [1])[0] == 2:
            strip = bytes(int('{:08b}'.format(b)[::-1], 2) for b in strip)
        if tags.get(262, [0])[0] == 1:
            strip = bytes(~b & 0xFF for b in strip)
        pages.append((w, h, clear_padding(strip, w, h)))
    return pages

def libtiff_tiff(path):
    with tempfile.TemporaryDirectory() as t:
        out = os.path.join(t, 'none.tif')
        subprocess.run(['tiffcp', '-c', 'none', '-r', '1000000', path, out], check=True, capture_output=True)
        return parse_uncompressed_tiff(out)

def libtiff_raw_g4(path, width):
    """libtiff's decode of a raw G4 stream. fax2tiff does not know the height: it reports the
    EOFB as "Premature EOL at line N" and then emits extra white rows; the image is the N
    rows before that point."""
    with tempfile.TemporaryDirectory() as t:
        g3 = os.path.join(t, 'g3.tif'); none = os.path.join(t, 'none.tif')
        run = subprocess.run(['fax2tiff', '-v', '-4', '-M', '-X', str(width), '-o', g3, path], check=True, capture_output=True, text=True)
        subprocess.run(['tiffcp', '-c', 'none', '-r', '1000000', g3, none], check=True, capture_output=True)
        (w, h, data), = parse_uncompressed_tiff(none)
        m = re.search(r'Premature EOL at line (\d+)', run.stderr)
        if m:
            h = int(m.group(1))
            data = data[: (w + 7) // 8 * h]
        return [(w, h, data)]

def emit(path, spec, pages, source, root):
    for n, (w, h, data) in enumerate(pages, 1):
        print(f'{os.path.relpath(path, root)} {spec} {n} {w}x{h} {fnv1a64(data):016x} {source}')

def agree(a, b, what):
    if [(w, h, fnv1a64(d)) for w, h, d in a] != [(w, h, fnv1a64(d)) for w, h, d in b]:
        print(f'# WARNING: libtiff and the reference image disagree for {what}', file=sys.stderr)
        print(f'# WARNING: libtiff and the reference image disagree for {what}')

def main(root):
    print('# Expected bitmaps of ../shared/corpus; made by scripts/corpus-manifest.py (reviewed).')
    print('# PATH SPEC PAGE COLUMNSxROWS FNV1A64 SOURCE')
    enc = os.path.join(root, 'ccitt-encoded')
    specs = {'g3-1d': 'raw:0:eol', 'g3-1d-fill': 'raw:0:eol', 'g3-2d': 'raw:4:eol',
             'g3-2d-fill': 'raw:4:eol', 'g3-2d-k2': 'raw:2:eol', 'g4': 'raw:-1'}
    for name in sorted(os.listdir(enc)):
        page, kind, _ = name.split('.')
        emit(os.path.join(enc, name), specs[kind], read_pbm(os.path.join(root, 'ccitt', page + '.pbm')), 'ccitt/' + page + '.pbm', root)
    files = os.path.join(root, 'pdf-rs-fax', 'files')
    for n in [4, 6, 33, 44, 65, 71]:
        ref = read_pbm(os.path.join(files, f'{n}.pbm'))
        # The PDF's /Height is the reference's; some streams end (EOFB) a row or two early.
        emit(os.path.join(files, f'{n}.fax'), f'raw:-1:rows={ref[0][1]}', ref, f'pdf-rs-fax/files/{n}.pbm', root)
    errors = os.path.join(root, 'pdf-rs-fax', 'errors')
    for name in sorted(os.listdir(errors)):
        width = int(name.split('-w')[1].split('.')[0])
        path = os.path.join(errors, name)
        lib = libtiff_raw_g4(path, width)
        ident = name.split('_')[0]
        ref_path = os.path.join(files, ident + '.pbm')
        if os.path.exists(ref_path):
            ref = read_pbm(ref_path)
            agree(lib, ref, name)
            emit(path, 'raw:-1', ref, f'pdf-rs-fax/files/{ident}.pbm', root)
        else:
            emit(path, 'raw:-1', lib, 'libtiff fax2tiff', root)
    refs = {
        'pdf-rs-fax/files/fax4.tiff': ('pdf-rs-fax/files/fax4.pbm', read_pbm),
        'pillow/hopper_g4_500.tif': ('pillow/hopper_bw_500.png', read_png_1bit),
        'pillow/g4-fillorder-test.tif': ('pillow/g4-fillorder-test.png', read_png_1bit),
        'libtiff/miniswhite-1c-1b.tiff': ('libtiff/miniswhite-1c-1b.pbm', read_pbm),
        'libtiff/testfax3_bug54_1dnoEOL.tif': ('libtiff/o-testfax3_bug54_1dnoEOL.tiff', parse_uncompressed_tiff),
        'libtiff/testfax3_bug_513.tiff': ('libtiff/o-testfax3_bug_513.tiff', parse_uncompressed_tiff),
        'libtiff/testfax4.tiff': ('libtiff/o-testfax4.tiff', libtiff_tiff),
    }
    tiffs = sorted(refs) + sorted('pillow/' + f for f in os.listdir(os.path.join(root, 'pillow'))
                                  if f.endswith(('.tif', '.tiff')) and 'pillow/' + f not in refs)
    for rel in tiffs:
        path = os.path.join(root, rel)
        try:
            lib = libtiff_tiff(path)
        except subprocess.CalledProcessError:
            # libtiff 4.5 cannot read G3 without EOLs (fixed in 4.7, 2025): reference only.
            print(f'# note: libtiff failed on {rel}; only its reference image is used')
            lib = None
        if rel in refs:
            ref_rel, reader = refs[rel]
            ref = reader(os.path.join(root, ref_rel))
            if lib is not None:
                agree(lib, ref, rel)
            emit(path, 'tiff', ref, ref_rel, root)
        else:
            emit(path, 'tiff', lib, 'libtiff tiffcp', root)

if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else '../shared/corpus')
