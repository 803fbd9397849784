// toTransaction() recreates the listed rules byte for byte; with
// { asPrinted: true } it sends what nft 1.0.6 sends when it reads the rule's
// printed text back. Each case is a rule of nft's py tests whose own round
// trip (nft list, then nft -f of that text) changes it: the listed
// expressions are what `nft --debug=netlink list ruleset` showed after
// adding the test's line, the expected ones what it showed after loading
// nft's listing in a fresh namespace (test/host/nft-py.test.ts measures
// all of them against the real nft).
import assert from 'node:assert/strict';

import type { Family } from '../../src/nft/enums.js';
import { decodeRule, type Rule } from '../../src/nft/rule.js';
import { Ruleset } from '../../src/nft/ruleset.js';
import { decodeSet, type NftSet } from '../../src/nft/set.js';
import * as U from '../../src/nft/uapi.js';
import { messages } from '../../src/nft/wire.js';

type E = Record<string, unknown>;
const R1 = 1;
const meta = (key: string): E => ({ type: 'meta', key, dreg: R1 });
const cmp = (...data: number[]): E => ({ type: 'cmp', sreg: R1, op: 'eq', data: Uint8Array.from(data) });
const payload = (base: string, offset: number, len: number): E => ({ type: 'payload', base, offset, len, dreg: R1 });
const accept: E = { type: 'immediate', dreg: 0, data: { kind: 'accept' } };
const MAC = [0x00, 0x0f, 0x54, 0x0c, 0x11, 0x04];

function listed(family: Family, expressions: E[], sets: NftSet[] = []): Ruleset {
  return new Ruleset({
    generation: 1,
    tables: [{ family, name: 't' }],
    chains: [{ family, table: 't', name: 'c', type: 'filter', hook: 'input', priority: 0 }],
    sets,
    rules: [{ family, table: 't', chain: 'c', expressions: expressions as unknown as Rule['expressions'] }],
    objects: [],
  });
}

function sent(rs: Ruleset, asPrinted: boolean): { rule: E[]; sets: NftSet[] } {
  const ms = messages(rs.toTransaction(undefined, { asPrinted }).encode().bytes);
  const rule = ms.filter((m) => (m.type & 0xff) === U.NFT_MSG_NEWRULE).map(decodeRule)[0]!;
  return { rule: rule.expressions as unknown as E[], sets: ms.filter((m) => (m.type & 0xff) === U.NFT_MSG_NEWSET).map(decodeSet) };
}

function check(rs: Ruleset, original: E[], reread: E[]): void {
  assert.deepEqual(sent(rs, false).rule, original, 'toTransaction() holds the listed bytes');
  assert.deepEqual(sent(rs, true).rule, reread, 'asPrinted: what nft sends for the printed text');
}

describe('toTransaction({ asPrinted }): what nft sends for its own printed text', () => {
  it('ip/tcp.t: `ip protocol tcp` left out before `tcp dport` comes back as `meta l4proto tcp`', () => {
    const original = [payload('network_header', 9, 1), cmp(6), payload('transport_header', 2, 2), cmp(0, 22)];
    check(listed('ip', original), original, [meta('l4proto'), cmp(6), payload('transport_header', 2, 2), cmp(0, 22)]);
  });

  it('ip/ether.t: `meta iiftype ether` goes just before the ether field; bridge tables need none', () => {
    const head = [meta('l4proto'), cmp(6), payload('transport_header', 2, 2), cmp(0, 22)];
    const iiftype = [meta('iiftype'), cmp(1, 0)];
    const daddr = [payload('network_header', 16, 4), cmp(1, 2, 3, 4)];
    const ether = [payload('ll_header', 6, 6), cmp(...MAC), accept];
    const ip = [...head, ...iiftype, ...daddr, ...ether];
    check(listed('ip', ip), ip, [...head, ...daddr, ...iiftype, ...ether]);
    const protocol = [meta('protocol'), cmp(8, 0)];
    const bridge = [...head, ...iiftype, ...protocol, ...daddr, ...ether];
    check(listed('bridge', bridge), bridge, [...head, ...protocol, ...daddr, ...ether]);
  });

  it('inet/ct.t: `meta nfproto ipv4` + `ct original saddr` prints as `ct original ip saddr`, which nft loads as ct src_ip', () => {
    const original = [meta('nfproto'), cmp(2), { type: 'ct', key: 'src', direction: 'original', dreg: R1 }, cmp(1, 2, 3, 4)];
    check(listed('inet', original), original, [{ type: 'ct', key: 'src_ip', direction: 'original', dreg: R1 }, cmp(1, 2, 3, 4)]);
  });

  it('inet/icmpX.t: `meta l4proto ipv6-icmp` after `ip protocol ipv6-icmp` is not made again', () => {
    const [nfproto, ipProto, icmp] = [[meta('nfproto'), cmp(2)], [payload('network_header', 9, 1), cmp(58)], [payload('transport_header', 0, 1), cmp(1)]];
    const original = [...nfproto, ...ipProto, meta('l4proto'), cmp(58), ...icmp];
    check(listed('inet', original), original, [...nfproto, ...ipProto, ...icmp]);
  });

  it('inet/tcp.t, ip/ip.t: a mask of every bit, and a prefix of whole bytes, stay as the kernel holds them unless asPrinted', () => {
    const mask = (len: number, ...m: number[]): E => ({ type: 'bitwise', sreg: R1, dreg: R1, op: 'mask_xor', len, mask: Uint8Array.from(m), xor: new Uint8Array(len) });
    const flags = [payload('transport_header', 13, 1), mask(1, 0xff), cmp(0xff)];
    check(listed('ip', [meta('l4proto'), cmp(6), ...flags]), [meta('l4proto'), cmp(6), ...flags], [meta('l4proto'), cmp(6), flags[0]!, flags[2]!]);
    const prefix = [payload('network_header', 12, 4), mask(4, 0xff, 0xff, 0, 0), cmp(0xff, 0xff, 0, 0)];
    const sentPrefix = sent(listed('ip', prefix), true).rule;
    assert.deepEqual(sentPrefix, [payload('network_header', 12, 2), cmp(0xff, 0xff)]);
    assert.equal(sent(listed('ip', prefix), false).rule.length, 3);
  });

  it('any/rawpayload.t: an anonymous set looked up by `@th,16,16` after `meta l4proto tcp` gets the `typeof tcp dport` nft writes', () => {
    // Set userdata: key byte order 2; typeof payload (7) of header 11 (th), field 2 (dport).
    const typeofOf = (desc: number) => Uint8Array.from([0, 4, 2, 0, 0, 0, 3, 20, 0, 4, 7, 0, 0, 0, 1, 12, 0, 4, desc, 0, 0, 0, 1, 4, 2, 0, 0, 0]);
    const set: NftSet = { family: 'inet', table: 't', name: '__set0', type: 'inet_service', flagBits: 3, keyTypeId: 13, keyLen: 2,
      flags: ['anonymous', 'constant'], userdata: typeofOf(11), elements: [{ key: Uint8Array.of(0, 22) }, { key: Uint8Array.of(0, 80) }] };
    const rs = listed('inet', [meta('l4proto'), cmp(6), payload('transport_header', 2, 2), { type: 'lookup', sreg: R1, set: '__set0' }], [set]);
    assert.deepEqual(sent(rs, false).sets[0]!.userdata, typeofOf(11));
    assert.deepEqual(sent(rs, true).sets[0]!.userdata, typeofOf(8));
  });
});
