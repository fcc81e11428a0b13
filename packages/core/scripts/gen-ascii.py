#!/usr/bin/env python3
"""Writes src/ascii.ts: asciiString() as one String.fromCharCode call per length 1..MAX.

Run it from anywhere, then `npx biome format --write packages/core/src/ascii.ts`.
"""
import pathlib

# The longest address text (IPv6 with a dotted tail). Do not raise it much: the function grows
# with the square of MAX, and at 96 TurboFan (Node 20) no longer optimized it at all.
MAX = 45

cases = []
for n in range(1, MAX + 1):
    args = ', '.join(f'c[i + {k}] as number' if k else 'c[i] as number' for k in range(n))
    cases.append(f'    case {n}:\n      return String.fromCharCode({args});')
head = pathlib.Path(__file__).with_name('ascii-header.txt').read_text().replace('{MAX}', str(MAX))
body = head + '\n'.join(cases) + "\n    default:\n      return '';\n  }\n}\n"
pathlib.Path(__file__).parent.parent.joinpath('src', 'ascii.ts').write_text(body)
