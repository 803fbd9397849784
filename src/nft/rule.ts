// Rules: a list of expressions in a chain, with a kernel handle, an
// optional position (insert before / add after a handle) and a comment.
import { FAMILIES, type Family } from './enums.js';
import { encodeExpr, validateExpr, type Expression } from './expr/index.js';
import { decodeExprBodyAt } from './expr/spec.js';
import type { Expr } from './expr/spec.js';
import { checkFamily, checkName, checkUint, NftValidationError } from './names.js';
import { checkComment, commentOf, commentUserdata } from './udata.js';
import * as U from './uapi.js';
import { be64, DecodeError, messageAttrs, str, walkAttrs, type NfMessage, type Writer } from './wire.js';

export interface Rule {
  family: Family;
  table: string;
  chain: string;
  expressions: Expression[];
  comment?: string;
  /** Set by the kernel; names the rule for replace/delete. */
  handle?: number;
  /** add: place after the rule with this handle; insert: before it. */
  position?: number;
  userdata?: Uint8Array;
}

export function validateRule(r: Rule, where: string): void {
  checkFamily(r.family, where);
  checkName(r.table, `${where}: table`);
  checkName(r.chain, `${where}: chain`);
  if (!Array.isArray(r.expressions)) throw new NftValidationError(`${where}: expressions must be an array`);
  r.expressions.forEach((e, i) => validateExpr(e as Expr, `${where}: expression ${i}`));
  if (r.comment !== undefined) checkComment(r.comment, where);
  if (r.handle !== undefined) checkUint(r.handle, Number.MAX_SAFE_INTEGER, `${where}: handle`);
  if (r.position !== undefined) checkUint(r.position, Number.MAX_SAFE_INTEGER, `${where}: position`);
}

/** NFT_MSG_NEWRULE body. */
export function encodeRule(w: Writer, r: Rule, withHandle: boolean): void {
  w.strz(U.NFTA_RULE_TABLE, r.table);
  w.strz(U.NFTA_RULE_CHAIN, r.chain);
  if (withHandle && r.handle !== undefined) w.be64(U.NFTA_RULE_HANDLE, BigInt(r.handle));
  if (r.position !== undefined) w.be64(U.NFTA_RULE_POSITION, BigInt(r.position));
  const t = w.nest(U.NFTA_RULE_EXPRESSIONS);
  for (const e of r.expressions) encodeExpr(w, e as Expr);
  w.end(t);
  const ud = r.userdata ?? (r.comment !== undefined ? commentUserdata(r.comment) : undefined);
  if (ud !== undefined) w.attr(U.NFTA_RULE_USERDATA, ud);
}

/** NFT_MSG_DELRULE body: by handle, or every rule of the chain (or table) when handle is undefined. */
export function encodeRuleRef(w: Writer, r: { table: string; chain?: string; handle?: number }): void {
  w.strz(U.NFTA_RULE_TABLE, r.table);
  if (r.chain !== undefined) w.strz(U.NFTA_RULE_CHAIN, r.chain);
  if (r.handle !== undefined) w.be64(U.NFTA_RULE_HANDLE, BigInt(r.handle));
}

export function decodeRule(m: NfMessage): Rule {
  const a = messageAttrs(m);
  const r: Rule = {
    family: FAMILIES.name(m.family) as Family,
    table: str(a[U.NFTA_RULE_TABLE] ?? Buffer.alloc(0)),
    chain: str(a[U.NFTA_RULE_CHAIN] ?? Buffer.alloc(0)),
    expressions: [],
  };
  const ex = a[U.NFTA_RULE_EXPRESSIONS];
  if (ex !== undefined) {
    walkAttrs(ex, 0, ex.length, (type, _n, at, len) => {
      if (type !== U.NFTA_LIST_ELEM) throw new DecodeError('rule expressions: unexpected attribute');
      r.expressions.push(decodeExprBodyAt(ex, at, len) as Expression);
    });
  }
  if (a[U.NFTA_RULE_HANDLE]) r.handle = Number(be64(a[U.NFTA_RULE_HANDLE], 'rule handle'));
  if (a[U.NFTA_RULE_POSITION]) r.position = Number(be64(a[U.NFTA_RULE_POSITION], 'rule position'));
  const ud = a[U.NFTA_RULE_USERDATA];
  if (ud !== undefined) {
    r.userdata = new Uint8Array(ud);
    const c = commentOf(ud);
    if (c !== undefined) r.comment = c;
  }
  return r;
}
