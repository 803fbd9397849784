// quota: `quota 25 mbytes`, `quota over 1 gbytes used 10 mbytes`.
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface QuotaExpr {
  type: 'quota';
  bytes: number;
  /** NFT_QUOTA_F_INV (1): `over`. */
  flags?: number;
  consumed?: number;
}

export const quota = register({
  name: 'quota',
  fields: [
    { key: 'bytes', attr: U.NFTA_QUOTA_BYTES, kind: 'be64' },
    { key: 'consumed', attr: U.NFTA_QUOTA_CONSUMED, kind: 'be64' },
    { key: 'flags', attr: U.NFTA_QUOTA_FLAGS, kind: 'be32' },
  ],
});
