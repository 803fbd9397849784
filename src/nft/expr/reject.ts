// reject: `reject` (icmp port-unreachable), `reject with tcp reset`,
// `reject with icmpx admin-prohibited`, `reject with icmp host-unreachable`.
import { explicit } from '../enums.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export const REJECT_TYPES = explicit<'icmp' | 'tcp reset' | 'icmpx'>('reject type', [
  ['icmp', U.NFT_REJECT_ICMP_UNREACH], ['tcp reset', U.NFT_REJECT_TCP_RST], ['icmpx', U.NFT_REJECT_ICMPX_UNREACH],
]);

export interface RejectExpr {
  type: 'reject';
  rejectType: 'icmp' | 'tcp reset' | 'icmpx';
  /** ICMP(v6) code, or NFT_REJECT_ICMPX_* for icmpx. */
  code?: number;
}

export const reject = register({
  name: 'reject',
  fields: [
    { key: 'rejectType', attr: U.NFTA_REJECT_TYPE, kind: 'be32', enum: REJECT_TYPES },
    { key: 'code', attr: U.NFTA_REJECT_ICMP_CODE, kind: 'u8' },
  ],
});
