// ct expectation NAME { protocol tcp; dport 22; timeout 10s; size 8; l3proto ip }
import { timeText } from '../print/value.js';
import { PROTOCOL_NAMES } from '../symbols.js';
import * as U from '../uapi.js';
import { l3protoText } from './family.js';
import { registerObject } from './spec.js';

export const ctExpectObject = registerObject({
  type: U.NFT_OBJECT_CT_EXPECT,
  name: 'ct expectation',
  fields: [
    { key: 'l3proto', attr: U.NFTA_CT_EXPECT_L3PROTO, kind: 'be16' },
    { key: 'l4proto', attr: U.NFTA_CT_EXPECT_L4PROTO, kind: 'u8' },
    { key: 'dport', attr: U.NFTA_CT_EXPECT_DPORT, kind: 'be16' },
    // The one host-order number of the lot (libnftnl and the kernel both put it as a plain u32).
    { key: 'timeout', attr: U.NFTA_CT_EXPECT_TIMEOUT, kind: 'u32' },
    { key: 'size', attr: U.NFTA_CT_EXPECT_SIZE, kind: 'u8' },
  ],
  print: (f, t) => {
    const l4 = (f.l4proto as number | undefined) ?? 0;
    return [`${t}protocol ${PROTOCOL_NAMES.get(l4) ?? l4}`, `${t}dport ${(f.dport as number | undefined) ?? 0}`,
      `${t}timeout ${timeText((f.timeout as number | undefined) ?? 0)}`, `${t}size ${(f.size as number | undefined) ?? 0}`,
      `${t}l3proto ${l3protoText(f.l3proto as number)}`];
  },
});
