// rt: routing data of the packet (`rt classid cosmos`, `rt ip nexthop 10.0.0.1`,
// `rt mtu`, `rt ipsec exists`).
import { dataType, type DataType } from '../datatypes.js';
import { EXPR_RT, leafPrinters, typeofParsers, type LeafNode } from '../print/ast.js';
import { udataFields } from '../print/udata.js';
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface RtExpr {
  type: 'rt';
  /** NFT_RT_*: 0 classid, 1 nexthop (IPv4), 2 nexthop (IPv6), 3 tcp mss, 4 xfrm. */
  key: number;
  dreg: number;
}

// nft's rt_templates: token, type, bits, byte order.
const TEMPLATES: [string, DataType, number, 'big' | 'host'][] = [
  ['classid', dataType('realm'), 32, 'host'], ['nexthop', dataType('ipv4_addr'), 32, 'big'], ['nexthop', dataType('ipv6_addr'), 128, 'big'],
  ['mtu', dataType('integer'), 16, 'host'], ['ipsec', dataType('boolean'), 8, 'host'],
];

leafPrinters.set('rt', (e) => {
  const key = e.key as number;
  const ip = key === U.NFT_RT_NEXTHOP4 ? 'ip ' : key === U.NFT_RT_NEXTHOP6 ? 'ip6 ' : '';
  return `rt ${ip}${TEMPLATES[key]?.[0] ?? key}`;
});

typeofParsers.set(EXPR_RT, (b) => {
  const key = udataFields(b).u32.get(0);
  const t = key === undefined ? undefined : TEMPLATES[key];
  return t === undefined ? undefined : { k: 'leaf', kind: 'rt', key, len: t[2], dtype: t[1], order: t[3], flags: 0 } satisfies LeafNode;
});

function delinearize(e: RtExpr, p: RuleParser): void {
  const t = TEMPLATES[e.key];
  const n: LeafNode = { k: 'leaf', kind: 'rt', key: e.key, len: t?.[2] ?? 32, dtype: t?.[1] ?? dataType('integer'), order: t?.[3] ?? 'host', flags: 0 };
  p.regs.set(e.dreg, n);
}

export const rt = register({
  name: 'rt',
  fields: [
    { key: 'key', attr: U.NFTA_RT_KEY, kind: 'be32' },
    { key: 'dreg', attr: U.NFTA_RT_DREG, kind: 'reg', regLen: (e) => (TEMPLATES[e.key as number]?.[2] ?? 32) / 8 },
  ],
  delinearize: delinearize as never,
});
