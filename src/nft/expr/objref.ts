// objref: use a named stateful object (`counter name "http"`, `ct helper set "ftp"`,
// `quota name "q1"`), or pick one from a map by key (`counter name ip saddr map @counters`).
import { dataType } from '../datatypes.js';
import { fromPrefix } from '../enums.js';
import { exprText, type Node, type Out } from '../print/ast.js';
import { dataValue, type RuleParser } from '../print/delinearize.js';
import type { PostprocessStmt, RulePP } from '../print/postprocess.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export type ObjectType = 'counter' | 'quota' | 'ct_helper' | 'limit' | 'connlimit' | 'tunnel' | 'ct_timeout' | 'secmark' | 'ct_expect' | 'synproxy';
export const OBJECT_TYPES = fromPrefix<ObjectType>('object type', 'NFT_OBJECT_', ['unspec']);

export interface ObjrefExpr {
  type: 'objref';
  objType?: ObjectType | number;
  name?: string;
  setSreg?: number;
  set?: string;
  setId?: number;
}

/** How nft names object types in its syntax (`ct helper`, `ct expectation`). */
export const OBJECT_TYPE_NAMES: Record<number, string> = {
  [U.NFT_OBJECT_COUNTER]: 'counter', [U.NFT_OBJECT_QUOTA]: 'quota', [U.NFT_OBJECT_CT_HELPER]: 'ct helper',
  [U.NFT_OBJECT_LIMIT]: 'limit', [U.NFT_OBJECT_CT_TIMEOUT]: 'ct timeout', [U.NFT_OBJECT_SECMARK]: 'secmark',
  [U.NFT_OBJECT_SYNPROXY]: 'synproxy', [U.NFT_OBJECT_CT_EXPECT]: 'ct expectation',
};

/** objref_stmt_print. */
export class ObjrefStmt implements PostprocessStmt {
  readonly kind = 'objref';
  constructor(readonly objType: number, public expr: Node) {}
  print(o: Out): string {
    const head = this.objType === U.NFT_OBJECT_CT_HELPER ? 'ct helper set' : this.objType === U.NFT_OBJECT_CT_TIMEOUT ? 'ct timeout set'
      : this.objType === U.NFT_OBJECT_CT_EXPECT ? 'ct expectation set' : this.objType === U.NFT_OBJECT_SECMARK ? 'meta secmark set'
        : `${OBJECT_TYPE_NAMES[this.objType] ?? 'unknown'} name`;
    return `${head} ${exprText(this.expr, o)}`;
  }
  postprocess(pp: RulePP): void { this.expr = pp.expr(this.expr); }
}

// netlink_parse_objref: a name, or a map from a key to names.
function delinearize(e: ObjrefExpr, p: RuleParser): void {
  const str = dataType('string');
  if (e.name !== undefined) {
    const v = dataValue(Buffer.from(`${e.name}\0`));
    v.dtype = str;
    v.order = 'host';
    p.emit(new ObjrefStmt(OBJECT_TYPES.number(e.objType ?? 0), v));
    return;
  }
  let left = p.need(e.setSreg ?? 0, 'objref expression has no left hand side');
  const set = p.setOf(e.set ?? '', 'objref expression', { key: left, reg: e.setSreg!, data: 'object' });
  if (left.len < set.key.len) left = p.concatExpr(e.setSreg!, set.key.len);
  const map: Node = { k: 'map', map: left, mappings: { k: 'setref', set, len: 0, dtype: set.key.dtype, order: 'big', flags: 0 }, len: 0, dtype: str, order: 'host', flags: 0 };
  p.emit(new ObjrefStmt(set.objType ?? 0, map));
}

export const objref = register({
  name: 'objref',
  fields: [
    { key: 'objType', attr: U.NFTA_OBJREF_IMM_TYPE, kind: 'be32', enum: OBJECT_TYPES },
    // nft sends this name without a trailing NUL.
    { key: 'name', attr: U.NFTA_OBJREF_IMM_NAME, kind: 'strn' },
    { key: 'setSreg', attr: U.NFTA_OBJREF_SET_SREG, kind: 'reg' },
    { key: 'set', attr: U.NFTA_OBJREF_SET_NAME, kind: 'strn' },
    { key: 'setId', attr: U.NFTA_OBJREF_SET_ID, kind: 'be32' },
  ],
  delinearize: delinearize as never,
  refs: (e, r) => {
    if (typeof e.set === 'string') r.set(e.set);
    else if (e.set !== undefined) return false;
    if (typeof e.name === 'string') r.object(e.name);
    return true;
  },
});
