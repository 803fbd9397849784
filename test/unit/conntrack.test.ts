// Conntrack filters without privilege: validation at the public edge, the
// kernel-side dump requests a filter turns into, and the exact matching done
// in TypeScript on decoded entries.
import assert from 'node:assert/strict';

import type { NativeCtEntry, NativeCtTuple } from '../../src/binding.js';
import { compileFilter, listOps, matches, protocolName, protocolNumber } from '../../src/conntrack-filter.js';
import { Conntrack, parseIp, type ConntrackFilter } from '../../src/index.js';

function tuple(src: string, dst: string, protocol: number, sport?: number, dport?: number): NativeCtTuple {
  const t: NativeCtTuple = { source: parseIp(src).bytes, destination: parseIp(dst).bytes, protocol };
  if (sport !== undefined) Object.assign(t, { sourcePort: sport, destinationPort: dport });
  return t;
}

function entry(orig: NativeCtTuple, reply: NativeCtTuple, extra: Partial<NativeCtEntry> = {}): NativeCtEntry {
  return {
    family: orig.source.length === 16 ? 10 : 2, original: orig, reply, status: 8, timeout: 30, mark: 0, id: 1, use: 1, zone: 0,
    ...extra,
  };
}

// client 10.0.1.2:40000 -> VIP 10.96.0.10:53, DNAT'd to 10.244.1.5:5353
const dnat = entry(tuple('10.0.1.2', '10.96.0.10', 17, 40000, 53), tuple('10.244.1.5', '10.0.1.2', 17, 5353, 40000), { mark: 0x4042 });
const tcp6 = entry(tuple('2001:db8::1', 'fd00::10', 6, 5000, 443), tuple('fd00::10', '2001:db8::1', 6, 443, 5000), { zone: 3 });
const icmp = entry(tuple('10.0.1.2', '10.0.1.9', 1), tuple('10.0.1.9', '10.0.1.2', 1));

function selects(filter: ConntrackFilter): NativeCtEntry[] {
  const f = compileFilter(filter);
  return [dnat, tcp6, icmp].filter((e) => matches(f, e));
}

describe('conntrack filters', () => {
  it('protocol names and numbers', () => {
    assert.equal(protocolNumber('udp'), 17);
    assert.equal(protocolNumber('icmpv6'), 58);
    assert.equal(protocolNumber(47), 47);
    assert.equal(protocolName(132), 'sctp');
    assert.equal(protocolName(47), 47);
    assert.throws(() => protocolNumber('UDP'), TypeError);
    assert.throws(() => protocolNumber(256), RangeError);
    assert.throws(() => protocolNumber(-1), RangeError);
    assert.throws(() => protocolNumber(6.5), TypeError);
  });

  it('bad filters are refused with TypeError or RangeError', () => {
    const typeErrors: unknown[] = [
      null, 'udp', [], { orig: {} }, { protocol: 'http' }, { family: 5 }, { original: { source: '10.0.0.256' } },
      { original: { src: '10.0.0.1' } }, { reply: 'x' }, { original: { source: '10.0.0.1' }, reply: { destination: '::1' } },
      { family: 6, original: { source: '10.0.0.1' } }, { markMask: 0xff }, { mark: 1.5 }, { zone: '1' },
      { protocol: 'icmp', original: { sourcePort: 1 } }, { original: { destinationPort: '53' } },
    ];
    for (const bad of typeErrors) assert.throws(() => compileFilter(bad as ConntrackFilter), TypeError, JSON.stringify(bad));
    const rangeErrors: ConntrackFilter[] = [
      { original: { sourcePort: 65536 } }, { reply: { destinationPort: -1 } }, { mark: 2 ** 32 }, { mark: -1 },
      { mark: 1, markMask: 2 ** 32 }, { zone: 65536 }, { protocol: 300 },
    ];
    for (const bad of rangeErrors) assert.throws(() => compileFilter(bad), RangeError, JSON.stringify(bad));
  });

  it('matches every given field and nothing else', () => {
    assert.deepEqual(selects({}), [dnat, tcp6, icmp]);
    assert.deepEqual(selects({ protocol: 'udp' }), [dnat]);
    assert.deepEqual(selects({ family: 6 }), [tcp6]);
    assert.deepEqual(selects({ family: 4 }), [dnat, icmp]);
    assert.deepEqual(selects({ reply: { source: '10.244.1.5' } }), [dnat]);
    assert.deepEqual(selects({ reply: { source: '10.244.1.6' } }), []);
    assert.deepEqual(selects({ original: { destination: '10.96.0.10', destinationPort: 53 } }), [dnat]);
    assert.deepEqual(selects({ original: { destination: '10.96.0.10', destinationPort: 54 } }), []);
    assert.deepEqual(selects({ original: { source: '10.0.1.2' } }), [dnat, icmp]);
    assert.deepEqual(selects({ original: { source: '2001:0db8:0::1' } }), [tcp6]);
    assert.deepEqual(selects({ reply: { sourcePort: 443 } }), [tcp6]);
    assert.deepEqual(selects({ protocol: 'icmp', original: { destination: '10.0.1.9' } }), [icmp]);
    assert.deepEqual(selects({ zone: 3 }), [tcp6]);
    assert.deepEqual(selects({ zone: 0 }), [dnat, icmp]);
  });

  it('mark with and without mask, as `--mark VALUE[/MASK]`', () => {
    assert.deepEqual(selects({ mark: 0x4042 }), [dnat]);
    assert.deepEqual(selects({ mark: 0x42 }), []);
    assert.deepEqual(selects({ mark: 0x42, markMask: 0xff }), [dnat]);
    assert.deepEqual(selects({ mark: 0x1042, markMask: 0xff }), [dnat]);  // value bits outside the mask are ignored
    assert.deepEqual(selects({ mark: 0 }), [tcp6, icmp]);
    assert.deepEqual(selects({ mark: 0, markMask: 0 }), [dnat, tcp6, icmp]);
    const high = entry(icmp.original, icmp.reply, { mark: 0xffffffff });
    assert.ok(matches(compileFilter({ mark: 0xffffffff }), high));
    assert.ok(matches(compileFilter({ mark: 0x80000000, markMask: 0x80000000 }), high));
  });

  it('kernel-side dump requests: family, mark, zone, and tuples only where the kernel gets them right', () => {
    assert.deepEqual(listOps(compileFilter(undefined)), [{ op: 'list', family: 0 }]);
    assert.deepEqual(listOps(compileFilter({ mark: 0x42, markMask: 0xff, zone: 2 })),
      [{ op: 'list', family: 0, mark: 0x42, markMask: 0xff, zone: 2 }]);
    // a protocol without a family: one filtered dump per family
    assert.deepEqual(listOps(compileFilter({ protocol: 'udp', reply: { sourcePort: 5353 } })), [
      { op: 'list', family: 2, original: { protocol: 17 }, reply: { protocol: 17, sourcePort: 5353 } },
      { op: 'list', family: 10, original: { protocol: 17 }, reply: { protocol: 17, sourcePort: 5353 } },
    ]);
    // the family follows from an address; IPv4 addresses go to the kernel
    assert.deepEqual(listOps(compileFilter({ protocol: 'udp', reply: { source: '10.244.1.5' } })), [
      { op: 'list', family: 2, original: { protocol: 17 }, reply: { source: Uint8Array.from([10, 244, 1, 5]), protocol: 17 } },
    ]);
    // ports without a protocol cannot be filtered by the kernel; addresses can
    assert.deepEqual(listOps(compileFilter({ original: { destination: '10.96.0.10', destinationPort: 53 } })), [
      { op: 'list', family: 2, original: { destination: Uint8Array.from([10, 96, 0, 10]) } },
    ]);
    // IPv6 addresses stay out of the kernel filter (its IPv6 match is inverted)
    assert.deepEqual(listOps(compileFilter({ original: { source: '2001:db8::1' } })), [{ op: 'list', family: 10 }]);
    assert.deepEqual(listOps(compileFilter({ protocol: 'tcp', original: { source: '2001:db8::1', sourcePort: 5000 } })),
      [{ op: 'list', family: 10, original: { protocol: 6, sourcePort: 5000 } }]);
  });
});

