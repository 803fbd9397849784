// immediate: a constant into a register, or a verdict into register 0
// (`accept`, `drop`, `jump svc-abc`, `goto ep-1`, `return`, `continue`, `queue`).
import * as U from '../uapi.js';
import type { Data } from './data.js';
import { register } from './spec.js';

export interface ImmediateExpr {
  type: 'immediate';
  /** 0 (NFT_REG_VERDICT) for a verdict. */
  dreg: number;
  data: Data;
}

export const immediate = register({
  name: 'immediate',
  fields: [
    { key: 'dreg', attr: U.NFTA_IMMEDIATE_DREG, kind: 'be32' },
    { key: 'data', attr: U.NFTA_IMMEDIATE_DATA, kind: 'data' },
  ],
});
