import { describe, expect, it } from 'vitest';
import {
  crc32c,
  decode,
  ErrorCodes,
  encode,
  getAwsVpceId,
  getAzurePrivateLinkId,
  getGcpPscConnectionId,
} from '../src/index.js';
import { expectCode, hex, toHex } from './helpers.js';

const SIG = '0d0a0d0a000d0a515549540a';

describe('v2: the binary header (spec 2.2)', () => {
  it('decodes TCP over IPv4 (\\x21 \\x11, 12 address bytes)', () => {
    const bytes = hex(`${SIG} 21 11 000c  c0a80001 c0a8000b dc04 01bb  474554`);
    expect(decode(bytes)).toEqual({
      header: {
        version: 2,
        command: 'PROXY',
        family: 'IPv4',
        transport: 'STREAM',
        source: { address: '192.168.0.1', port: 56324 },
        destination: { address: '192.168.0.11', port: 443 },
        tlvs: [],
      },
      length: 28,
    });
  });

  it('decodes TCP over IPv6 (\\x21 \\x21, 36 address bytes) in RFC 5952 form', () => {
    const bytes = hex(
      `${SIG} 21 21 0024 20010db8000000000000000000000001 00000000000000000000ffffc0000201 0050 1f90`,
    );
    const result = decode(bytes);
    expect(result?.header.source).toEqual({ address: '2001:db8::1', port: 80 });
    expect(result?.header.destination).toEqual({ address: '::ffff:192.0.2.1', port: 8080 });
    expect(result?.length).toBe(52);
  });

  it('decodes UDP over IPv4 as transport DGRAM', () => {
    const result = decode(hex(`${SIG} 21 12 000c 01020304 05060708 0035 0035`));
    expect(result?.header).toMatchObject({ family: 'IPv4', transport: 'DGRAM' });
    expect(result?.header.source).toEqual({ address: '1.2.3.4', port: 53 });
  });

  it('decodes UNIX stream addresses (2 x 108 bytes) as paths without ports', () => {
    const path = (p: string) => Buffer.from(p.padEnd(108, '\0')).toString('hex');
    const result = decode(hex(`${SIG} 21 31 00d8 ${path('/run/a.sock')} ${path('/run/b.sock')}`));
    expect(result?.header).toMatchObject({
      family: 'UNIX',
      transport: 'STREAM',
      source: { address: '/run/a.sock' },
      destination: { address: '/run/b.sock' },
    });
    expect(result?.header.source).not.toHaveProperty('port');
  });

  it('accepts LOCAL with UNSPEC and no address: the real endpoints are to be used', () => {
    expect(decode(hex(`${SIG} 20 00 0000`))).toEqual({
      header: { version: 2, command: 'LOCAL', family: 'UNSPEC', transport: 'UNSPEC', tlvs: [] },
      length: 16,
    });
  });

  it('skips the address block of a LOCAL header without reporting it', () => {
    const result = decode(hex(`${SIG} 20 11 000c 01020304 05060708 0001 0002`));
    expect(result?.length).toBe(28);
    expect(result?.header.command).toBe('LOCAL');
    expect(result?.header).not.toHaveProperty('source');
  });

  it('accepts LOCAL announcing IPv4 with a shorter block, ignoring the family as the spec says', () => {
    expect(decode(hex(`${SIG} 20 11 0000`))?.header.command).toBe('LOCAL');
  });

  it('accepts PROXY with the UNSPEC family and ignores its address information', () => {
    const result = decode(hex(`${SIG} 21 00 0000`));
    expect(result?.header).toEqual({
      version: 2,
      command: 'PROXY',
      family: 'UNSPEC',
      transport: 'UNSPEC',
      tlvs: [],
    });
  });

  it('accepts a family with the UNSPEC transport (\\x10, \\x20, \\x30), ignoring its block', () => {
    // No listed combination: whether ports follow is not said, so the block is skipped whole
    // and not read as TLVs (the spec: LOCAL must be accepted; UNSPEC address info is ignored).
    for (const [command, famTr, block] of [
      ['LOCAL', '10', '0a000001 0a000002 1f90 0050'],
      ['PROXY', '10', '0a000001 0a000002 1f90 0050'],
      ['LOCAL', '20', '00'.repeat(36)],
      ['PROXY', '30', '2f'.repeat(216)],
    ] as const) {
      const bytes = hex(block);
      const length = bytes.length.toString(16).padStart(4, '0');
      const cmd = command === 'LOCAL' ? '20' : '21';
      const result = decode(hex(`${SIG} ${cmd} ${famTr} ${length} ${block} 4745`));
      expect(result?.length).toBe(16 + bytes.length);
      expect(result?.header).toEqual({
        version: 2,
        command,
        family: ['UNSPEC', 'IPv4', 'IPv6', 'UNIX'][Number.parseInt(famTr, 16) >> 4],
        transport: 'UNSPEC',
        tlvs: [],
      });
    }
  });

  it('uses the length field, not the family, to find the end of the header', () => {
    const bytes = hex(`${SIG} 21 11 000f 01020304 05060708 0001 0002 040000 ffff`);
    expect(decode(bytes)?.length).toBe(31);
  });

  describe('the signature', () => {
    it('rejects a wrong byte anywhere in the 12-byte signature, as soon as it arrives', () => {
      const sig = hex(SIG);
      for (let i = 1; i < 12; i++) {
        const bad = sig.slice(0, i + 1);
        bad[i] = (bad[i] as number) ^ 0x01;
        expectCode(bad, ErrorCodes.INVALID_SIGNATURE);
      }
    });
    it('rejects a TLS ClientHello (\\x16 \\x03 \\x01) at its first byte', () => {
      expectCode(hex('160301'), ErrorCodes.INVALID_SIGNATURE);
    });
    it('rejects "\\r\\n\\r\\n" followed by an HTTP request', () => {
      expectCode(hex('0d0a0d0a47'), ErrorCodes.INVALID_SIGNATURE);
    });
  });

  describe('version and command (13th byte)', () => {
    it.each([0x0, 0x1, 0x3, 0xf])('rejects version %i', (version) => {
      const byte = ((version << 4) | 1).toString(16).padStart(2, '0');
      expectCode(hex(`${SIG} ${byte}`), ErrorCodes.UNSUPPORTED_VERSION);
    });
    it.each([2, 0xf])('rejects command %i', (command) => {
      expectCode(hex(`${SIG} 2${command.toString(16)}`), ErrorCodes.INVALID_COMMAND);
    });
  });

  describe('family and transport (14th byte)', () => {
    it.each(['41', 'f1'])('rejects family byte 0x%s', (byte) => {
      expectCode(hex(`${SIG} 21 ${byte}`), ErrorCodes.INVALID_FAMILY);
    });
    it.each(['13', '1f', '03'])('rejects transport byte 0x%s', (byte) => {
      expectCode(hex(`${SIG} 21 ${byte}`), ErrorCodes.INVALID_TRANSPORT);
    });
    it('rejects an unknown family in a LOCAL header too', () => {
      expectCode(hex(`${SIG} 20 41 0000`), ErrorCodes.INVALID_FAMILY);
    });
  });

  describe('the address block must be long enough for the family', () => {
    it.each([
      ['IPv4', '11', 11],
      ['IPv6', '21', 35],
      ['UNIX', '31', 215],
    ])('rejects %s with a length one byte short, before the block arrives', (_, fam, length) => {
      expectCode(
        hex(`${SIG} 21 ${fam} ${length.toString(16).padStart(4, '0')}`),
        ErrorCodes.ADDRESS_TOO_SHORT,
      );
    });
  });

  describe('incomplete input', () => {
    it('returns null until all 16 + length bytes are there', () => {
      const bytes = hex(`${SIG} 21 11 000c c0a80001 c0a8000b dc04 01bb`);
      for (let n = 0; n < bytes.length; n++) expect(decode(bytes.subarray(0, n))).toBeNull();
    });
    it('accepts the longest header the length field allows (16 + 65535 bytes)', () => {
      const bytes = new Uint8Array(16 + 0xffff);
      bytes.set(hex(`${SIG} 21 11 ffff 01020304 05060708 0001 0002 04 fff0`));
      expect(decode(bytes)?.length).toBe(16 + 0xffff);
    });
  });
});

