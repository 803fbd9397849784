// counter NAME { packets N bytes N }
import * as U from '../uapi.js';
import { registerObject } from './spec.js';

export const counterObject = registerObject({
  type: U.NFT_OBJECT_COUNTER,
  name: 'counter',
  fields: [
    { key: 'bytes', attr: U.NFTA_COUNTER_BYTES, kind: 'be64' },
    { key: 'packets', attr: U.NFTA_COUNTER_PACKETS, kind: 'be64' },
  ],
  print: (f, t) => [`${t}packets ${(f.packets as number | undefined) ?? 0} bytes ${(f.bytes as number | undefined) ?? 0}`],
});
