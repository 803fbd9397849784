// connlimit: `ct count 10`, `ct count over 10`.
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface ConnlimitExpr {
  type: 'connlimit';
  count: number;
  /** NFT_CONNLIMIT_F_INV (1): `over`. */
  flags?: number;
}

export const connlimit = register({
  name: 'connlimit',
  fields: [
    { key: 'count', attr: U.NFTA_CONNLIMIT_COUNT, kind: 'be32' },
    { key: 'flags', attr: U.NFTA_CONNLIMIT_FLAGS, kind: 'be32' },
  ],
});
