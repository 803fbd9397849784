// dynset: add/update/delete a set element from the packet path
// (`update @affinity { ip saddr timeout 3h }`, `add @seen { ip saddr counter }`).
import { fromPrefix } from '../enums.js';
import * as U from '../uapi.js';
import { register, type Expr } from './spec.js';

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
});