describe('conntrack: validation before anything is sent', () => {
  let ct: Conntrack;
  before(async () => { ct = await Conntrack.open(); });
  after(async () => { await ct.close(); });

  it('list and delete check their filter', async () => {
    await assert.rejects(ct.list({ protocol: 'nope' } as never), TypeError);
    await assert.rejects(ct.list({ original: { sourcePort: 1e6 } }), RangeError);
    await assert.rejects(ct.delete(undefined as never), TypeError);
    await assert.rejects(ct.delete({ reply: { source: 'backend-1' } }), TypeError);
    await assert.rejects(ct.delete({ mark: 2 ** 32 }), RangeError);
  });

  it('deleteEntries checks every entry first', async () => {
    const ok = { protocol: 'udp' as const, original: { source: '10.0.0.1', destination: '10.0.0.2', sourcePort: 1, destinationPort: 2 } };
    assert.equal(await ct.deleteEntries([]), 0);
    await assert.rejects(ct.deleteEntries('x' as never), TypeError);
    await assert.rejects(ct.deleteEntries([ok, null as never]), TypeError);
    await assert.rejects(ct.deleteEntries([{ ...ok, protocol: 'bogus' as never }]), TypeError);
    await assert.rejects(ct.deleteEntries([{ ...ok, original: { ...ok.original, destination: '::1' } }]), TypeError);
    await assert.rejects(ct.deleteEntries([{ ...ok, family: 6 }]), TypeError);
    await assert.rejects(ct.deleteEntries([{ ...ok, original: { source: '10.0.0.1', destination: '10.0.0.2' } }]), TypeError);
    await assert.rejects(ct.deleteEntries([{ ...ok, original: { ...ok.original, sourcePort: 70000 } }]), RangeError);
    await assert.rejects(ct.deleteEntries([{ ...ok, zone: 65536 }]), RangeError);
    await assert.rejects(ct.deleteEntries([{ ...ok, id: -1 }]), RangeError);
    await assert.rejects(ct.deleteEntries([{ protocol: 'icmp', original: { source: '10.0.0.1', destination: '10.0.0.2' } }]), TypeError);
    await assert.rejects(ct.deleteEntries([{ protocol: 'icmp', original: { source: '10.0.0.1', destination: '10.0.0.2', icmp: { id: 1, type: 300, code: 0 } } }]), RangeError);
  });
});
