// dynset: add/update/delete a set element from the packet path
// (`update @affinity { ip saddr timeout 3h }`, `add @seen { ip saddr counter }`,
// `update @m { ip saddr : 0x1 }`, `meter m size 128 { ip saddr limit rate 10/second }`).
import { fromPrefix } from '../enums.js';
import { exprText, setType, type ElemNode, type Node, type Out, type SetRefNode, type Stmt } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
import type { PostprocessStmt, RulePP } from '../print/postprocess.js';
import * as U from '../uapi.js';
import { register, type Expr, without } from './spec.js';

export const DYNSET_OPS = fromPrefix<'add' | 'update' | 'delete'>('dynset op', 'NFT_DYNSET_OP_');

export interface DynsetExpr {
  type: 'dynset';
  set: string;
  setId?: number;
  op: 'add' | 'update' | 'delete';
  sregKey: number;
  sregData?: number;
  /** Element timeout in milliseconds. */
  timeout?: number;
  flags?: number;
  /** One stateful expression attached to the element (old kernels). */
  expr?: Expr;
  /** Stateful expressions attached to the element (counter, limit, ...). */
  exprs?: Expr[];
}

const stmtsText = (stmts: Stmt[], o: Out): string => stmts.map((s) => ` ${s.print({ ...o, stateless: true })}`).join('');

/** `add @s { key stmts }` (set_stmt), and with data `update @m { key stmts : data }` (map_stmt). */
export class SetStmt implements PostprocessStmt {
  readonly kind = 'set';
  constructor(readonly op: string, readonly set: SetRefNode, public key: Node, readonly stmts: Stmt[], public data?: Node) {}
  print(o: Out): string {
    const data = this.data !== undefined ? ` : ${exprText(this.data, o)}` : '';
    return `${this.op} ${exprText(this.set, o)} { ${exprText(this.key, o)}${stmtsText(this.stmts, o)}${data} }`;
  }
  postprocess(pp: RulePP): void {
    this.key = pp.expr(this.key);
    if (this.data !== undefined) this.data = pp.expr(this.data);
  }
}

/** `meter NAME size N { key stmt }`: a dynset on an anonymous set with a statement (meter_stmt). */
export class MeterStmt implements PostprocessStmt {
  readonly kind = 'meter';
  constructor(readonly set: SetRefNode, public key: Node, readonly stmt: Stmt, readonly size: number) {}
  print(o: Out): string {
    return `meter ${exprText(this.set, o)} size ${this.size} { ${exprText(this.key, o)} ${this.stmt.print({ ...o, stateless: true })} }`;
  }
  postprocess(pp: RulePP): void { this.key = pp.expr(this.key); }
}

// netlink_parse_dynset.
function delinearize(e: DynsetExpr, p: RuleParser): void {
  let key = p.need(e.sregKey, 'Dynset statement has no key expression');
  const set = p.setOf(e.set, 'dynset statement', { key, reg: e.sregKey, ...(e.sregData !== undefined ? { data: 'value' } : {}) });
  if (key.len < set.key.len) key = p.concatKey(e.sregKey, set.key);
  const elem: ElemNode = { k: 'elem', key, stmts: [], timeout: BigInt(e.timeout ?? 0), len: key.len, dtype: key.dtype, order: key.order, flags: 0 };
  const stmts = (e.exprs ?? (e.expr !== undefined ? [e.expr] : [])).map((x) => p.nested(x as never));
  let data: Node | undefined;
  if (e.sregData !== undefined) {
    data = p.need(e.sregData, 'Dynset statement has no data expression');
    if (set.data !== undefined && data.len < set.data.len) data = p.concatExpr(e.sregData, set.data.len);
  }
  const ref: SetRefNode = { k: 'setref', set, len: 0, dtype: set.key.dtype, order: 'big', flags: 0 };
  const op = typeof e.op === 'number' ? String(e.op) : e.op;
  if (data !== undefined) {
    if (set.data !== undefined) setType(data, set.data.dtype, set.data.order);
    p.emit(new SetStmt(op, ref, elem, stmts, data));
  } else if (stmts.length > 0 && (set.flags & U.NFT_SET_ANONYMOUS) !== 0) {
    p.emit(new MeterStmt(ref, elem, stmts[0]!, set.size ?? 0));
  } else {
    p.emit(new SetStmt(op, ref, elem, stmts));
  }
}

export const dynset = register({
  name: 'dynset',
  fields: [
    { key: 'sregKey', attr: U.NFTA_DYNSET_SREG_KEY, kind: 'reg' },
    { key: 'sregData', attr: U.NFTA_DYNSET_SREG_DATA, kind: 'reg' },
    { key: 'op', attr: U.NFTA_DYNSET_OP, kind: 'be32', enum: DYNSET_OPS },
    { key: 'timeout', attr: U.NFTA_DYNSET_TIMEOUT, kind: 'be64' },
    { key: 'set', attr: U.NFTA_DYNSET_SET_NAME, kind: 'str' },
    { key: 'setId', attr: U.NFTA_DYNSET_SET_ID, kind: 'be32' },
    { key: 'flags', attr: U.NFTA_DYNSET_FLAGS, kind: 'be32' },
    { key: 'expr', attr: U.NFTA_DYNSET_EXPR, kind: 'expr' },
    { key: 'exprs', attr: U.NFTA_DYNSET_EXPRESSIONS, kind: 'exprs' },
  ],
  delinearize: delinearize as never,
  // The kernel lists a dynset's timeout even when it is 0 (the set's own), but refuses
  // one for a set without `flags timeout`: 0 and none are the same, so none is sent.
  recreate: (e) => without(e, (k, v) => (k === 'flags' || k === 'timeout') && v === 0),
  refs: (e, r) => {
    if (typeof e.set !== 'string') return false;
    r.set(e.set);
    return true;
  },
});
