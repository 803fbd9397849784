// lookup: `ip daddr @allowed` (membership), `ip daddr != @blocked` (flags: 1, inverted),
// or a map lookup into dreg (`vmap @services` puts the verdict in register 0).
import * as U from '../uapi.js';
import { register } from './spec.js';

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

export const lookup = register({
  name: 'lookup',
  fields: [
    { key: 'sreg', attr: U.NFTA_LOOKUP_SREG, kind: 'reg' },
    { key: 'dreg', attr: U.NFTA_LOOKUP_DREG, kind: 'be32' },
    { key: 'set', attr: U.NFTA_LOOKUP_SET, kind: 'str' },
    { key: 'setId', attr: U.NFTA_LOOKUP_SET_ID, kind: 'be32' },
    { key: 'flags', attr: U.NFTA_LOOKUP_FLAGS, kind: 'be32' },
  ],
});