describe('v2 TLVs (spec 2.2.1 - 2.2.8)', () => {
  const ipv4 = '01020304 05060708 0001 0002';
  const header = (tlvs: string) => {
    const body = hex(`${ipv4} ${tlvs}`);
    return hex(`${SIG} 21 11 ${body.length.toString(16).padStart(4, '0')} ${toHex(body)}`);
  };

  it('returns TLVs raw in wire order, and decodes ALPN, authority, unique ID and NETNS', () => {
    const result = decode(
      header(
        `01 0002 6832  02 000b 6578616d706c652e636f6d  05 0003 616263  30 0003 6e7331  e1 0001 ff`,
      ),
    );
    expect(result?.header.tlvs.map((t) => t.type)).toEqual([0x01, 0x02, 0x05, 0x30, 0xe1]);
    expect(result?.header.alpn).toEqual(hex('6832'));
    expect(result?.header.authority).toBe('example.com');
    expect(result?.header.uniqueId).toEqual(hex('616263'));
    expect(result?.header.netns).toBe('ns1');
    expect(result?.header.tlvs[4]?.value).toEqual(hex('ff'));
  });

  it('ignores NOOP TLVs of any length, including zero', () => {
    const result = decode(header('04 0000  04 0003 000000'));
    expect(result?.header.tlvs).toHaveLength(2);
  });

  it('decodes PP2_TYPE_SSL with its version, CN, cipher, signature and key algorithm sub-TLVs', () => {
    const sub = (type: string, s: string) =>
      `${type} ${Buffer.byteLength(s).toString(16).padStart(4, '0')} ${Buffer.from(s).toString('hex')}`;
    const subs = [
      sub('21', 'TLSv1.3'),
      sub('22', 'client.example'),
      sub('23', 'TLS_AES_256_GCM_SHA384'),
      sub('24', 'SHA256'),
      sub('25', 'RSA2048'),
    ].join('');
    const value = `07 00000000 ${subs}`;
    const length = hex(value).length.toString(16).padStart(4, '0');
    const result = decode(header(`20 ${length} ${value}`));
    expect(result?.header.ssl).toMatchObject({
      client: 7,
      verify: 0,
      version: 'TLSv1.3',
      cn: 'client.example',
      cipher: 'TLS_AES_256_GCM_SHA384',
      sigAlg: 'SHA256',
      keyAlg: 'RSA2048',
    });
    expect(result?.header.ssl?.tlvs).toHaveLength(5);
  });

  it('rejects a TLV whose length runs past the header', () => {
    expectCode(header('02 0005 6162'), ErrorCodes.INVALID_TLV);
  });
  it('rejects 1 or 2 trailing bytes that cannot hold a TLV', () => {
    expectCode(header('02'), ErrorCodes.INVALID_TLV);
    expectCode(header('0200'), ErrorCodes.INVALID_TLV);
  });
  it('rejects an SSL TLV shorter than its client and verify fields', () => {
    expectCode(header('20 0004 01000000'), ErrorCodes.INVALID_TLV);
  });
  it('rejects an SSL sub-TLV that runs past the SSL TLV', () => {
    expectCode(header('20 0008 01 00000000 21 0009'), ErrorCodes.INVALID_TLV);
  });
  it('rejects a unique ID longer than 128 bytes', () => {
    expectCode(header(`05 0081 ${'00'.repeat(129)}`), ErrorCodes.INVALID_TLV);
    expect(decode(header(`05 0080 ${'00'.repeat(128)}`))?.header.uniqueId).toHaveLength(128);
  });
  it('rejects an authority that is not UTF-8', () => {
    expectCode(header('02 0002 c328'), ErrorCodes.INVALID_TLV);
  });
  it('rejects a known TLV that appears twice instead of picking one', () => {
    expectCode(header('02 0001 61  02 0001 62'), ErrorCodes.INVALID_TLV);
  });
  it('rejects a known SSL sub-TLV that appears twice, and keeps unknown ones', () => {
    // PP2_TYPE_SSL (0x20) of 13 bytes: client, verify, then two CN (0x22) sub-TLVs "a" and "b".
    expectCode(header('20 000d 01 00000000 22 0001 61 22 0001 62'), ErrorCodes.INVALID_TLV);
    const twice = decode(header('20 000d 01 00000000 26 0001 61 26 0001 62'));
    expect(twice?.header.ssl?.tlvs.map((t) => t.type)).toEqual([0x26, 0x26]);
  });

  describe('PP2_TYPE_CRC32C (2.2.3)', () => {
    it('verifies a correct checksum and reports it', () => {
      const bytes = encode(
        {
          version: 2,
          family: 'IPv4',
          source: { address: '1.2.3.4', port: 1 },
          destination: { address: '5.6.7.8', port: 2 },
        },
        { crc32c: true },
      );
      const result = decode(bytes);
      const value = bytes.subarray(bytes.length - 4);
      expect(result?.header.crc32c).toBe(Buffer.from(value).readUInt32BE(0));
      const zeroed = bytes.slice();
      zeroed.fill(0, bytes.length - 4);
      expect(result?.header.crc32c).toBe(crc32c(zeroed));
    });
    it('rejects the connection when the checksum does not match', () => {
      const bytes = encode(
        {
          version: 2,
          family: 'IPv4',
          source: { address: '1.2.3.4', port: 1 },
          destination: { address: '5.6.7.8', port: 2 },
        },
        { crc32c: true },
      );
      for (let i = 0; i < bytes.length; i++) {
        // Flipping the length field or the TLV's own type and length makes another error (or,
        // for the type, a header without a CRC at all): the checksum covers everything else.
        if ((i >= 14 && i < 16) || (i >= 28 && i < 31)) continue;
        const bad = bytes.slice();
        bad[i] = (bad[i] as number) ^ 0x40;
        let code: string | undefined;
        try {
          decode(bad);
        } catch (error) {
          code = (error as { code: string }).code;
        }
        expect(code, `flip in byte ${i}`).toBeDefined();
        if (i >= 16) expect(code).toBe(ErrorCodes.CRC_MISMATCH);
      }
    });
    it('rejects a CRC32C TLV that is not 4 bytes', () => {
      expectCode(header('03 0003 000000'), ErrorCodes.INVALID_TLV);
    });
  });

  describe('cloud TLVs (custom range 0xE0..0xEF)', () => {
    it('reads the AWS VPC endpoint ID (0xEA, subtype 0x01)', () => {
      const id = Buffer.from('vpce-08d2bf15fac5001c9').toString('hex');
      const result = decode(header(`ea 0017 01 ${id}`));
      expect(result && getAwsVpceId(result.header)).toBe('vpce-08d2bf15fac5001c9');
    });
    it('reads the Azure Private Link ID (0xEE, subtype 0x01, little-endian)', () => {
      const result = decode(header('ee 0005 01 78563412'));
      expect(result && getAzurePrivateLinkId(result.header)).toBe(0x12345678);
    });
    it('reads the GCP PSC connection ID (0xE0, 64-bit big-endian)', () => {
      const result = decode(header('e0 0008 0000000000000102'));
      expect(result && getGcpPscConnectionId(result.header)).toBe(258n);
    });
    it('returns undefined when the TLV is absent', () => {
      const result = decode(header(''));
      expect(result && getAwsVpceId(result.header)).toBeUndefined();
      expect(result && getAzurePrivateLinkId(result.header)).toBeUndefined();
      expect(result && getGcpPscConnectionId(result.header)).toBeUndefined();
    });
  });
});

