// The packet fields nft names (`ip saddr`, `tcp dport`, `meta l4proto`,
// `ct state`, ...): which expression loads each, and the data type of what
// it loads. The builders use it forwards, the printer backwards.
import { dataType, type DataType } from './datatypes.js';
import type { Expression } from './expr/index.js';

export interface Field {
  /** nft's name: 'ip saddr'. */
  name: string;
  type: DataType;
  /** The load expression into dreg. */
  load(dreg: number): Expression;
  /** For tcp/udp fields: the l4 protocol nft checks first (`meta l4proto tcp`). */
  l4proto?: number;
  /** For ip/ip6 fields in inet/bridge/netdev tables: the nfproto nft checks first. */
  nfproto?: number;
}

const payload = (base: 'network_header' | 'transport_header', offset: number, len: number) =>
  (dreg: number): Expression => ({ type: 'payload', base, offset, len, dreg });

function pf(name: string, type: string, base: 'network_header' | 'transport_header', offset: number, len: number, extra: Partial<Field> = {}): Field {
  return { name, type: dataType(type), load: payload(base, offset, len), ...extra };
}

const FIELDS: Field[] = [
  pf('ip saddr', 'ipv4_addr', 'network_header', 12, 4, { nfproto: 2 }),
  pf('ip daddr', 'ipv4_addr', 'network_header', 16, 4, { nfproto: 2 }),
  pf('ip protocol', 'inet_proto', 'network_header', 9, 1, { nfproto: 2 }),
  pf('ip6 saddr', 'ipv6_addr', 'network_header', 8, 16, { nfproto: 10 }),
  pf('ip6 daddr', 'ipv6_addr', 'network_header', 24, 16, { nfproto: 10 }),
  pf('ip6 nexthdr', 'inet_proto', 'network_header', 6, 1, { nfproto: 10 }),
  pf('tcp sport', 'inet_service', 'transport_header', 0, 2, { l4proto: 6 }),
  pf('tcp dport', 'inet_service', 'transport_header', 2, 2, { l4proto: 6 }),
  pf('udp sport', 'inet_service', 'transport_header', 0, 2, { l4proto: 17 }),
  pf('udp dport', 'inet_service', 'transport_header', 2, 2, { l4proto: 17 }),
  pf('sctp sport', 'inet_service', 'transport_header', 0, 2, { l4proto: 132 }),
  pf('sctp dport', 'inet_service', 'transport_header', 2, 2, { l4proto: 132 }),
  pf('th sport', 'inet_service', 'transport_header', 0, 2),
  pf('th dport', 'inet_service', 'transport_header', 2, 2),
  { name: 'meta l4proto', type: dataType('inet_proto'), load: (dreg) => ({ type: 'meta', key: 'l4proto', dreg }) },
  { name: 'meta nfproto', type: dataType('nf_proto'), load: (dreg) => ({ type: 'meta', key: 'nfproto', dreg }) },
  { name: 'meta mark', type: dataType('mark'), load: (dreg) => ({ type: 'meta', key: 'mark', dreg }) },
  { name: 'iifname', type: dataType('ifname'), load: (dreg) => ({ type: 'meta', key: 'iifname', dreg }) },
  { name: 'oifname', type: dataType('ifname'), load: (dreg) => ({ type: 'meta', key: 'oifname', dreg }) },
  { name: 'iif', type: dataType('iface_index'), load: (dreg) => ({ type: 'meta', key: 'iif', dreg }) },
  { name: 'oif', type: dataType('iface_index'), load: (dreg) => ({ type: 'meta', key: 'oif', dreg }) },
  { name: 'ct state', type: dataType('ct_state'), load: (dreg) => ({ type: 'ct', key: 'state', dreg }) },
  { name: 'ct mark', type: dataType('mark'), load: (dreg) => ({ type: 'ct', key: 'mark', dreg }) },
];

const BY_NAME = new Map(FIELDS.map((f) => [f.name, f]));

export type FieldName =
  | 'ip saddr' | 'ip daddr' | 'ip protocol' | 'ip6 saddr' | 'ip6 daddr' | 'ip6 nexthdr'
  | 'tcp sport' | 'tcp dport' | 'udp sport' | 'udp dport' | 'sctp sport' | 'sctp dport' | 'th sport' | 'th dport'
  | 'meta l4proto' | 'meta nfproto' | 'meta mark' | 'iifname' | 'oifname' | 'iif' | 'oif' | 'ct state' | 'ct mark';

export function field(name: FieldName | string): Field {
  const f = BY_NAME.get(name);
  if (f === undefined) throw new TypeError(`unknown field ${JSON.stringify(name)}; known: ${[...BY_NAME.keys()].join(', ')}`);
  return f;
}

/** The field a payload load reads, by base/offset/len (undefined if nft has no name for it). */
export function payloadField(base: string | number, offset: number, len: number, family: 'ip' | 'ip6' | undefined, l4: string | undefined): Field | undefined {
  const candidates = FIELDS.filter((f) => {
    const e = f.load(1) as { type: string; base?: string; offset?: number; len?: number };
    return e.type === 'payload' && e.base === base && e.offset === offset && e.len === len;
  });
  if (base === 'transport_header') return candidates.find((f) => f.name.startsWith(`${l4 ?? 'th'} `)) ?? candidates.find((f) => f.name.startsWith('th '));
  return candidates.find((f) => family === undefined || f.name.startsWith(`${family} `)) ?? candidates[0];
}

/** The field a meta/ct load reads. */
export function keyField(type: 'meta' | 'ct', key: string | number): Field | undefined {
  return FIELDS.find((f) => {
    const e = f.load(1) as { type: string; key?: string };
    return e.type === type && e.key === key;
  });
}
