import { describe, expect, it } from 'vitest';
import { decode, ErrorCodes, encode } from '../src/index.js';
import { ascii, expectCode } from './helpers.js';

describe('v1: the human-readable header (spec 2.1)', () => {
  it('decodes the example line of the spec and reports the bytes that follow as not header', () => {
    const bytes = ascii(
      'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n',
    );
    const result = decode(bytes);
    expect(result).toEqual({
      header: {
        version: 1,
        command: 'PROXY',
        family: 'IPv4',
        transport: 'STREAM',
        source: { address: '192.168.0.1', port: 56324 },
        destination: { address: '192.168.0.11', port: 443 },
        tlvs: [],
      },
      length: 47,
    });
    expect(Buffer.from(bytes.subarray(result?.length)).toString()).toMatch(/^GET \/ HTTP\/1.1/);
  });

  it('accepts the longest TCP4 line (56 bytes) and the longest TCP6 line (104 bytes)', () => {
    const tcp4 = ascii('PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n');
    expect(tcp4.length).toBe(56);
    expect(decode(tcp4)?.length).toBe(56);
    const group = 'ffff:'.repeat(7);
    const tcp6 = ascii(`PROXY TCP6 ${group}ffff ${group}ffff 65535 65535\r\n`);
    expect(tcp6.length).toBe(104);
    expect(decode(tcp6)?.header.source).toEqual({
      address: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      port: 65535,
    });
  });

  it('accepts ports 0 and 65535 and addresses 0.0.0.0', () => {
    const result = decode(ascii('PROXY TCP4 0.0.0.0 0.0.0.0 0 65535\r\n'));
    expect(result?.header.source).toEqual({ address: '0.0.0.0', port: 0 });
    expect(result?.header.destination).toEqual({ address: '0.0.0.0', port: 65535 });
  });

  describe('"PROXY" then exactly one space', () => {
    it('rejects a first byte that starts neither version (G of GET)', () => {
      expectCode(ascii('G'), ErrorCodes.INVALID_SIGNATURE);
    });
    it('rejects "PROXX" at its fifth byte', () => {
      expectCode(ascii('PROXX'), ErrorCodes.INVALID_SIGNATURE);
    });
    it('rejects lowercase "proxy"', () => {
      expectCode(ascii('proxy TCP4 1.1.1.1 2.2.2.2 1 2\r\n'), ErrorCodes.INVALID_SIGNATURE);
    });
    it('rejects two spaces after PROXY', () => {
      expectCode(ascii('PROXY  TCP4'), ErrorCodes.INVALID_V1);
    });
    it('rejects a tab instead of the space', () => {
      expectCode(ascii('PROXY\tTCP4'), ErrorCodes.INVALID_V1);
    });
  });

  describe('the protocol is TCP4, TCP6 or UNKNOWN', () => {
    it('rejects UDP4', () => {
      expectCode(ascii('PROXY UDP4 1.1.1.1 2.2.2.2 1 2\r\n'), ErrorCodes.INVALID_V1);
    });
    it('rejects TCP5', () => {
      expectCode(ascii('PROXY TCP5 '), ErrorCodes.INVALID_V1);
    });
    it('rejects lowercase tcp4', () => {
      expectCode(ascii('PROXY tcp4 '), ErrorCodes.INVALID_V1);
    });
    it('rejects two spaces after the protocol', () => {
      expectCode(ascii('PROXY TCP4  1.1.1.1 2.2.2.2 1 2\r\n'), ErrorCodes.INVALID_ADDRESS);
    });
    it('rejects a TCP4 line with no addresses', () => {
      expectCode(ascii('PROXY TCP4\r\n'), ErrorCodes.INVALID_V1);
    });
  });

  describe('IPv4 addresses: 4 decimal numbers 0..255, no leading zeros', () => {
    it.each([
      ['a leading zero (192.168.0.01)', 'PROXY TCP4 192.168.0.01 1.1.1.1 1 2\r\n'],
      ['an octal-looking octet (010.1.1.1)', 'PROXY TCP4 010.1.1.1 1.1.1.1 1 2\r\n'],
      ['an octet above 255', 'PROXY TCP4 192.168.0.256 1.1.1.1 1 2\r\n'],
      ['three octets (1.2.3)', 'PROXY TCP4 1.2.3 1.1.1.1 1 2\r\n'],
      ['five octets', 'PROXY TCP4 1.2.3.4.5 1.1.1.1 1 2\r\n'],
      ['two dots in a row', 'PROXY TCP4 1..3.4 1.1.1.1 1 2\r\n'],
      ['a four-digit octet', 'PROXY TCP4 1.2.3.0004 1.1.1.1 1 2\r\n'],
      ['an IPv6 address in a TCP4 line', 'PROXY TCP4 ::1 ::1 1 2\r\n'],
      ['a hostname', 'PROXY TCP4 localhost 1.1.1.1 1 2\r\n'],
      ['a sign', 'PROXY TCP4 +1.2.3.4 1.1.1.1 1 2\r\n'],
    ])('rejects %s', (_, line) => {
      expectCode(ascii(line), ErrorCodes.INVALID_ADDRESS);
    });
    it('rejects the leading zero as soon as the next digit arrives', () => {
      expectCode(ascii('PROXY TCP4 192.168.0.01'), ErrorCodes.INVALID_ADDRESS);
    });
  });

  describe('IPv6 addresses: 1..4 hex digits a group, at most one "::", exactly 128 bits', () => {
    it.each([
      ['2001:db8::1', '2001:db8::1'],
      ['2001:DB8::1', '2001:db8::1'],
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['1::', '1::'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['1:0:1:0:1:0:1:0', '1:0:1:0:1:0:1:0'],
      ['fe80:0:0:1:0:0:0:0', 'fe80:0:0:1::'],
      ['fe80::1:0:0:0', 'fe80::1:0:0:0'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
      ['0:0:0:0:0:ffff:c000:0201', '::ffff:192.0.2.1'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ])('reads %s as %s (RFC 5952, as Node reports peers)', (text, canonical) => {
      const result = decode(ascii(`PROXY TCP6 ${text} ::1 1 2\r\n`));
      expect(result?.header.source?.address).toBe(canonical);
    });
    it.each([
      ['a five-digit group', '2001:0db80::1'],
      ['two "::"', '1::2::3'],
      ['":::"', '1:::2'],
      ['nine groups', '1:2:3:4:5:6:7:8:9'],
      ['seven groups without "::"', '1:2:3:4:5:6:7'],
      ['eight groups and "::"', '1:2:3:4::5:6:7:8'],
      ['a single leading colon', ':1:2:3:4:5:6:7'],
      ['a single trailing colon', '1:2:3:4:5:6:7:'],
      ['a non-hex digit', '2001:db8::g'],
      ['a zone index', 'fe80::1%eth0'],
      ['an IPv4 address in a TCP6 line', '192.0.2.1'],
      ['an IPv4 tail that is not last', '::1.2.3.4:1'],
      ['an IPv4 tail with a leading zero', '::ffff:192.0.2.01'],
      ['an IPv4 tail after seven groups', '1:2:3:4:5:6:7:1.2.3.4'],
      ['an IPv4 tail after six groups and "::"', '1:2:3:4:5::6:1.2.3.4'],
    ])('rejects %s (%s)', (_, text) => {
      expectCode(ascii(`PROXY TCP6 ${text} ::1 1 2\r\n`), ErrorCodes.INVALID_ADDRESS);
    });
  });

  describe('ports: decimal 0..65535, no leading zeros', () => {
    it.each([
      ['a leading zero', 'PROXY TCP4 1.1.1.1 2.2.2.2 080 2\r\n'],
      ['65536', 'PROXY TCP4 1.1.1.1 2.2.2.2 1 65536\r\n'],
      ['a negative port', 'PROXY TCP4 1.1.1.1 2.2.2.2 -1 2\r\n'],
      ['a hex port', 'PROXY TCP4 1.1.1.1 2.2.2.2 0x50 2\r\n'],
      ['a missing port', 'PROXY TCP4 1.1.1.1 2.2.2.2 1\r\n'],
      ['two spaces between ports', 'PROXY TCP4 1.1.1.1 2.2.2.2 1  2\r\n'],
      ['a trailing space', 'PROXY TCP4 1.1.1.1 2.2.2.2 1 2 \r\n'],
    ])('rejects %s', (_, line) => {
      expectCode(ascii(line), ErrorCodes.INVALID_PORT);
    });
  });

  describe('the line ends with CRLF, never a lone CR or LF', () => {
    it('rejects a line ending in LF alone', () => {
      expectCode(ascii('PROXY TCP4 1.1.1.1 2.2.2.2 1 2\n'), ErrorCodes.INVALID_PORT);
    });
    it('rejects a CR followed by something else than LF', () => {
      expectCode(ascii('PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\r'), ErrorCodes.INVALID_V1);
    });
    it('waits after a CR for the LF', () => {
      expect(decode(ascii('PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r'))).toBeNull();
    });
  });

  describe('at most 107 bytes, CRLF included', () => {
    it('refuses a TCP6 line over 107 bytes, which only dotted-tail addresses can make', () => {
      const address = 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255';
      const line = `PROXY TCP6 ${address} ${address} 65535 65535\r\n`;
      expect(line.length).toBe(116);
      expectCode(ascii(line), ErrorCodes.HEADER_TOO_LONG);
      // At every split: a valid prefix until byte 106 shows there is no CR in time.
      for (let end = 11; end < line.length; end++) {
        const prefix = ascii(line.slice(0, end));
        if (end < 106) expect(decode(prefix)).toBeNull();
        else expectCode(prefix, ErrorCodes.HEADER_TOO_LONG);
      }
    });
    it('accepts a TCP6 line of exactly 107 bytes', () => {
      const source = 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255';
      const line = `PROXY TCP6 ${source} ffff:ffff:ffff:1:1:1:255.255.255.255 65535 65535\r\n`;
      expect(line.length).toBe(107);
      expect(decode(ascii(`${line}GET`))).toMatchObject({
        length: 107,
        header: {
          source: { address: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', port: 65535 },
          destination: { address: 'ffff:ffff:ffff:1:1:1:ffff:ffff', port: 65535 },
        },
      });
    });
  });

  describe('UNKNOWN', () => {
    it('accepts the short form "PROXY UNKNOWN\\r\\n" as UNSPEC without addresses', () => {
      expect(decode(ascii('PROXY UNKNOWN\r\n'))).toEqual({
        header: { version: 1, command: 'PROXY', family: 'UNSPEC', transport: 'UNSPEC', tlvs: [] },
        length: 15,
      });
    });
    it('ignores anything before the CRLF, even addresses that would be invalid', () => {
      const line = 'PROXY UNKNOWN whatever 999.1.1.1 ::g 0 99999\r\n';
      expect(decode(ascii(`${line}GET`))?.length).toBe(line.length);
    });
    it('accepts the worst case of 107 bytes', () => {
      const group = 'ffff:'.repeat(7);
      const line = `PROXY UNKNOWN ${group}ffff ${group}ffff 65535 65535\r\n`;
      expect(line.length).toBe(107);
      expect(decode(ascii(line))?.length).toBe(107);
    });
    it('rejects a line with no CRLF in the first 107 bytes', () => {
      const line = `PROXY UNKNOWN ${'x'.repeat(92)}\r\n`;
      expect(line.length).toBe(108);
      expectCode(ascii(line), ErrorCodes.HEADER_TOO_LONG);
    });
    it('refuses a too-long line as soon as byte 106 is not the CR', () => {
      expect(decode(ascii(`PROXY UNKNOWN ${'x'.repeat(91)}`))).toBeNull();
      expectCode(ascii(`PROXY UNKNOWN ${'x'.repeat(92)}`), ErrorCodes.HEADER_TOO_LONG);
    });
    it('rejects a lone LF in the ignored part', () => {
      expectCode(ascii('PROXY UNKNOWN a\nb\r\n'), ErrorCodes.INVALID_V1);
    });
    it('rejects UNKNOWNX', () => {
      expectCode(ascii('PROXY UNKNOWNX\r\n'), ErrorCodes.INVALID_V1);
    });
  });

  describe('incomplete input', () => {
    it('returns null for every prefix of a valid line, and the header for the whole', () => {
      const line = ascii('PROXY TCP6 2001:db8::1 ::ffff:10.0.0.1 65535 0\r\n');
      for (let n = 0; n < line.length; n++) expect(decode(line.subarray(0, n))).toBeNull();
      expect(decode(line)?.length).toBe(line.length);
    });
    it('returns null for an empty input', () => {
      expect(decode(new Uint8Array(0))).toBeNull();
    });
  });
});

describe('v1 encode', () => {
  it('writes the canonical line', () => {
    const bytes = encode({
      version: 1,
      family: 'IPv4',
      source: { address: '192.168.0.1', port: 56324 },
      destination: { address: '192.168.0.11', port: 443 },
    });
    expect(Buffer.from(bytes).toString()).toBe('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n');
  });
  it('writes IPv6 in canonical form', () => {
    const bytes = encode({
      version: 1,
      family: 'IPv6',
      source: { address: '2001:DB8:0:0:0:0:0:1', port: 1 },
      destination: { address: '::FFFF:c000:0201', port: 2 },
    });
    expect(Buffer.from(bytes).toString()).toBe('PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 1 2\r\n');
  });
  it('writes UNKNOWN for the UNSPEC family', () => {
    expect(Buffer.from(encode({ version: 1, family: 'UNSPEC' })).toString()).toBe(
      'PROXY UNKNOWN\r\n',
    );
  });
  it.each([
    ['LOCAL', { version: 1, command: 'LOCAL', family: 'UNSPEC' }],
    [
      'UNIX',
      { version: 1, family: 'UNIX', source: { address: '/a' }, destination: { address: '/b' } },
    ],
    ['DGRAM', { version: 1, family: 'IPv4', transport: 'DGRAM' }],
    [
      'a family mismatch',
      {
        version: 1,
        family: 'IPv4',
        source: { address: '::1', port: 1 },
        destination: { address: '::1', port: 1 },
      },
    ],
    [
      'a port above 65535',
      {
        version: 1,
        family: 'IPv4',
        source: { address: '1.1.1.1', port: 65536 },
        destination: { address: '1.1.1.1', port: 1 },
      },
    ],
    ['missing addresses', { version: 1, family: 'IPv4' }],
  ] as const)('refuses %s with ERR_PROXY_PROTOCOL_INVALID_HEADER', (_, init) => {
    expect(() => encode(init as never)).toThrowError(
      expect.objectContaining({ code: ErrorCodes.INVALID_HEADER }),
    );
  });
});
