// secmark NAME { "context" }
import * as U from '../uapi.js';
import { registerObject } from './spec.js';

export const secmarkObject = registerObject({
  type: U.NFT_OBJECT_SECMARK,
  name: 'secmark',
  fields: [{ key: 'ctx', attr: U.NFTA_SECMARK_CTX, kind: 'strn' }],
  print: (f, t) => [`${t}"${(f.ctx as string | undefined) ?? ''}"`],
});
