// The nft-syntax printer without a kernel: link-layer fields and the
// dependencies nft leaves out, merged loads, bit fields, and set elements
// in nft's order and layout. test/host/nft-print.test.ts checks the same
// against `nft list ruleset`.
import assert from 'node:assert/strict';

import { nft, nftTextBytes, Ruleset, type Expression, type NftSet, type Rule } from '../../src/index.js';
import { printExpressions } from '../../src/nft/print.js';
import { bytesText } from '../../src/nft/text.js';

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

describe('printing ct status bits', () => {
  it('`ct status dnat` as the proxy writes it (a mask, no xor op) and as nft sends it', () => {
    const ct: Expression[] = [{ type: 'ct', key: 'status', dreg: 1 }];
    assert.equal(printExpressions(rule('ip', ...ct, { type: 'bitwise', sreg: 1, dreg: 1, len: 4, mask: hex('20000000'), xor: hex('00000000') },
      { type: 'cmp', sreg: 1, op: 'neq', data: hex('00000000') })), 'ct status dnat');
    assert.equal(printExpressions(rule('ip', ...ct, { type: 'bitwise', sreg: 1, dreg: 1, len: 4, op: 'mask_xor', mask: hex('30000000'), xor: hex('00000000') },
      { type: 'cmp', sreg: 1, op: 'eq', data: hex('00000000') })), 'ct status ! snat,dnat');
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

describe('printing typeof sets nft 1.0.6 writes (set userdata)', () => {
  // Userdata bytes as nft 1.0.6 wrote them for each declaration (read back from the kernel).
  const declaration = (s: Omit<NftSet, 'family' | 'table'>) =>
    new Ruleset({ generation: 1, tables: [{ family: 'ip', name: 't' }], chains: [], rules: [], sets: [{ family: 'ip', table: 't', ...s }], objects: [] })
      .toString().split('\n')[2]!.trim();

  it('numgen keys and data', () => {
    assert.equal(declaration({ name: 'm', type: 'integer', map: 'ipv4_addr . inet_service', userdata: hex(
      '000401000000010400000000031a0004170000000112000401000000010402000000020400000000043400040d000000012c0014000407000000010c00040c00000001040c0000000114000407000000010c000408000000010402000000060400000000') }),
    'typeof numgen random mod 2 : ip daddr . tcp dport');
    assert.equal(declaration({ name: 'm', type: 'integer', map: 'ipv4_addr', userdata: hex(
      '000401000000010402000000031a000417000000011200040000000001040400000002040a0000000414000407000000010c00040c00000001040c000000060400000000') }),
    'typeof numgen inc mod 4 offset 10 : ip daddr');
  });

  it('symhash keys; a jhash key (nft keeps no input for it, and nft 1.0.6 crashes listing it) prints as its type, which nft refuses', () => {
    assert.equal(declaration({ name: 's', type: 'integer', userdata: hex('0004010000000326000418000000011e000401000000010403000000020402000000030400000000040400000000') }),
      'typeof symhash mod 2 offset 3');
    assert.equal(declaration({ name: 's', type: 'integer', userdata: hex('0004010000000326000418000000011e000400000000010403000000020402000000030405000000040401000000') }),
      'type integer');
  });

  it('fib keys and data', () => {
    assert.equal(declaration({ name: 's', type: 'fib_addrtype', userdata: hex('000401000000031400041a000000010c000403000000010402000000') }), 'typeof fib daddr type');
    assert.equal(declaration({ name: 's', type: 'iface_index', userdata: hex('000401000000031400041a000000010c000401000000010409000000') }), 'typeof fib saddr . iif oif');
    assert.equal(declaration({ name: 's', type: 'string', keyLen: 16, keyTypeId: 5, userdata: hex('000401000000031400041a000000010c000402000000010402000000') }), 'typeof fib daddr oifname');
    assert.equal(declaration({ name: 'm', type: 'ipv4_addr', map: 'fib_addrtype', userdata: hex(
      '0004020000000104010000000314000407000000010c00040c00000001040b000000041400041a000000010c000403000000010402000000060400000000') }),
    'typeof ip saddr : fib daddr type');
  });
});

describe('printing rules without their sets (printRule without sets)', () => {
  // What the kernel lists for each rule (nft --debug=netlink); the address and port registers show the map's value.
  const lookup = (set: string, dreg = 1): Expression[] => [load('network_header', 12, 4), { type: 'lookup', set, sreg: 1, dreg }];
  const natRule = (family: Rule['family'], natFamily: 'ip' | 'ip6', regs: Record<string, number>, flags: number, ...e: Expression[]) =>
    rule(family, ...e, { type: 'nat', nat: 'dnat', family: natFamily, ...regs, flags } as Expression);
  const tcp: Expression[] = [{ type: 'meta', key: 'l4proto', dreg: 1 }, eq('06')];
  const numgen: Expression = { type: 'numgen', dreg: 1, modulus: 2, mode: 'random', offset: 0 };

  it('a concatenated key is the loads in the registers from the lookup\'s that nothing read yet', () => {
    const th = (offset: number, dreg = 9): Expression => ({ type: 'payload', base: 'transport_header', offset, len: 2, dreg });
    const l4: Expression = { type: 'meta', key: 'l4proto', dreg: 9 };
    const vmap: Expression = { type: 'lookup', set: 'service-ips', sreg: 1, dreg: 0 };
    assert.equal(printExpressions(rule('ip', load('network_header', 16, 4), l4, th(2, 10), vmap)), 'ip daddr . meta l4proto . th dport vmap @service-ips');
    // Registers a lookup already read (tcp dport for @a) are no part of the next key.
    assert.equal(printExpressions(rule('ip', ...tcp, load('network_header', 12, 4), th(2), { type: 'lookup', set: 'a', sreg: 1 },
      load('network_header', 16, 4), { type: 'lookup', set: 'b', sreg: 1 })), 'ip saddr . tcp dport @a ip daddr @b');
  });

  it('a NAT address and port (ip, ip6, inet)', () => {
    assert.equal(printExpressions(natRule('ip', 'ip', { regAddrMin: 1, regAddrMax: 1, regProtoMin: 9, regProtoMax: 9 }, 3, ...tcp, numgen, { type: 'lookup', set: 'eps', sreg: 1, dreg: 1 })),
      'meta l4proto tcp dnat ip to numgen random mod 2 map @eps');
    assert.equal(printExpressions(natRule('ip', 'ip', { regAddrMin: 1, regAddrMax: 1, regProtoMin: 9, regProtoMax: 9 }, 3, ...tcp, ...lookup('m'))),
      'meta l4proto tcp dnat ip to ip saddr map @m');
    assert.equal(printExpressions(natRule('ip6', 'ip6', { regAddrMin: 1, regAddrMax: 1, regProtoMin: 2, regProtoMax: 2 }, 3, ...tcp, numgen, { type: 'lookup', set: 'eps', sreg: 1, dreg: 1 })),
      'meta l4proto tcp dnat ip6 to numgen random mod 2 map @eps');
    const nfproto: Expression[] = [{ type: 'meta', key: 'nfproto', dreg: 1 }, eq('02')];
    assert.equal(printExpressions(natRule('inet', 'ip', { regAddrMin: 1, regAddrMax: 1, regProtoMin: 9, regProtoMax: 9 }, 3, ...tcp, ...nfproto, ...lookup('m'))),
      'meta l4proto tcp dnat ip to ip saddr map @m');
  });

  it('NAT address ranges, with or without port ranges, and prefixes', () => {
    assert.equal(printExpressions(natRule('ip', 'ip', { regAddrMin: 1, regAddrMax: 9 }, 1, ...lookup('a'))), 'dnat ip to ip saddr map @a');
    assert.equal(printExpressions(natRule('ip', 'ip', { regAddrMin: 1, regAddrMax: 9 }, 65, ...lookup('a'))), 'dnat ip prefix to ip saddr map @a');
    assert.equal(printExpressions(natRule('ip', 'ip', { regAddrMin: 1, regAddrMax: 10, regProtoMin: 9, regProtoMax: 11 }, 3, ...tcp, ...lookup('b'))),
      'meta l4proto tcp dnat ip to ip saddr map @b');
    assert.equal(printExpressions(natRule('ip6', 'ip6', { regAddrMin: 1, regAddrMax: 2 }, 1, load('network_header', 8, 16), { type: 'lookup', set: 'a', sreg: 1, dreg: 1 })),
      'dnat ip6 to ip6 saddr map @a');
  });

  it('a NAT address alone keeps nft\'s form; registers no map layout explains stay raw', () => {
    assert.equal(printExpressions(natRule('ip', 'ip', { regAddrMin: 1, regAddrMax: 1 }, 1, ...lookup('d'))), 'dnat to ip saddr map @d');
    assert.match(printExpressions(natRule('ip', 'ip', { regAddrMin: 1, regAddrMax: 1, regProtoMin: 10, regProtoMax: 10 }, 3, ...tcp, ...lookup('x'))), /\[ nat /);
  });
});

describe('text that is not UTF-8, as nft writes it', () => {
  it('bytesText() keeps every byte: nftTextBytes() gives them back, for any bytes', () => {
    let seed = 7;
    const rand = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed >>> 16; };
    for (let n = 0; n < 1000; n++) {
      const b = Buffer.from(Array.from({ length: rand() % 24 }, () => (rand() % 4 === 0 ? 0x80 + (rand() % 0x80) : rand() % 0x100)));
      assert.deepEqual(nftTextBytes(bytesText(b)), b, b.toString('hex'));
    }
  });

  it('UTF-8 reads as itself; other bytes as U+DC80 + (byte - 0x80), which no UTF-8 text decodes to', () => {
    assert.equal(bytesText(Buffer.from('é ok', 'utf8')), 'é ok');
    assert.equal(bytesText(Buffer.from([0x61, 0xff, 0x62, 0xe9, 0x20, 0xc3, 0xa9])), 'a\udcffb\udce9 é');
    // An overlong form, a surrogate and a truncated character are not UTF-8.
    assert.equal(bytesText(Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xe2, 0x82])), '\udcc0\udcaf\udced\udca0\udc80\udce2\udc82');
    // A surrogate pair (an emoji) is UTF-8 of its own.
    assert.deepEqual(nftTextBytes('\u{1f600}\udcff'), Buffer.from([0xf0, 0x9f, 0x98, 0x80, 0xff]));
  });

  it('a comment so decoded encodes back to its bytes, counted as nft counts them', () => {
    const comment = bytesText(Buffer.alloc(128, 0xff));
    const rule: Rule = { family: 'ip', table: 't', chain: 'c', expressions: [], comment };
    const rs = new Ruleset({ generation: 1, tables: [{ family: 'ip', name: 't' }], chains: [{ family: 'ip', table: 't', name: 'c' }], rules: [rule], sets: [], objects: [] });
    const tx = rs.toTransaction();
    assert.equal(tx.error, undefined);
    assert.ok(tx.encode().bytes.includes(Buffer.concat([Buffer.alloc(128, 0xff), Buffer.of(0)])));
  });
});
