// cmp: compare a register with a constant (`== 10.0.0.1`, `!= 80`, `< 1024`).
import { fromPrefix } from '../enums.js';
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

export const cmp = register({
  name: 'cmp',
  fields: [
    { key: 'sreg', attr: U.NFTA_CMP_SREG, kind: 'reg', regLen: (e) => (e.data as Uint8Array | undefined)?.length },
    { key: 'op', attr: U.NFTA_CMP_OP, kind: 'be32', enum: CMP_OPS },
    { key: 'data', attr: U.NFTA_CMP_DATA, kind: 'value' },
  ],
});
