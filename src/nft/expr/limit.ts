// limit: `limit rate 10/second burst 5 packets`, `limit rate over 1 mbytes/second`.
import { explicit } from '../enums.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export const LIMIT_TYPES = explicit<'packets' | 'bytes'>('limit type', [['packets', U.NFT_LIMIT_PKTS], ['bytes', U.NFT_LIMIT_PKT_BYTES]]);

export interface LimitExpr {
  type: 'limit';
  rate: number;
  /** Seconds per unit: 1 second, 60 minute, 3600 hour, 86400 day, 604800 week. */
  unit: number;
  burst?: number;
  limitType: 'packets' | 'bytes';
  /** NFT_LIMIT_F_INV (1): `rate over`. */
  flags?: number;
}

export const limit = register({
  name: 'limit',
  fields: [
    { key: 'rate', attr: U.NFTA_LIMIT_RATE, kind: 'be64' },
    { key: 'unit', attr: U.NFTA_LIMIT_UNIT, kind: 'be64' },
    { key: 'burst', attr: U.NFTA_LIMIT_BURST, kind: 'be32' },
    { key: 'limitType', attr: U.NFTA_LIMIT_TYPE, kind: 'be32', enum: LIMIT_TYPES },
    { key: 'flags', attr: U.NFTA_LIMIT_FLAGS, kind: 'be32' },
  ],
});
