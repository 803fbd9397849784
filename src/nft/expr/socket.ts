// socket: the packet's socket (`socket transparent 1`, `socket mark 0x5`,
// `socket wildcard 0`, `socket cgroupv2 level 1 "user.slice"`).
import { dataType, type DataType } from '../datatypes.js';
import { EXPR_SOCKET, leafPrinters, typeofParsers, type LeafNode } from '../print/ast.js';
import { udataFields } from '../print/udata.js';
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface SocketExpr {
  type: 'socket';
  /** NFT_SOCKET_*: 0 transparent, 1 mark, 2 wildcard, 3 cgroupv2. */
  key: number;
  dreg: number;
  /** cgroupv2: the ancestor level. */
  level?: number;
}

const TEMPLATES: [string, DataType, number][] = [
  ['transparent', dataType('integer'), 8], ['mark', dataType('mark'), 32], ['wildcard', dataType('integer'), 8], ['cgroupv2', dataType('cgroupsv2'), 64],
];

leafPrinters.set('socket', (e) => {
  const key = e.key as number;
  return `socket ${TEMPLATES[key]?.[0] ?? key}${key === U.NFT_SOCKET_CGROUPV2 ? ` level ${e.level as number}` : ''}`;
});

typeofParsers.set(EXPR_SOCKET, (b) => {
  const key = udataFields(b).u32.get(0);
  const t = key === undefined ? undefined : TEMPLATES[key];
  return t === undefined ? undefined : { k: 'leaf', kind: 'socket', key, level: 0, len: t[2], dtype: t[1], order: 'host', flags: 0 } satisfies LeafNode;
});

function delinearize(e: SocketExpr, p: RuleParser): void {
  const t = TEMPLATES[e.key];
  p.regs.set(e.dreg, { k: 'leaf', kind: 'socket', key: e.key, level: e.level ?? 0, len: t?.[2] ?? 32, dtype: t?.[1] ?? dataType('integer'), order: 'host', flags: 0 } satisfies LeafNode);
}

export const socket = register({
  name: 'socket',
  fields: [
    { key: 'key', attr: U.NFTA_SOCKET_KEY, kind: 'be32' },
    { key: 'dreg', attr: U.NFTA_SOCKET_DREG, kind: 'reg', regLen: (e) => (TEMPLATES[e.key as number]?.[2] ?? 32) / 8 },
    { key: 'level', attr: U.NFTA_SOCKET_LEVEL, kind: 'be32' },
  ],
  delinearize: delinearize as never,
  // nft sends the cgroup level always; the kernel lists it only for `socket cgroupv2`.
  recreate: (e) => (e.level === undefined ? { ...e, level: 0 } : e),
});
