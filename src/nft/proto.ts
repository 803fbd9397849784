// The protocol headers nft 1.0.6 knows (proto.c): each header's fields as
// templates (name, type, offset and length in bits), the field that names
// the next header (`ip protocol`, `ether type`) and the headers it links to.
// The printer walks these to name what a payload load reads (`tcp dport`)
// and to tell which matches are implied dependencies; template indexes are
// nft's (they travel in set `typeof` userdata).
import { dataType, fieldInteger, type ByteOrder, type DataType } from './datatypes.js';

/** nft's protocol bases: 1 link layer, 2 network, 3 transport, 4 inner (payload data). */
export const BASE_LL = 1, BASE_NH = 2, BASE_TH = 3, BASE_IH = 4;
export const BASE_TOKENS = ['invalid', 'll', 'nh', 'th', 'ih'];

/** The icmp type a field exists for (nft's icmp_hdr_field_type). */
export const enum IcmpDep { Any = 0, Echo, Mtu, Address, Icmp6Mtu, Icmp6Pptr, Icmp6Echo, Icmp6Mgmq }

export interface Template {
  token: string;
  dtype: DataType;
  order: ByteOrder;
  /** Bits from the start of the header. */
  offset: number;
  len: number;
  /** A meta template (index 0): the dependency is `meta <key>`, not a header field. */
  metaKey?: string;
  icmpDep?: IcmpDep;
}

export interface ProtoDesc {
  name: string;
  /** nft's PROTO_DESC_* id (0 for the pseudo headers inet, netdev, inet-service). */
  id: number;
  base: number;
  /** The template that names the next header (0: none, or the meta template). */
  protocolKey: number;
  /** Header length in bits, for stacked link layer headers (vlan in ether). */
  length: number;
  protocols: [num: number, desc: ProtoDesc][];
  /** Indexed by nft's field enum; holes are unused slots (nft's zeroed templates). */
  templates: (Template | undefined)[];
}

const T = (token: string, type: DataType | string, offset: number, len: number, icmpDep?: IcmpDep): Template =>
  ({ token, dtype: typeof type === 'string' ? dataType(type) : type, order: 'big', offset, len, ...(icmpDep !== undefined ? { icmpDep } : {}) });
const I = (token: string, offset: number, len: number, icmpDep?: IcmpDep): Template => T(token, fieldInteger(Math.ceil(len / 8)), offset, len, icmpDep);
const M = (token: string, type: string, key: string, len: number): Template => ({ ...T(token, type, 0, len), metaKey: key });

function desc(name: string, id: number, base: number, templates: [number, Template][], protocolKey = 0, length = 0): ProtoDesc {
  const t: (Template | undefined)[] = [];
  for (const [i, tmpl] of templates) t[i] = tmpl;
  return { name, id, base, protocolKey, length, protocols: [], templates: t };
}

