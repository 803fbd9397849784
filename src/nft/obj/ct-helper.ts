// ct helper NAME { type "ftp" protocol tcp; l3proto ip }
import { PROTOCOL_NAMES } from '../symbols.js';
import * as U from '../uapi.js';
import { l3protoText } from './family.js';
import { registerObject } from './spec.js';

export const ctHelperObject = registerObject({
  type: U.NFT_OBJECT_CT_HELPER,
  name: 'ct helper',
  fields: [
    { key: 'helper', attr: U.NFTA_CT_HELPER_NAME, kind: 'strn' },
    { key: 'l3proto', attr: U.NFTA_CT_HELPER_L3PROTO, kind: 'be16' },
    { key: 'l4proto', attr: U.NFTA_CT_HELPER_L4PROTO, kind: 'u8' },
  ],
  print: (f, t) => {
    const l4 = (f.l4proto as number | undefined) ?? 0;
    return [`${t}type "${(f.helper as string | undefined) ?? ''}" protocol ${PROTOCOL_NAMES.get(l4) ?? l4}`, `${t}l3proto ${l3protoText(f.l3proto as number)}`];
  },
});