describe('v2 encode', () => {
  it('writes the spec layout for TCP over IPv4', () => {
    const bytes = encode({
      version: 2,
      command: 'PROXY',
      family: 'IPv4',
      transport: 'STREAM',
      source: { address: '192.168.0.1', port: 56324 },
      destination: { address: '192.168.0.11', port: 443 },
    });
    expect(toHex(bytes)).toBe(`${SIG}2111000cc0a80001c0a8000bdc0401bb`);
  });
  it('writes LOCAL as \\x20 \\x00 with no address', () => {
    expect(toHex(encode({ version: 2, command: 'LOCAL' }))).toBe(`${SIG}20000000`);
  });
  it('re-encodes a decoded header to the same bytes', () => {
    const original = encode(
      {
        version: 2,
        family: 'IPv6',
        source: { address: '2001:db8::1', port: 1 },
        destination: { address: '::1', port: 2 },
        authority: 'example.com',
        alpn: 'h2',
        uniqueId: 'abc',
        ssl: { client: 1, verify: 0, version: 'TLSv1.3', cn: 'x' },
        netns: 'ns',
      },
      { crc32c: true },
    );
    const decoded = decode(original);
    expect(decoded).not.toBeNull();
    expect(toHex(encode(decoded?.header as never))).toBe(toHex(original));
  });
  it.each([
    ['an unknown family', { version: 2, family: 'IPX' }],
    ['PROXY IPv4 without addresses', { version: 2, family: 'IPv4' }],
    [
      'an IPv6 address for IPv4',
      {
        version: 2,
        family: 'IPv4',
        source: { address: '::1', port: 1 },
        destination: { address: '::1', port: 1 },
      },
    ],
    [
      'a unique ID over 128 bytes',
      {
        version: 2,
        family: 'UNSPEC',
        uniqueId: new Uint8Array(129),
      },
    ],
    ['a TLV over 65535 bytes', { version: 2, tlvs: [{ type: 1, value: new Uint8Array(65536) }] }],
    ['version 3', { version: 3 }],
  ] as const)('refuses %s', (_, init) => {
    expect(() => encode(init as never)).toThrowError(
      expect.objectContaining({ code: ErrorCodes.INVALID_HEADER }),
    );
  });
});
