// counter: `counter packets 0 bytes 0`.
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface CounterExpr {
  type: 'counter';
  bytes?: number;
  packets?: number;
}

export const counter = register({
  name: 'counter',
  fields: [
    { key: 'bytes', attr: U.NFTA_COUNTER_BYTES, kind: 'be64' },
    { key: 'packets', attr: U.NFTA_COUNTER_PACKETS, kind: 'be64' },
  ],
});
