// range: `tcp dport 1000-2000` (inclusive, register compared as big-endian bytes).
import * as U from '../uapi.js';
import { CMP_OPS } from './cmp.js';
import { register } from './spec.js';

export interface RangeExpr {
  type: 'range';
  sreg: number;
  op: 'eq' | 'neq';
  from: Uint8Array;
  to: Uint8Array;
}

export const range = register({
  name: 'range',
  fields: [
    { key: 'sreg', attr: U.NFTA_RANGE_SREG, kind: 'reg', regLen: (e) => (e.from as Uint8Array | undefined)?.length },
    { key: 'op', attr: U.NFTA_RANGE_OP, kind: 'be32', enum: CMP_OPS },
    { key: 'from', attr: U.NFTA_RANGE_FROM_DATA, kind: 'value' },
    { key: 'to', attr: U.NFTA_RANGE_TO_DATA, kind: 'value' },
  ],
});
