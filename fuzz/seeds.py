#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/). Run from anywhere;
the output is committed, so rerun only when the input encodings change."""
import os
import struct
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'corpus')


def enc_int(v):
    # fuzz_input.h: a tag byte < 0xe0 is the value (tag % 32) - 2; >= 0xf0 four raw bytes
    if -2 <= v <= 29:
        return bytes([v + 2])
    return bytes([0xf0]) + struct.pack('>i', v)


def enc_desc(kind, cin, cout, groups, kh, kw, sh, sw, pads, dh, dw, oph, opw, bias, mode, dtype,
             shape):
    head = kind | (mode << 2) | (dtype << 5)  # bit 6 clear: input C follows in_channels
    fields = [cin, cout, groups, kh, kw, sh, sw, *pads, dh, dw, oph, opw, bias, *shape]
    return bytes([head]) + b''.join(enc_int(v) for v in fields)


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    descs = {
        'conv3x3': enc_desc(0, 8, 16, 1, 3, 3, 1, 1, (1, 1, 1, 1), 1, 1, 0, 0, 1, 0, 0,
                            (1, 8, 16, 16)),
        'depthwise_s2': enc_desc(0, 16, 16, 16, 3, 3, 2, 2, (1, 1, 1, 1), 1, 1, 0, 0, 0, 0, 0,
                                 (2, 16, 15, 15)),
        'reflect_dilated': enc_desc(0, 4, 6, 2, 3, 2, 1, 2, (2, 1, 0, 3), 2, 1, 0, 0, 1, 1, 1,
                                    (1, 4, 9, 7)),
        'circular_even': enc_desc(0, 3, 5, 1, 4, 4, 1, 1, (2, 1, 2, 1), 1, 1, 0, 0, 1, 3, 0,
                                  (1, 3, 6, 6)),
        'tconv_s2': enc_desc(1, 8, 4, 1, 4, 4, 2, 2, (1, 1, 1, 1), 1, 1, 1, 0, 1, 0, 0,
                             (1, 8, 7, 5)),
        'tconv_grouped_dil': enc_desc(1, 6, 9, 3, 3, 3, 3, 1, (0, 2, 1, 0), 2, 3, 2, 2, 0, 0, 1,
                                      (3, 6, 4, 4)),
        'large_resnet': enc_desc(0, 64, 256, 1, 1, 1, 1, 1, (0, 0, 0, 0), 1, 1, 0, 0, 0, 0, 0,
                                 (32, 64, 56, 56)),
        'near_int_max': enc_desc(0, 1, 1, 1, 1, 1, 1, 1, (0, 0, 0, 0), 1, 1, 0, 0, 1, 0, 0,
                                 (1, 1, 46341, 46341)),
    }
    for name, data in descs.items():
        write('desc', name, data)
    specs = [
        '--input 1x64x56x56 --out-channels 64 --kernel 3 --padding 1',
        '--input 2x32x17x19 --out-channels 32 --kernel 3x5 --stride 2 --padding 1,2,0,3 '
        '--groups 32 --no-bias --name dw',
        '--input=1x8x9x9 --out-channels=4 --kernel=4 --stride=2x1 --transposed '
        '--output-padding 1x0 --dilation 1x2 --dtype f16',
        '--input 1x3x8x8 --out-channels 6 --kernel 3 --padding same --padding-mode reflect '
        '--dilation 2',
        '--input 1x3x8x8 --out-channels 6 --kernel 2 --padding 1x1 --padding-mode circular',
        '--input 1x16x8x8 --out-channels 16 --kernel 3 --padding 1 --activation leaky_relu:0.1 '
        '--residual',
        # -0 reads as 0: a left-out alpha, so the spec writes back the same
        '--input 1x4x5x5 --out-channels 4 --kernel 1 --activation clamp:-0:6',
    ]
    for i, s in enumerate(specs):
        write('layerspec', 'spec%d' % i, s)
    tools_suites = os.path.join(HERE, '..', 'tools', 'suites')
    for name in ('tiny.txt', 'transposed.txt', 'grouped.txt'):
        with open(os.path.join(tools_suites, name)) as f:
            write('suite', name, f.read())
    write('suite', 'dtype_column',
          'a conv 1 3 8 8 4 3 3 1 1 1 1 1 1 1 0 0 1 zeros f16\n'
          'b tconv 1 4 5 5 2 3 3 2 2 1 1 1 1 2 1 1 0 zeros  # comment\n\n')
    write('tuning', 'pocl',
          'clconv-tuning 2\ndevice fuzz device\ndriver 1.0\n# comment\n'
          'layer conv 1 64 56 56 64 3 3 1 1 1 1 1 1 1 1 1 0 0 1 zeros f32 '
          'tiled.chanvec_c16p8=0.0021 direct.conv2d=0.0048 gemm.im2col=0.0030\n'
          'layer tconv 1 8 7 5 4 4 4 2 2 1 1 1 1 1 1 1 1 0 0 zeros f16 direct.tconv2d=1e-05\n'
          'layer conv 2 16 9 9 32 3 3 2 2 1 1 1 1 1 1 16 0 0 1 reflect f32 '
          'depthwise.rows_x8=3.5e-4\n')
    write('tuning', 'version1', 'clconv-tuning 1\ndevice x\ndriver y\n'
          'layer conv 1 8 8 8 8 3 3 1 1 1 1 1 1 1 1 1 0 0 1 zeros f32 tiled=1e-4\n')
    write('tuning', 'header_only', 'clconv-tuning 2\ndevice x\ndriver y\n')
    # found by fuzz-tuning: header values ending in CRs (a round trip drops one per save)
    write('tuning', 'crlf_header', 'clconv-tuning 2\r\ndevice fuzz device\r\r\r\n'
          'driver 1.0\r\n')
    key = b'source=0123456789abcdef;options=-DK=3;device=fuzz;driver=1;platform=1'

    def fnv1a(data):
        h = 0xcbf29ce484222325
        for b in data:
            h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
        return h

    for name, binary in (('small', b'\x7fELF' + bytes(range(60))), ('one_byte', b'\x00')):
        # format 2: the checksum covers the key, then the binary
        entry = (b'CLCVBIN2' + struct.pack('<IQQ', len(key), len(binary), fnv1a(key + binary)) +
                 key + binary)
        write('cache', name, entry)
    write('cache', 'truncated', entry[:40])


if __name__ == '__main__':
    main()
