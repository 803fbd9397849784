// limit NAME { rate [over] N/UNIT [burst N packets] }
import { limitText } from '../expr/limit.js';
import * as U from '../uapi.js';
import { registerObject } from './spec.js';

export const limitObject = registerObject({
  type: U.NFT_OBJECT_LIMIT,
  name: 'limit',
  fields: [
    { key: 'rate', attr: U.NFTA_LIMIT_RATE, kind: 'be64' },
    { key: 'unit', attr: U.NFTA_LIMIT_UNIT, kind: 'be64' },
    { key: 'burst', attr: U.NFTA_LIMIT_BURST, kind: 'be32' },
    { key: 'limitType', attr: U.NFTA_LIMIT_TYPE, kind: 'be32' },
    { key: 'flags', attr: U.NFTA_LIMIT_FLAGS, kind: 'be32' },
  ],
  print: (f, t) => [`${t}${limitText({ rate: (f.rate as number) ?? 0, unit: (f.unit as number) ?? 0, burst: (f.burst as number) ?? 0,
    limitType: (f.limitType as number) ?? 0, flags: (f.flags as number) ?? 0 })}`],
});
