// The option and extension headers nft 1.0.6 knows (exthdr.c, tcpopt.c,
// ipopt.c, sctp_chunk.c): IPv6 extension headers (`frag more-fragments`,
// `srh sid[1]`), TCP options (`tcp option maxseg size`), IPv4 options (`ip
// option rr ptr`) and SCTP chunks (`sctp chunk init initial-tsn`), each a
// list of field templates like the protocol headers of proto.ts.
import { dataType, fieldInteger, type DataType } from './datatypes.js';
import type { Template } from './proto.js';

export interface ExthdrDesc {
  name: string;
  /** nft's EXTHDR_DESC_* id (IPv6 headers only; typeof userdata names them by it). */
  id: number;
  /** The header's number: IPv6 next header, TCP option kind, IP option type, SCTP chunk type. */
  type: number;
  templates: (Template | undefined)[];
}

/** NFT_EXTHDR_OP_*: where the header lives. */
export const EXTHDR_OP_IPV6 = 0, EXTHDR_OP_TCPOPT = 1, EXTHDR_OP_IPV4 = 2, EXTHDR_OP_SCTP = 3;

const T = (token: string, type: DataType | string, offset: number, len: number): Template =>
  ({ token, dtype: typeof type === 'string' ? dataType(type) : type, order: 'big', offset, len });
const I = (token: string, offset: number, len: number): Template => T(token, fieldInteger(Math.ceil(len / 8)), offset, len);

// IPv6 headers number their fields from 1; TCP options and SCTP chunks from 0.
function desc(name: string, type: number, fields: Template[], id = 0): ExthdrDesc {
  return { name, id, type, templates: [undefined, ...fields] };
}
function from0(name: string, type: number, fields: Template[]): ExthdrDesc {
  return { name, id: 0, type, templates: fields };
}
// Sparse variant: fields at given indexes.
function sparse(name: string, type: number, fields: [number, Template][], id = 0): ExthdrDesc {
  const t: (Template | undefined)[] = [];
  for (const [i, f] of fields) t[i] = f;
  return { name, id, type, templates: t };
}

// IPv6 extension headers.
export const HBH = desc('hbh', 0, [T('nexthdr', 'inet_proto', 0, 8), I('hdrlength', 8, 8)], 1);
export const RT = desc('rt', 43, [T('nexthdr', 'inet_proto', 0, 8), I('hdrlength', 8, 8), I('type', 16, 8), I('seg-left', 24, 8)], 2);
export const RT0 = desc('rt0', 43, [I('reserved', 32, 8), T('addr[1]', 'ipv6_addr', 64, 128), T('addr[2]', 'ipv6_addr', 192, 128)], 3);
export const RT2 = sparse('rt2', 43, [], 4);
export const SRH = desc('srh', 43, [I('last-entry', 32, 8), I('flags', 40, 8), I('tag', 48, 16), T('sid[1]', 'ipv6_addr', 64, 128), T('sid[2]', 'ipv6_addr', 192, 128)], 5);
export const FRAG = desc('frag', 44, [T('nexthdr', 'inet_proto', 0, 8), I('reserved', 8, 8), I('frag-off', 16, 13), I('reserved2', 29, 2), I('more-fragments', 31, 1), I('id', 32, 32)], 6);
export const DST = desc('dst', 60, [T('nexthdr', 'inet_proto', 0, 8), I('hdrlength', 8, 8)], 7);
export const MH = desc('mh', 135, [T('nexthdr', 'inet_proto', 0, 8), I('hdrlength', 8, 8), T('type', 'mh_type', 16, 8), I('reserved', 24, 8), I('checksum', 32, 16)], 8);

/** IPv6 headers by next-header number (exthdr_protocols). */
export const IPV6_EXTHDRS: ReadonlyMap<number, ExthdrDesc> = new Map([[0, HBH], [43, RT], [44, FRAG], [60, DST], [135, MH]]);
/** By EXTHDR_DESC_* id. */
export const EXTHDR_BY_ID: (ExthdrDesc | undefined)[] = [undefined, HBH, RT, RT0, RT2, SRH, FRAG, DST, MH];

