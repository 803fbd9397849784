// queue: `queue num 3 bypass` (hand the packet to userspace).
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface QueueExpr {
  type: 'queue';
  num?: number;
  total?: number;
  /** NFT_QUEUE_FLAG_BYPASS (1), NFT_QUEUE_FLAG_CPU_FANOUT (2). */
  flags?: number;
  sregQnum?: number;
}

export const queue = register({
  name: 'queue',
  fields: [
    { key: 'num', attr: U.NFTA_QUEUE_NUM, kind: 'be16' },
    { key: 'total', attr: U.NFTA_QUEUE_TOTAL, kind: 'be16' },
    { key: 'flags', attr: U.NFTA_QUEUE_FLAGS, kind: 'be16' },
    { key: 'sregQnum', attr: U.NFTA_QUEUE_SREG_QNUM, kind: 'reg' },
  ],
});
