// The nft-syntax printer without a kernel: link-layer fields and the
// dependencies nft leaves out, merged loads, bit fields, and set elements
// in nft's order and layout. test/host/nft-print.test.ts checks the same
// against `nft list ruleset`.
import assert from 'node:assert/strict';

import { nft, Ruleset, type Expression, type NftSet, type Rule } from '../../src/index.js';
import { printExpressions } from '../../src/nft/print.js';

const hex = (h: string) => Buffer.from(h, 'hex');
const rule = (family: Rule['family'], ...e: (Expression | Expression[])[]): Rule => nft.rule(family, 't', 'c', ...e);
const iiftypeEther: Expression[] = [{ type: 'meta', key: 'iiftype', dreg: 1 }, { type: 'cmp', sreg: 1, op: 'eq', data: hex('0100') }];
const load = (base: 'll_header' | 'network_header', offset: number, len: number): Expression => ({ type: 'payload', base, offset, len, dreg: 1 });
const eq = (h: string): Expression => ({ type: 'cmp', sreg: 1, op: 'eq', data: hex(h) });

describe('printing link-layer matches', () => {
  it('ether fields in a netdev table, without the `meta iiftype ether` nft adds', () => {
    assert.equal(printExpressions(rule('netdev', iiftypeEther, load('ll_header', 12, 2), eq('86dd'), nft.drop())), 'ether type ip6 drop');
    assert.equal(printExpressions(rule('netdev', iiftypeEther, load('ll_header', 6, 6), eq('001122334455'), nft.drop())), 'ether saddr 00:11:22:33:44:55 drop');
    assert.equal(printExpressions(rule('netdev', iiftypeEther, load('ll_header', 12, 2), eq('88cc'))), 'ether type 0x88cc');
    // Standing alone, the dependency is a match like any other.
    assert.equal(printExpressions(rule('netdev', iiftypeEther, nft.accept())), 'meta iiftype ether accept');
  });

  it('network fields after `meta protocol`, vlan bit fields after `ether type 8021q`', () => {
    assert.equal(printExpressions(rule('netdev', nft.match('meta protocol', 'ip'), nft.match('ip saddr', '10.0.0.1'), nft.drop())), 'ip saddr 10.0.0.1 drop');
    assert.equal(printExpressions(rule('bridge', nft.match('meta protocol', 'arp'), nft.match('arp operation', 'reply'))), 'arp operation reply');
    assert.equal(printExpressions(rule('netdev', iiftypeEther, nft.match('ether type', '8021q'), nft.match('vlan id', 4094), nft.match('vlan pcp', 7))), 'vlan id 4094 vlan pcp 7');
    assert.equal(printExpressions(rule('bridge', nft.match('ether type', '8021q'), nft.match('vlan type', 'ip6'))), 'ether type 8021q vlan type ip6');
    assert.throws(() => nft.match('vlan id', 4096), /vlan id takes an integer 0\.\.4095/);
  });

  it('matches nft merged into one load are printed field by field again', () => {
    // `ether saddr X ip saddr Y` in an inet table: nft loads ether saddr and ether type (ip) as 8 bytes.
    const r = rule('inet', iiftypeEther, load('ll_header', 6, 8), eq('0011223344550800'), load('network_header', 12, 4), eq('01020304'), nft.drop());
    assert.equal(printExpressions(r), 'ether saddr 00:11:22:33:44:55 ip saddr 1.2.3.4 drop');
    assert.equal(printExpressions(rule('ip', load('network_header', 12, 8), eq('0101010102020202'))), 'ip saddr 1.1.1.1 ip daddr 2.2.2.2');
    assert.equal(printExpressions(rule('arp', load('network_header', 0, 4), eq('00010800'))), 'arp htype 1 arp ptype ip');
    // nft splits a merged != the same way (though the kernel compares the whole).
    assert.equal(printExpressions(rule('ip', load('network_header', 12, 8), { type: 'cmp', sreg: 1, op: 'neq', data: hex('0101010102020202') })), 'ip saddr != 1.1.1.1 ip daddr != 2.2.2.2');
    // Loads nft has no name for, values without leading zeros; a load over several fields split into them (as nft 1.0.6 lists it).
    assert.equal(printExpressions(rule('ip', load('ll_header', 0, 2), eq('0012'), load('network_header', 0, 4), eq('00000000'))),
      '@ll,0,16 0x12 ip version 0 ip hdrlength 0 ip dscp cs0 ip ecn not-ect ip length 0');
  });

  it('an interface name compared without its NUL is a prefix', () => {
    assert.equal(printExpressions(rule('ip', { type: 'meta', key: 'iifname', dreg: 1 }, eq('657468'))), 'iifname "eth*"');
    assert.equal(printExpressions(rule('ip', nft.match('iifname', 'eth0'))), 'iifname "eth0"');
  });
});

describe('printing set elements', () => {
  const print = (s: Omit<NftSet, 'family' | 'table'>) =>
    new Ruleset({ generation: 1, tables: [{ family: 'ip', name: 't' }], chains: [], rules: [], sets: [{ family: 'ip', table: 't', ...s }], objects: [] }).toString().split('\n').filter((l) => l.startsWith('\t\t')).join('\n');

  it('sorted by value: host-order types by number, concatenations by their last byte first', () => {
    assert.match(print({ name: 'm', type: 'mark', elements: [0x100, 1, 0x10, 2].map((k) => ({ key: k })) }), /elements = \{ 0x00000001, 0x00000002, 0x00000010, 0x00000100 \}/);
    assert.match(print({ name: 'c', type: 'ipv4_addr . inet_service', elements: [['10.0.0.1', 443], ['10.0.0.10', 1], ['9.9.9.9', 53]].map((k) => ({ key: k as [string, number] })) }),
      /elements = \{ 10\.0\.0\.10 \. 1,\n\t\t\t     9\.9\.9\.9 \. 53,\n\t\t\t     10\.0\.0\.1 \. 443 \}/);
    // Concatenated ranges stay in the order given (nft shows the kernel's).
    assert.match(print({ name: 'r', type: 'ipv4_addr . inet_service', flags: ['interval'], elements: [{ key: ['3.3.3.3', 7], keyEnd: ['3.3.3.3', 7] }, { key: ['1.1.1.1', 1], keyEnd: ['1.1.1.1', 5] }] }),
      /elements = \{ 3\.3\.3\.3 \. 7,\n\t\t\t     1\.1\.1\.1 \. 1-5 \}/);
  });

  it('five numbers, two addresses, or one of anything else on a line; single-value intervals without a range', () => {
    assert.match(print({ name: 'p', type: 'inet_service', elements: [1, 2, 3, 4, 5, 6].map((k) => ({ key: k })) }), /\{ 1, 2, 3, 4, 5,\n\t\t\t     6 \}/);
    assert.match(print({ name: 'a', type: 'ipv4_addr', elements: ['1.1.1.1', '2.2.2.2', '3.3.3.3'].map((k) => ({ key: k })) }), /\{ 1\.1\.1\.1, 2\.2\.2\.2,\n\t\t\t     3\.3\.3\.3 \}/);
    assert.match(print({ name: 'e', type: 'ether_type', elements: ['ip6', 'ip'].map((k) => ({ key: k })) }), /\{ ip,\n\t\t\t     ip6 \}/);
    assert.match(print({ name: 'i', type: 'inet_service', flags: ['interval'], elements: [{ key: 22 }, { key: 23, intervalEnd: true }, { key: 80 }, { key: 91, intervalEnd: true }] }), /\{ 22, 80-90 \}/);
  });
});
