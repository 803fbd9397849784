// cmp: compare a register with a constant (`== 10.0.0.1`, `!= 80`, `< 1024`).
import { fromPrefix } from '../enums.js';
import { basetypeOf, ExprStmt, INVALID, type Node, type RelNode, type RelOp } from '../print/ast.js';
import { dataValue, type RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export type CmpOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte';
export const CMP_OPS = fromPrefix<CmpOp>('cmp op', 'NFT_CMP_');

export interface CmpExpr {
  type: 'cmp';
  sreg: number;
  op: CmpOp;
  /** The constant, in the register's byte order (network order for header fields). */
  data: Uint8Array;
}

/** nft's relational operator for a cmp or range op. */
export const REL_OPS: Record<string, RelOp> = { eq: '==', neq: '!=', lt: '<', lte: '<=', gt: '>', gte: '>=' };

export function rel(op: RelOp, left: Node, right: Node): RelNode {
  return { k: 'rel', op, left, right, len: 0, dtype: INVALID, order: 'big', flags: 0 };
}

// netlink_parse_cmp: a constant shorter than the load is a prefix, a longer one compares a concatenation.
function delinearize(e: CmpExpr, p: RuleParser): void {
  let left = p.need(e.sreg, 'Relational expression');
  let right: Node = dataValue(e.data);
  const r = right;
  if (left.len > r.len && basetypeOf(left).printer !== 'string') {
    r.v <<= BigInt(left.len - r.len);
    right = { k: 'prefix', value: r, plen: r.len, len: 0, dtype: INVALID, order: 'big', flags: 0 };
    r.len = left.len;
  } else if (left.len > 0 && left.len < r.len) {
    left = p.concatExpr(e.sreg, r.len);
    right = p.concatData(e.sreg, r.len, r);
  }
  p.emit(new ExprStmt(rel(REL_OPS[e.op] ?? '==', left, right)));
}

export const cmp = register({
  name: 'cmp',
  fields: [
    { key: 'sreg', attr: U.NFTA_CMP_SREG, kind: 'reg', regLen: (e) => (e.data as Uint8Array | undefined)?.length },
    { key: 'op', attr: U.NFTA_CMP_OP, kind: 'be32', enum: CMP_OPS },
    { key: 'data', attr: U.NFTA_CMP_DATA, kind: 'value' },
  ],
  delinearize: delinearize as never,
});
