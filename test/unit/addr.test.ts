import assert from 'node:assert/strict';

import { formatIp, parseCidr, parseIp, tryParseIp } from '../../src/addr.js';

describe('addr: IP text <-> bytes', () => {
  const roundTrips: [string, number[]][] = [
    ['10.0.0.1', [10, 0, 0, 1]],
    ['0.0.0.0', [0, 0, 0, 0]],
    ['255.255.255.255', [255, 255, 255, 255]],
    ['::', new Array(16).fill(0)],
    ['::1', [...new Array(15).fill(0), 1]],
    ['fd00::1', [0xfd, 0, ...new Array(13).fill(0), 1]],
    ['2001:db8::ff00:42:8329', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0x42, 0x83, 0x29]],
    ['::ffff:192.0.2.1', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]],
  ];
  for (const [text, bytes] of roundTrips) {
    it(`parses and formats ${text}`, () => {
      const ip = parseIp(text);
      assert.deepEqual(Array.from(ip.bytes), bytes);
      assert.equal(ip.family, bytes.length === 4 ? 4 : 6);
      assert.equal(formatIp(ip.bytes), text);
    });
  }

  it('formats IPv6 per RFC 5952 (lower case, longest zero run, no single-group ::)', () => {
    assert.equal(formatIp(parseIp('2001:DB8:0:0:1:0:0:1').bytes), '2001:db8::1:0:0:1');
    assert.equal(formatIp(parseIp('2001:db8:0:1:1:1:1:1').bytes), '2001:db8:0:1:1:1:1:1');
    assert.equal(formatIp(parseIp('1:0:0:2:0:0:0:3').bytes), '1:0:0:2::3');
    assert.equal(formatIp(parseIp('0:0:0:0:0:0:0:1').bytes), '::1');
    assert.equal(formatIp(parseIp('1::').bytes), '1::');
  });

  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d', ':::', '1::2::3',
    '12345::', 'fe80::1%eth0', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::1', '::1.2.3', '1.2.3.4::']) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.equal(tryParseIp(bad), undefined);
      assert.throws(() => parseIp(bad, 'vip'), (e: unknown) => e instanceof TypeError && /vip/.test((e as Error).message));
    });
  }

  it('parses CIDR with implied host prefix', () => {
    assert.equal(parseCidr('10.0.0.1').prefixLength, 32);
    assert.equal(parseCidr('fd00::1').prefixLength, 128);
    assert.equal(parseCidr('10.0.0.0/8').prefixLength, 8);
    assert.equal(parseCidr('fd00::/64').prefixLength, 64);
  });

  it('rejects bad prefix lengths with RangeError', () => {
    for (const bad of ['10.0.0.1/33', 'fd00::1/129', '10.0.0.1/', '10.0.0.1/-1', '10.0.0.1/08', '10.0.0.1/x']) {
      assert.throws(() => parseCidr(bad), RangeError, bad);
    }
  });

  it('refuses a byte array that is not 4 or 16 long', () => {
    assert.throws(() => formatIp(new Uint8Array(5)), TypeError);
  });
});
