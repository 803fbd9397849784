// lookup: `ip daddr @allowed` (membership), `ip daddr != @blocked` (flags: 1, inverted),
// or a map lookup into dreg (`vmap @services` puts the verdict in register 0).
import { ExprStmt, INVALID, type Node } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { rel } from './cmp.js';
import { register, without } from './spec.js';

export interface LookupExpr {
  type: 'lookup';
  set: string;
  /** Refers to a set created earlier in the same transaction. */
  setId?: number;
  sreg: number;
  dreg?: number;
  /** NFT_LOOKUP_F_INV (1): match when absent. */
  flags?: number;
}

// netlink_parse_lookup: a membership test, or a map whose value goes into a register (or is the verdict).
function delinearize(e: LookupExpr, p: RuleParser): void {
  let left = p.need(e.sreg, 'Lookup expression');
  const set = p.setOf(e.set, 'lookup expression', { key: left, reg: e.sreg, ...(e.dreg !== undefined ? { data: e.dreg === U.NFT_REG_VERDICT ? 'verdict' : 'value' } : {}) });
  if (left.len < set.key.len) left = p.concatExpr(e.sreg, set.key.len);
  const right: Node = { k: 'setref', set, len: 0, dtype: set.key.dtype, order: 'big', flags: 0 };
  let expr: Node;
  if (e.dreg !== undefined) {
    expr = { k: 'map', map: left, mappings: right, len: 0, dtype: INVALID, order: 'big', flags: 0 };
    if (e.dreg !== U.NFT_REG_VERDICT) { p.regs.set(e.dreg, expr); return; }
  } else {
    expr = rel('==', left, right);
    if (((e.flags ?? 0) & U.NFT_LOOKUP_F_INV) !== 0) expr.op = '!=';
  }
  p.emit(new ExprStmt(expr));
}

export const lookup = register({
  name: 'lookup',
  fields: [
    { key: 'sreg', attr: U.NFTA_LOOKUP_SREG, kind: 'reg' },
    { key: 'dreg', attr: U.NFTA_LOOKUP_DREG, kind: 'be32' },
    { key: 'set', attr: U.NFTA_LOOKUP_SET, kind: 'str' },
    { key: 'setId', attr: U.NFTA_LOOKUP_SET_ID, kind: 'be32' },
    { key: 'flags', attr: U.NFTA_LOOKUP_FLAGS, kind: 'be32' },
  ],
  delinearize: delinearize as never,
  // Flags go out only to invert the match.
  recreate: (e) => without(e, (k, v) => (k === 'flags') && v === 0),
  refs: (e, r) => {
    if (typeof e.set === 'string') r.set(e.set);
    else if (typeof e.set === 'object' && e.set !== null) r.inlineSet((e.set as { elements?: never }).elements);
    else return false;
    return true;
  },
});
