// ct: conntrack state into a register (`ct state established,related`,
// `ct original ip daddr`, `ct mark`), or a register into conntrack (`ct mark set 1`).
import { explicit, fromPrefix } from '../enums.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export type CtKey = 'state' | 'direction' | 'status' | 'mark' | 'secmark' | 'expiration' | 'helper' | 'l3protocol' |
  'src' | 'dst' | 'protocol' | 'proto_src' | 'proto_dst' | 'labels' | 'pkts' | 'bytes' | 'avgpkt' | 'zone' |
  'eventmask' | 'src_ip' | 'dst_ip' | 'src_ip6' | 'dst_ip6' | 'id';
export const CT_KEYS = fromPrefix<CtKey>('ct key', 'NFT_CT_');
export const CT_DIRECTIONS = explicit<'original' | 'reply'>('ct direction', [['original', 0], ['reply', 1]]);

export interface CtExpr {
  type: 'ct';
  key: CtKey | number;
  direction?: 'original' | 'reply';
  dreg?: number;
  sreg?: number;
}

export function ctLen(key: string | number): number | undefined {
  switch (key) {
    case 'l3protocol': case 'protocol': return 1;
    case 'proto_src': case 'proto_dst': case 'zone': return 2;
    case 'labels': case 'src_ip6': case 'dst_ip6': case 'src': case 'dst': return 16;
    case 'expiration': case 'pkts': case 'bytes': case 'avgpkt': return key === 'expiration' ? 4 : 8;
    case 'helper': return 16;
    default: return 4;
  }
}

export const ct = register({
  name: 'ct',
  fields: [
    { key: 'key', attr: U.NFTA_CT_KEY, kind: 'be32', enum: CT_KEYS },
    { key: 'dreg', attr: U.NFTA_CT_DREG, kind: 'reg', regLen: (e) => ctLen(e.key as string) },
    { key: 'direction', attr: U.NFTA_CT_DIRECTION, kind: 'u8', enum: CT_DIRECTIONS },
    { key: 'sreg', attr: U.NFTA_CT_SREG, kind: 'reg', regLen: (e) => ctLen(e.key as string) },
  ],
});
