// Rules: a list of expressions in a chain, with a kernel handle, an
// optional position (insert before / add after a handle) and a comment.
import { FAMILIES, type Family } from './enums.js';
import { encodeExpr, validateExpr, type Expression } from './expr/index.js';
import { decodeExprBodyAt } from './expr/spec.js';
import type { Expr } from './expr/spec.js';
import { checkFamily, checkName, checkUint, NftValidationError } from './names.js';
import { checkComment, commentOf, commentUserdata, checkUserdata } from './udata.js';
import * as U from './uapi.js';
import { attrLen, attrType, be32At, be64NumberAt, DecodeError, nextAttr, strAt, type NameCache, type NfMessage, type Writer } from './wire.js';

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
  /**
   * NFTA_RULE_COMPAT: what iptables-nft tells the kernel's xtables matches of
   * the rule (`-p udp` for `-m udp`: the layer-4 protocol, and flag 1 for
   * `! -p`); their checks refuse the rule without it.
   */
  compat?: { proto: number; flags: number };
}

export function validateRule(r: Rule, where: string): void {
  checkFamily(r.family, where);
  if (r.userdata !== undefined) checkUserdata(r.userdata, where);
  checkName(r.table, `${where}: table`);
  checkName(r.chain, `${where}: chain`);
  if (!Array.isArray(r.expressions)) throw new NftValidationError(`${where}: expressions must be an array`);
  r.expressions.forEach((e, i) => validateExpr(e as Expr, `${where}: expression ${i}`));
  if (r.comment !== undefined) checkComment(r.comment, where);
  if (r.handle !== undefined) checkUint(r.handle, Number.MAX_SAFE_INTEGER, `${where}: handle`);
  if (r.position !== undefined) checkUint(r.position, Number.MAX_SAFE_INTEGER, `${where}: position`);
  if (r.compat !== undefined) {
    checkUint(r.compat.proto, 0xffffffff, `${where}: compat.proto`);
    checkUint(r.compat.flags, 0xffffffff, `${where}: compat.flags`);
  }
}

/** NFT_MSG_NEWRULE body. */
export function encodeRule(w: Writer, r: Rule, withHandle: boolean, chainId?: number): void {
  w.strz(U.NFTA_RULE_TABLE, r.table);
  // A rule of a chain bound to another rule names it by its transaction id, as nft does.
  if (chainId !== undefined) w.be32(U.NFTA_RULE_CHAIN_ID, chainId);
  else w.strz(U.NFTA_RULE_CHAIN, r.chain);
  if (withHandle && r.handle !== undefined) w.be64(U.NFTA_RULE_HANDLE, BigInt(r.handle));
  if (r.position !== undefined) w.be64(U.NFTA_RULE_POSITION, BigInt(r.position));
  const t = w.nest(U.NFTA_RULE_EXPRESSIONS);
  for (const e of r.expressions) encodeExpr(w, e as Expr);
  w.end(t);
  if (r.compat !== undefined) {
    const c = w.nest(U.NFTA_RULE_COMPAT);
    w.be32(U.NFTA_RULE_COMPAT_PROTO, r.compat.proto);
    w.be32(U.NFTA_RULE_COMPAT_FLAGS, r.compat.flags);
    w.end(c);
  }
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
  return decodeRuleAt(m.raw, m.attrs, m.raw.length, m.family);
}

/** Name caches for a run of rules (a listing reads the same table and chain names over and over). */
export interface RuleNames {
  table: NameCache;
  chain: NameCache;
}

/**
 * Decodes the NEWRULE attributes in buf[off, end) of a message of this
 * family; the same result as decodeRule, read in place. When a type repeats,
 * the last one wins.
 */
export function decodeRuleAt(buf: Buffer, off: number, end: number, family: number, names?: RuleNames): Rule {
  let tableAt = -1, tableLen = 0, chainAt = -1, chainLen = 0, exAt = -1, exLen = 0;
  let handleAt = -1, handleLen = 0, posAt = -1, posLen = 0, udAt = -1, udLen = 0, compatAt = -1, compatLen = 0;
  for (let p = off; end - p >= 4;) {
    const len = attrLen(buf, p, end);
    switch (attrType(buf, p)) {
      case U.NFTA_RULE_TABLE: tableAt = p + 4; tableLen = len - 4; break;
      case U.NFTA_RULE_CHAIN: chainAt = p + 4; chainLen = len - 4; break;
      case U.NFTA_RULE_EXPRESSIONS: exAt = p + 4; exLen = len - 4; break;
      case U.NFTA_RULE_HANDLE: handleAt = p + 4; handleLen = len - 4; break;
      case U.NFTA_RULE_POSITION: posAt = p + 4; posLen = len - 4; break;
      case U.NFTA_RULE_USERDATA: udAt = p + 4; udLen = len - 4; break;
      case U.NFTA_RULE_COMPAT: compatAt = p + 4; compatLen = len - 4; break;
    }
    p = nextAttr(p, len);
  }
  const r: Rule = {
    family: FAMILIES.name(family) as Family,
    table: tableAt < 0 ? '' : names !== undefined ? names.table.get(buf, tableAt, tableLen) : strAt(buf, tableAt, tableLen),
    chain: chainAt < 0 ? '' : names !== undefined ? names.chain.get(buf, chainAt, chainLen) : strAt(buf, chainAt, chainLen),
    expressions: [],
  };
  if (exAt >= 0) {
    const exEnd = exAt + exLen;
    for (let p = exAt; exEnd - p >= 4;) {
      const len = attrLen(buf, p, exEnd);
      if (attrType(buf, p) !== U.NFTA_LIST_ELEM) throw new DecodeError('rule expressions: unexpected attribute');
      r.expressions.push(decodeExprBodyAt(buf, p + 4, len - 4) as Expression);
      p = nextAttr(p, len);
    }
  }
  if (compatAt >= 0) {
    let proto = 0, flags = 0;
    const cEnd = compatAt + compatLen;
    for (let p = compatAt; cEnd - p >= 4;) {
      const len = attrLen(buf, p, cEnd);
      const type = attrType(buf, p);
      if (type === U.NFTA_RULE_COMPAT_PROTO) proto = be32At(buf, p + 4, len - 4, 'rule compat proto');
      else if (type === U.NFTA_RULE_COMPAT_FLAGS) flags = be32At(buf, p + 4, len - 4, 'rule compat flags');
      p = nextAttr(p, len);
    }
    r.compat = { proto, flags };
  }
  if (handleAt >= 0) r.handle = be64NumberAt(buf, handleAt, handleLen, 'rule handle');
  if (posAt >= 0) r.position = be64NumberAt(buf, posAt, posLen, 'rule position');
  if (udAt >= 0) {
    const ud = buf.subarray(udAt, udAt + udLen);
    r.userdata = new Uint8Array(ud);
    const c = commentOf(ud);
    if (c !== undefined) r.comment = c;
  }
  return r;
}
