// Byte-exact encodings: the kube-proxy-shaped sample (test/fixtures/nft/kube-proxy.nft)
// built with our builders must produce the batch nft 1.0.6 sent for the same
// text, message for message (captured with strace into kube-proxy.batch.json).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { nft, Transaction } from '../../src/index.js';
import { attrList } from '../../src/nft/wire.js';

interface Captured { type: number; flags: number; body: string }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/nft/kube-proxy.batch.json', import.meta.url), 'utf8')) as Captured[];

const T = { family: 'ip' as const, table: 'kube-proxy' };

/** The sample, queued in the order nft sends it: table, chains, objects, sets and elements, rules. */
export function kubeProxySample(): Transaction {
  const tx = new Transaction();
  tx.addTable({ family: 'ip', name: 'kube-proxy', comment: 'rules for kube-proxy' });
  tx.addChain({ ...T, name: 'nat-prerouting', type: 'nat', hook: 'prerouting', priority: -100, policy: 'accept' });
  tx.addChain({ ...T, name: 'mark-for-masquerade' });
  tx.addChain({ ...T, name: 'masquerading', type: 'nat', hook: 'postrouting', priority: 100, policy: 'accept' });
  for (const name of ['services', 'svc1', 'ep1', 'ep2']) tx.addChain({ ...T, name });
  tx.addChain({ ...T, name: 'filter', type: 'filter', hook: 'forward', priority: 0, policy: 'accept' });
  tx.addObject({ ...T, name: 'c1', type: 'counter' });
  tx.addObject({ ...T, name: 'q1', type: 'quota', bytes: 100 * 1024 * 1024, over: true });
  tx.addSet({ ...T, name: 'affinity-svc1', type: 'ipv4_addr', flags: ['dynamic', 'timeout'], timeout: 3 * 3600 * 1000 });
  tx.addSet({
    ...T, name: 'service-ips', type: 'ipv4_addr . inet_proto . inet_service', map: 'verdict',
    comment: 'ClusterIP, ExternalIP and LoadBalancer IP traffic',
    elements: [{ key: ['10.96.0.10', 'tcp', 80], verdict: { kind: 'goto', chain: 'svc1' } }],
  });
  tx.addSet({ ...T, name: 'nodeports', type: 'inet_proto . inet_service', map: 'verdict' });
  tx.addSet({ ...T, name: 'cluster-ips', type: 'ipv4_addr', elements: [{ key: '10.96.0.10' }] });
  const r = (chain: string, ...parts: Parameters<typeof nft.rule>[3][]) => nft.rule('ip', 'kube-proxy', chain, ...parts);
  tx.addRule(r('nat-prerouting', nft.jump('services')));
  tx.addRule(r('mark-for-masquerade', nft.orMark(0x4000)));
  tx.addRule(r('masquerading', nft.markMasked(0x4000, 0), nft.ret()));
  tx.addRule(r('masquerading', [
    { type: 'meta', key: 'mark', dreg: 1 },
    { type: 'bitwise', sreg: 1, dreg: 1, op: 'mask_xor', len: 4, mask: Buffer.from('ffffffff', 'hex'), xor: Buffer.from('00400000', 'hex') },
    { type: 'meta', key: 'mark', sreg: 1 },
  ]));
  tx.addRule(r('masquerading', nft.masquerade('fully-random')));
  tx.addRule(r('services', nft.vmap(['ip daddr', 'meta l4proto', 'th dport'], 'service-ips')));
  tx.addRule(r('services', nft.fibDaddrLocal(), nft.match('ip daddr', '127.0.0.0/8', '!='), nft.vmap(['meta l4proto', 'th dport'], 'nodeports')));
  tx.addRule({ ...r('svc1', nft.inSet('ip saddr', 'affinity-svc1'), nft.goto('ep1')), comment: 'affinity' });
  tx.addRule(r('svc1', nft.numgenVmap([{ kind: 'goto', chain: 'ep1' }, { kind: 'goto', chain: 'ep2' }])));
  tx.addRule(r('ep1', nft.match('ip saddr', '10.0.1.1'), nft.jump('mark-for-masquerade')));
  tx.addRule(r('ep1', nft.updateSet('affinity-svc1', 'ip saddr')));
  tx.addRule(r('ep1', nft.match('meta l4proto', 'tcp'), nft.dnat('10.0.1.1', 8080)));
  tx.addRule(r('ep2', nft.match('meta l4proto', 'tcp'), nft.dnat('10.0.1.2', 8080)));
  tx.addRule(r('filter', nft.ctState('new'), nft.inSet('ip daddr', 'cluster-ips'), nft.reject()));
  tx.addRule(r('filter', nft.match('tcp dport', 22), { type: 'objref', objType: 'counter', name: 'c1' }, nft.drop()));
  tx.addRule(r('filter', nft.ctState('invalid'), nft.drop()));
  return tx;
}

// nft 1.0.6 also stores `typeof` hints in map userdata; ours carries only the byte orders.
function withoutMapUserdata(type: number, body: Buffer): string {
  if ((type & 0xff) !== 9) return body.toString('hex');
  const attrs = attrList(body, 4).filter((a) => a.type !== 13);
  return body.subarray(0, 4).toString('hex') + attrs.map((a) => `${a.type}:${a.data.toString('hex')}`).join(',');
}

function messagesOf(bytes: Buffer): Captured[] {
  const out: Captured[] = [];
  for (let off = 0; off < bytes.length;) {
    const len = bytes.readUInt32LE(off);
    out.push({ type: bytes.readUInt16LE(off + 4), flags: bytes.readUInt16LE(off + 6) | 1, body: bytes.subarray(off + 16, off + len).toString('hex') });
    off += len;
  }
  return out;
}

describe('nft encoding, byte for byte against nft', () => {
  const ours = messagesOf(kubeProxySample().encode().bytes);

  it('sends as many messages as nft', () => {
    assert.equal(ours.length, fixture.length);
  });

  fixture.forEach((want, i) => {
    it(`message ${i} (type 0x${want.type.toString(16)}) matches`, () => {
      const got = ours[i]!;
      assert.equal(got.type, want.type);
      assert.equal(got.flags, want.flags);
      if ((want.type & 0xff) === 9 && (want.body.includes('0308') || want.body.includes('0408'))) {
        const strip = (hex: string) => {
          const b = Buffer.from(hex, 'hex');
          return withoutMapUserdata(want.type, b);
        };
        assert.equal(strip(got.body), strip(want.body));
      } else {
        assert.equal(got.body, want.body);
      }
    });
  });
});
