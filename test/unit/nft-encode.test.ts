// Byte-exact encodings: the kube-proxy-shaped sample (test/fixtures/nft/kube-proxy.nft),
// the flowtable commands (flowtable.nft) and link-layer matches (link-layer.nft) built with our builders must
// produce the batches nft 1.0.6 sent for the same text, message for message
// (captured with strace, scripts/nft-capture.mjs, into *.batch.json).
import assert from 'node:assert/strict';

import { captured, messagesOf, withoutDeleteHookHeader } from '../fixtures/nft/captured.js';
import { flowtableSample } from '../fixtures/nft/flowtable-sample.js';
import { kubeProxySample } from '../fixtures/nft/kube-proxy-sample.js';
import { linkLayerSample } from '../fixtures/nft/link-layer-sample.js';
import type { Transaction } from '../../src/index.js';
import { attrList } from '../../src/nft/wire.js';

// nft 1.0.6 also stores `typeof` hints in map userdata; ours carries only the byte orders.
function withoutMapUserdata(type: number, body: Buffer): string {
  if ((type & 0xff) !== 9) return body.toString('hex');
  const attrs = attrList(body, 4).filter((a) => a.type !== 13);
  return body.subarray(0, 4).toString('hex') + attrs.map((a) => `${a.type}:${a.data.toString('hex')}`).join(',');
}

const samples: [string, () => Transaction][] = [['kube-proxy.batch.json', kubeProxySample], ['flowtable.batch.json', flowtableSample], ['link-layer.batch.json', linkLayerSample]];

for (const [name, sample] of samples) describe(`nft encoding, byte for byte against nft: ${name}`, () => {
  const fixture = captured(name);
  const ours = messagesOf(sample().encode().bytes);

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
        assert.equal(got.body, withoutDeleteHookHeader(want.type, want.body));
      }
    });
  });
});
