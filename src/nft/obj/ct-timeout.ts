// ct timeout NAME { protocol tcp; l3proto ip; policy = { established : 100, ... } }
import { PROTOCOL_NAMES } from '../symbols.js';
import * as U from '../uapi.js';
import { attrTable } from '../wire.js';
import { l3protoText } from './family.js';
import { registerObject } from './spec.js';

// nft's timeout policy state names per protocol (print_proto_timeout_policy), and the defaults it leaves out.
const TCP_STATES = ['syn_sent', 'syn_recv', 'established', 'fin_wait', 'close_wait', 'last_ack', 'time_wait', 'close', 'syn_sent2', 'retrans', 'unack'];
const UDP_STATES = ['unreplied', 'replied'];
const TCP_DEFAULTS = [120, 60, 432000, 120, 60, 30, 120, 10, 120, 300, 300];
const UDP_DEFAULTS = [30, 120];

function policy(l4: number, data: Uint8Array | undefined, t: string): string {
  const states = l4 === 6 ? TCP_STATES : l4 === 17 ? UDP_STATES : [];
  const defaults = l4 === 6 ? TCP_DEFAULTS : l4 === 17 ? UDP_DEFAULTS : [];
  const a = data !== undefined ? attrTable(Buffer.from(data.buffer, data.byteOffset, data.byteLength)) : [];
  const parts: string[] = [];
  states.forEach((name, i) => {
    const v = a[i + 1];
    const n = v !== undefined && v.length === 4 ? v.readUInt32BE(0) : 0;
    if (n !== defaults[i]) parts.push(`${name} : ${n}`);
  });
  return `${t}policy = { ${parts.join(', ')} }`;
}

export const ctTimeoutObject = registerObject({
  type: U.NFT_OBJECT_CT_TIMEOUT,
  name: 'ct timeout',
  fields: [
    { key: 'l3proto', attr: U.NFTA_CT_TIMEOUT_L3PROTO, kind: 'be16' },
    { key: 'l4proto', attr: U.NFTA_CT_TIMEOUT_L4PROTO, kind: 'u8' },
    { key: 'policy', attr: U.NFTA_CT_TIMEOUT_DATA, kind: 'nest' },
  ],
  print: (f, t) => {
    const l4 = (f.l4proto as number | undefined) ?? 0;
    return [`${t}protocol ${PROTOCOL_NAMES.get(l4) ?? l4}`, `${t}l3proto ${l3protoText(f.l3proto as number)}`, policy(l4, f.policy as Uint8Array | undefined, t)];
  },
});