// TCP options: kind, length and the option's own fields.
const kindLen = [I('kind', 0, 8), I('length', 8, 8)];
const SACK_FIELDS = [...kindLen, I('left', 16, 32), I('right', 48, 32), I('left', 80, 32), I('right', 112, 32), I('left', 144, 32), I('right', 176, 32), I('left', 208, 32), I('right', 240, 32)];
export const TCP_OPTIONS: ReadonlyMap<number, ExthdrDesc> = new Map([
  [0, from0('eol', 0, [I('kind', 0, 8)])],
  [1, from0('nop', 1, [I('kind', 0, 8)])],
  [2, from0('maxseg', 2, [...kindLen, I('size', 16, 16)])],
  [3, from0('window', 3, [...kindLen, I('count', 16, 8)])],
  [4, from0('sack-perm', 4, kindLen)],
  [5, from0('sack', 5, SACK_FIELDS)],
  [8, from0('timestamp', 8, [...kindLen, I('tsval', 16, 32), I('tsecr', 48, 32)])],
  [19, from0('md5sig', 19, kindLen)],
  [30, from0('mptcp', 30, [...kindLen, I('subtype', 16, 4)])],
  [34, from0('fastopen', 34, kindLen)],
].map(([k, d]) => [k as number, d as ExthdrDesc]));

// IPv4 options.
const ROUTE: [number, Template][] = [[1, I('type', 0, 8)], [2, I('length', 8, 8)], [4, I('ptr', 16, 8)], [5, I('addr', 24, 32)]];
export const IP_OPTIONS: ReadonlyMap<number, ExthdrDesc> = new Map([
  [131, sparse('lsrr', 131, ROUTE)],
  [7, sparse('rr', 7, ROUTE)],
  [137, sparse('ssrr', 137, ROUTE)],
  [148, sparse('ra', 148, [[1, I('type', 0, 8)], [2, I('length', 8, 8)], [3, I('value', 16, 16)]])],
]);

// SCTP chunks: type, flags, length, then the chunk's fields.
const common = [I('type', 0, 8), I('flags', 8, 8), I('length', 16, 16)];
const initFields = [...common, I('init-tag', 32, 32), I('a-rwnd', 64, 32), I('num-outbound-streams', 96, 16), I('num-inbound-streams', 112, 16), I('initial-tsn', 128, 32)];
export const SCTP_CHUNKS: ReadonlyMap<number, ExthdrDesc> = new Map([
  [0, from0('data', 0, [...common, I('tsn', 32, 32), I('stream', 64, 16), I('ssn', 80, 16), I('ppid', 96, 32)])],
  [1, from0('init', 1, initFields)],
  [2, from0('init-ack', 2, initFields)],
  [3, from0('sack', 3, [...common, I('cum-tsn-ack', 32, 32), I('a-rwnd', 64, 32), I('num-gap-ack-blocks', 96, 16), I('num-dup-tsns', 112, 16)])],
  [4, from0('heartbeat', 4, common)],
  [5, from0('heartbeat-ack', 5, common)],
  [6, from0('abort', 6, common)],
  [7, from0('shutdown', 7, [...common, I('cum-tsn-ack', 32, 32)])],
  [8, from0('shutdown-ack', 8, common)],
  [9, from0('error', 9, common)],
  [10, from0('cookie-echo', 10, common)],
  [11, from0('cookie-ack', 11, common)],
  [12, from0('ecne', 12, [...common, I('lowest-tsn', 32, 32)])],
  [13, from0('cwr', 13, [...common, I('lowest-tsn', 32, 32)])],
  [14, from0('shutdown-complete', 14, common)],
  [128, from0('asconf-ack', 128, [...common, I('seqno', 32, 32)])],
  [192, from0('forward-tsn', 192, [...common, I('new-cum-tsn', 32, 32)])],
  [193, from0('asconf', 193, [...common, I('seqno', 32, 32)])],
]);