export const AH = desc('ah', 1, BASE_TH, [[1, T('nexthdr', 'inet_proto', 0, 8)], [2, I('hdrlength', 8, 8)], [3, I('reserved', 16, 16)], [4, I('spi', 32, 32)], [5, I('sequence', 64, 32)]], 1);
export const ESP = desc('esp', 2, BASE_TH, [[1, I('spi', 0, 32)], [2, I('sequence', 32, 32)]]);
export const COMP = desc('comp', 3, BASE_TH, [[1, T('nexthdr', 'inet_proto', 0, 8)], [2, T('flags', fieldBitmask(), 8, 8)], [3, I('cpi', 16, 16)]], 1);
export const ICMP = desc('icmp', 4, BASE_TH, [
  [1, T('type', 'icmp_type', 0, 8)], [2, T('code', 'icmp_code', 8, 8)], [3, I('checksum', 16, 16, IcmpDep.Any)],
  [4, I('id', 32, 16, IcmpDep.Echo)], [5, I('sequence', 48, 16, IcmpDep.Echo)], [6, I('gateway', 32, 32, IcmpDep.Address)],
  [7, I('mtu', 48, 16, IcmpDep.Mtu)],
], 1);
export const IGMP = desc('igmp', 5, BASE_TH, [[1, T('type', 'igmp_type', 0, 8)], [2, I('checksum', 16, 16)], [3, I('mrt', 8, 8)], [4, I('group', 32, 32)]]);
export const UDP = desc('udp', 6, BASE_TH, [[1, T('sport', 'inet_service', 0, 16)], [2, T('dport', 'inet_service', 16, 16)], [3, I('length', 32, 16)], [4, I('checksum', 48, 16)]]);
export const UDPLITE = desc('udplite', 7, BASE_TH, [[1, T('sport', 'inet_service', 0, 16)], [2, T('dport', 'inet_service', 16, 16)], [3, I('csumcov', 32, 16)], [4, I('checksum', 48, 16)]]);
export const TCP = desc('tcp', 8, BASE_TH, [
  [1, T('sport', 'inet_service', 0, 16)], [2, T('dport', 'inet_service', 16, 16)], [3, I('sequence', 32, 32)], [4, I('ackseq', 64, 32)],
  [5, I('doff', 96, 4)], [6, I('reserved', 100, 4)], [7, T('flags', 'tcp_flag', 104, 8)], [8, I('window', 112, 16)],
  [9, I('checksum', 128, 16)], [10, I('urgptr', 144, 16)],
]);
export const DCCP = desc('dccp', 9, BASE_TH, [[1, T('sport', 'inet_service', 0, 16)], [2, T('dport', 'inet_service', 16, 16)], [3, T('type', 'dccp_pkttype', 67, 4)]]);
export const SCTP = desc('sctp', 10, BASE_TH, [[1, T('sport', 'inet_service', 0, 16)], [2, T('dport', 'inet_service', 16, 16)], [3, I('vtag', 32, 32)], [4, I('checksum', 64, 32)]]);
export const TH = desc('th', 11, BASE_TH, [[1, T('sport', 'inet_service', 0, 16)], [2, T('dport', 'inet_service', 16, 16)]]);
export const IP = desc('ip', 12, BASE_NH, [
  [0, M('l4proto', 'inet_proto', 'l4proto', 8)],
  [1, I('version', 0, 4)], [2, I('hdrlength', 4, 4)], [3, T('dscp', 'dscp', 8, 6)], [4, T('ecn', 'ecn', 14, 2)],
  [5, I('length', 16, 16)], [6, I('id', 32, 16)], [7, I('frag-off', 48, 16)], [8, I('ttl', 64, 8)],
  [9, T('protocol', 'inet_proto', 72, 8)], [10, I('checksum', 80, 16)], [11, T('saddr', 'ipv4_addr', 96, 32)], [12, T('daddr', 'ipv4_addr', 128, 32)],
]);
export const ICMP6 = desc('icmpv6', 14, BASE_TH, [
  [1, T('type', 'icmpv6_type', 0, 8)], [2, T('code', 'icmpv6_code', 8, 8)], [3, I('checksum', 16, 16, IcmpDep.Any)],
  [4, I('parameter-problem', 32, 32, IcmpDep.Icmp6Pptr)], [5, I('mtu', 32, 32, IcmpDep.Icmp6Mtu)], [6, I('id', 32, 16, IcmpDep.Icmp6Echo)],
  [7, I('sequence', 48, 16, IcmpDep.Icmp6Echo)], [8, I('max-delay', 32, 16, IcmpDep.Icmp6Mgmq)],
], 1);
export const IP6 = desc('ip6', 13, BASE_NH, [
  [0, M('l4proto', 'inet_proto', 'l4proto', 8)],
  [1, I('version', 0, 4)], [2, T('dscp', 'dscp', 4, 6)], [3, T('ecn', 'ecn', 10, 2)], [4, I('flowlabel', 12, 20)],
  [5, I('length', 32, 16)], [6, T('nexthdr', 'inet_proto', 48, 8)], [7, I('hoplimit', 56, 8)],
  [8, T('saddr', 'ipv6_addr', 64, 128)], [9, T('daddr', 'ipv6_addr', 192, 128)],
]);
export const INET = desc('inet', 0, BASE_LL, [[0, M('nfproto', 'nf_proto', 'nfproto', 8)]]);
export const INET_SERVICE = desc('inet-service', 0, BASE_TH, [[0, M('l4proto', 'inet_proto', 'l4proto', 8)]]);
export const ARP = desc('arp', 15, BASE_NH, [
  [1, I('htype', 0, 16)], [2, T('ptype', 'ether_type', 16, 16)], [3, I('hlen', 32, 8)], [4, I('plen', 40, 8)],
  [5, T('operation', 'arp_op', 48, 16)], [6, T('saddr ether', 'ether_addr', 64, 48)], [7, T('saddr ip', 'ipv4_addr', 112, 32)],
  [8, T('daddr ether', 'ether_addr', 144, 48)], [9, T('daddr ip', 'ipv4_addr', 192, 32)],
]);
export const VLAN = desc('vlan', 16, BASE_LL, [
  [1, I('pcp', 0, 3)], [2, I('dei', 3, 1)], [3, I('cfi', 3, 1)], [4, I('id', 4, 12)], [5, T('type', 'ether_type', 16, 16)],
], 5, 32);
export const ETH = desc('ether', 17, BASE_LL, [[1, T('daddr', 'ether_addr', 0, 48)], [2, T('saddr', 'ether_addr', 48, 48)], [3, T('type', 'ether_type', 96, 16)]], 3, 112);
export const NETDEV = desc('netdev', 0, BASE_LL, [[0, M('protocol', 'ether_type', 'protocol', 16)]]);

