// meta: packet metadata into a register (`meta l4proto`, `iifname`, `meta mark`),
// or a register into metadata (`meta mark set 0x4000`).
import { fromPrefix } from '../enums.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export type MetaKey = 'len' | 'protocol' | 'priority' | 'mark' | 'iif' | 'oif' | 'iifname' | 'oifname' | 'iiftype' |
  'skuid' | 'skgid' | 'nftrace' | 'rtclassid' | 'secmark' | 'nfproto' | 'l4proto' | 'bri_iifname' | 'bri_oifname' |
  'pkttype' | 'cpu' | 'iifgroup' | 'oifgroup' | 'cgroup' | 'prandom' | 'secpath' | 'iifkind' | 'oifkind' |
  'time_ns' | 'time_day' | 'time_hour' | 'sdif' | 'sdifname' | (string & {});
export const META_KEYS = fromPrefix<MetaKey>('meta key', 'NFT_META_', ['iftype']);

export interface MetaExpr {
  type: 'meta';
  key: MetaKey | number;
  dreg?: number;
  sreg?: number;
}

/** Bytes a meta key loads (for register checks and printing). */
export function metaLen(key: string | number): number | undefined {
  switch (key) {
    case 'iifname': case 'oifname': case 'bri_iifname': case 'bri_oifname': case 'iifkind': case 'oifkind': case 'sdifname': return 16;
    case 'nfproto': case 'l4proto': case 'pkttype': case 'nftrace': case 'secpath': case 'time_day': return 1;
    case 'protocol': case 'iiftype': return 2;
    case 'time_ns': return 8;
    default: return 4;
  }
}

export const meta = register({
  name: 'meta',
  fields: [
    { key: 'key', attr: U.NFTA_META_KEY, kind: 'be32', enum: META_KEYS },
    { key: 'dreg', attr: U.NFTA_META_DREG, kind: 'reg', regLen: (e) => metaLen(e.key as string) },
    { key: 'sreg', attr: U.NFTA_META_SREG, kind: 'reg', regLen: (e) => metaLen(e.key as string) },
  ],
});
