// masq: `masquerade [random|fully-random|persistent] [to :PORT]`.
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface MasqExpr {
  type: 'masq';
  flags?: number;
  regProtoMin?: number;
  regProtoMax?: number;
}

export const masq = register({
  name: 'masq',
  fields: [
    { key: 'flags', attr: U.NFTA_MASQ_FLAGS, kind: 'be32' },
    { key: 'regProtoMin', attr: U.NFTA_MASQ_REG_PROTO_MIN, kind: 'reg' },
    { key: 'regProtoMax', attr: U.NFTA_MASQ_REG_PROTO_MAX, kind: 'reg' },
  ],
});
