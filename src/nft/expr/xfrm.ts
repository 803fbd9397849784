// xfrm: the IPsec state of the packet (`ipsec in reqid 1`, `ipsec out spnum 2 ip daddr 10.0.0.1`).
import { dataType, type DataType } from '../datatypes.js';
import { EXPR_XFRM, leafPrinters, typeofParsers, type LeafNode } from '../print/ast.js';
import { udataFields } from '../print/udata.js';
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface XfrmExpr {
  type: 'xfrm';
  /** NFT_XFRM_KEY_*: 1 daddr (IPv4), 2 daddr (IPv6), 3 saddr (IPv4), 4 saddr (IPv6), 5 reqid, 6 spi. */
  key: number;
  /** XFRM_POLICY_IN (0) or XFRM_POLICY_OUT (1). */
  dir: number;
  /** The state's index in the secpath. */
  spnum?: number;
  dreg: number;
}

const TEMPLATES: ([string, DataType, number, 'big' | 'host'] | undefined)[] = [
  undefined, ['daddr', dataType('ipv4_addr'), 32, 'big'], ['daddr', dataType('ipv6_addr'), 128, 'big'], ['saddr', dataType('ipv4_addr'), 32, 'big'],
  ['saddr', dataType('ipv6_addr'), 128, 'big'], ['reqid', dataType('integer'), 32, 'host'], ['spi', dataType('integer'), 32, 'big'],
];

leafPrinters.set('xfrm', (e) => {
  const key = e.key as number, dir = e.dir as number, spnum = e.spnum as number;
  let t = dir === 0 ? 'ipsec in' : dir === 1 ? 'ipsec out' : `ipsec (unknown dir ${dir})`;
  if (spnum) t += ` spnum ${spnum}`;
  const tmpl = TEMPLATES[key];
  if (tmpl === undefined) return `${t} (unknown key 0x${key.toString(16)})`;
  if (key >= 1 && key <= 4) t += key === 1 || key === 3 ? ' ip' : ' ip6';
  return `${t} ${tmpl[0]}`;
});

typeofParsers.set(EXPR_XFRM, (b) => {
  const { u32 } = udataFields(b);
  const key = u32.get(0), spnum = u32.get(1), dir = u32.get(2);
  const t = key === undefined ? undefined : TEMPLATES[key];
  if (t === undefined || spnum === undefined || dir === undefined) return undefined;
  return { k: 'leaf', kind: 'xfrm', key, dir, spnum, len: t[2], dtype: t[1], order: t[3], flags: 0 } satisfies LeafNode;
});

function delinearize(e: XfrmExpr, p: RuleParser): void {
  const t = TEMPLATES[e.key];
  p.regs.set(e.dreg, { k: 'leaf', kind: 'xfrm', key: e.key, dir: e.dir, spnum: e.spnum ?? 0, len: t?.[2] ?? 32, dtype: t?.[1] ?? dataType('integer'), order: t?.[3] ?? 'big', flags: 0 } satisfies LeafNode);
}

export const xfrm = register({
  name: 'xfrm',
  fields: [
    { key: 'key', attr: U.NFTA_XFRM_KEY, kind: 'be32' },
    { key: 'dir', attr: U.NFTA_XFRM_DIR, kind: 'u8' },
    { key: 'spnum', attr: U.NFTA_XFRM_SPNUM, kind: 'be32' },
    { key: 'dreg', attr: U.NFTA_XFRM_DREG, kind: 'reg', regLen: (e) => (TEMPLATES[e.key as number]?.[2] ?? 32) / 8 },
  ],
  delinearize: delinearize as never,
});
