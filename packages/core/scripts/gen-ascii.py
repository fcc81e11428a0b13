#!/usr/bin/env python3
"""Writes src/ascii.ts: asciiString() as one String.fromCharCode call per length 1..45."""
import pathlib

cases = []
for n in range(1, 46):
    args = ', '.join(f'c[i + {k}] as number' if k else 'c[i] as number' for k in range(n))
    cases.append(f'    case {n}:\n      return String.fromCharCode({args});')
head = pathlib.Path(__file__).with_name('ascii-header.txt').read_text()
body = head + '\n'.join(cases) + "\n    default:\n      return '';\n  }\n}\n"
pathlib.Path(__file__).parent.parent.joinpath('src', 'ascii.ts').write_text(body)