// nft's comp flags are of the bitmask type itself (not a type based on it).
function fieldBitmask(): DataType {
  return { ...dataType('bitmask'), len: 1, bits: 8, order: 'big' };
}

const L4 = (): [number, ProtoDesc][] => [[50, ESP], [51, AH], [108, COMP], [17, UDP], [136, UDPLITE], [6, TCP], [33, DCCP], [132, SCTP]];
const ETHERTYPES = (): [number, ProtoDesc][] => [[0x0800, IP], [0x0806, ARP], [0x86dd, IP6], [0x8100, VLAN], [0x88a8, VLAN]];
AH.protocols = L4();
COMP.protocols = L4();
IP.protocols = [[1, ICMP], [2, IGMP], [58, ICMP6], ...L4()];
IP6.protocols = [...L4(), [1, ICMP], [2, IGMP], [58, ICMP6]];
INET.protocols = [[2, IP], [10, IP6]];
INET_SERVICE.protocols = [...L4(), [1, ICMP], [2, IGMP], [58, ICMP6]];
VLAN.protocols = ETHERTYPES();
ETH.protocols = ETHERTYPES();
NETDEV.protocols = ETHERTYPES();

/** nft's proto_definitions, by PROTO_DESC_* id (set typeof userdata names headers by it). */
export const PROTO_BY_ID: (ProtoDesc | undefined)[] = [undefined, AH, ESP, COMP, ICMP, IGMP, UDP, UDPLITE, TCP, DCCP, SCTP, TH, IP, IP6, ICMP6, ARP, VLAN, ETH];

/** The header a table family's packets start at (hook_proto_desc). */
export function hookProto(family: string): { base: number; desc: ProtoDesc } | undefined {
  switch (family) {
    case 'bridge': return { base: BASE_LL, desc: ETH };
    case 'netdev': return { base: BASE_LL, desc: NETDEV };
    case 'inet': return { base: BASE_LL, desc: INET };
    case 'ip': return { base: BASE_NH, desc: IP };
    case 'ip6': return { base: BASE_NH, desc: IP6 };
    case 'arp': return { base: BASE_NH, desc: ARP };
    default: return undefined;
  }
}

/** The header that protocol number `num` of `base` links to (proto_find_upper). */
export function protoUpper(base: ProtoDesc | undefined, num: number): ProtoDesc | undefined {
  return base?.protocols.find(([n]) => n === num)?.[1];
}

/** The protocol number linking two headers (proto_find_num), or -1. */
export function protoNum(base: ProtoDesc | undefined, upper: ProtoDesc | undefined): number {
  return base?.protocols.find(([, d]) => d === upper)?.[0] ?? -1;
}

/** nft's field ids of a template (`flags & EXPR_F_PROTOCOL`): the one naming the next header. */
export function isProtocolField(d: ProtoDesc, index: number): boolean {
  return index === d.protocolKey || (d === IP6 && index === 6) || (d === IP && index === 9);
}

/** A template's index in its header. */
export function templateIndex(d: ProtoDesc, t: Template): number {
  return d.templates.indexOf(t);
}
