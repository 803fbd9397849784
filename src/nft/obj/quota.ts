// quota NAME { [over] N UNIT [used N UNIT] }
import { quotaText } from '../expr/quota.js';
import * as U from '../uapi.js';
import { registerObject } from './spec.js';

export const quotaObject = registerObject({
  type: U.NFT_OBJECT_QUOTA,
  name: 'quota',
  fields: [
    { key: 'bytes', attr: U.NFTA_QUOTA_BYTES, kind: 'be64' },
    { key: 'used', attr: U.NFTA_QUOTA_CONSUMED, kind: 'be64' },
    { key: 'flags', attr: U.NFTA_QUOTA_FLAGS, kind: 'be32' },
  ],
  print: (f, t) => [`${t}${quotaText((f.bytes as number | undefined) ?? 0, (f.flags as number | undefined) ?? 0, (f.used as number | undefined) ?? 0)}`],
});
