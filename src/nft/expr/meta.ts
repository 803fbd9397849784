// meta: packet metadata into a register (`meta l4proto`, `iifname`, `meta mark`),
// or a register into metadata (`meta mark set 0x4000`).
import { dataType, type ByteOrder, type DataType } from '../datatypes.js';
import { explicit, fromPrefix } from '../enums.js';
import { EXPR_META, F_PROTOCOL, exprText, setType, typeofParsers, type LeafNode, type Node, type Out, type RelNode, type Stmt } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
import { leafHooks, type PostprocessStmt, type RulePP } from '../print/postprocess.js';
import { BASE_LL, BASE_NH, BASE_TH, hookProto, INET_SERVICE, protoUpper, type ProtoDesc } from '../proto.js';
import * as U from '../uapi.js';
import { leafPrinters } from '../print/ast.js';
import { udataFields } from '../print/udata.js';
import { register } from './spec.js';

export type MetaKey = 'len' | 'protocol' | 'priority' | 'mark' | 'iif' | 'oif' | 'iifname' | 'oifname' | 'iiftype' | 'oiftype' |
  'skuid' | 'skgid' | 'nftrace' | 'rtclassid' | 'secmark' | 'nfproto' | 'l4proto' | 'bri_iifname' | 'bri_oifname' |
  'pkttype' | 'cpu' | 'iifgroup' | 'oifgroup' | 'cgroup' | 'prandom' | 'secpath' | 'iifkind' | 'oifkind' |
  'time_ns' | 'time_day' | 'time_hour' | 'sdif' | 'sdifname' | (string & {});
// The uapi header defines NFT_META_OIFTYPE after a #define, which the generated constants miss.
export const META_KEYS = explicit<MetaKey>('meta key', [...fromPrefix<MetaKey>('meta key', 'NFT_META_', ['iftype']).byName, ['oiftype', 9]]);

export interface MetaExpr {
  type: 'meta';
  key: MetaKey | number;
  dreg?: number;
  sreg?: number;
}

/** Bytes a meta key loads (for register checks). */
export function metaLen(key: string | number): number | undefined {
  const t = TEMPLATES[typeof key === 'number' ? key : META_KEYS.byName.get(key) ?? -1];
  return t === undefined ? 4 : Math.max(1, Math.ceil(t.len / 8));
}

interface MetaTemplate { token: string; dtype: DataType; len: number; order: ByteOrder }
const M = (token: string, type: string, len: number, order: ByteOrder): MetaTemplate => ({ token, dtype: dataType(type), len, order });

// nft's meta_templates, by NFT_META_* key.
const TEMPLATES: (MetaTemplate | undefined)[] = [
  M('length', 'integer', 32, 'host'), M('protocol', 'ether_type', 16, 'big'), M('priority', 'classid', 32, 'host'),
  M('mark', 'mark', 32, 'host'), M('iif', 'iface_index', 32, 'host'), M('oif', 'iface_index', 32, 'host'),
  M('iifname', 'ifname', 128, 'host'), M('oifname', 'ifname', 128, 'host'), M('iiftype', 'iface_type', 16, 'host'),
  M('oiftype', 'iface_type', 16, 'host'), M('skuid', 'uid', 32, 'host'), M('skgid', 'gid', 32, 'host'),
  M('nftrace', 'integer', 1, 'host'), M('rtclassid', 'realm', 32, 'host'), M('secmark', 'integer', 32, 'host'),
  M('nfproto', 'nf_proto', 8, 'host'), M('l4proto', 'inet_proto', 8, 'host'), M('ibrname', 'ifname', 128, 'host'),
  M('obrname', 'ifname', 128, 'host'), M('pkttype', 'pkt_type', 8, 'host'), M('cpu', 'integer', 32, 'host'),
  M('iifgroup', 'devgroup', 32, 'host'), M('oifgroup', 'devgroup', 32, 'host'), M('cgroup', 'integer', 32, 'host'),
  M('random', 'integer', 32, 'big'), M('ipsec', 'boolean', 8, 'host'), M('iifkind', 'ifname', 128, 'host'),
  M('oifkind', 'ifname', 128, 'host'), M('ibrpvid', 'integer', 16, 'host'), M('ibrvproto', 'ether_type', 16, 'big'),
  M('time', 'time', 64, 'host'), M('day', 'day', 8, 'host'), M('hour', 'hour', 32, 'host'),
  M('sdif', 'iface_index', 32, 'host'), M('sdifname', 'ifname', 128, 'host'),
];
// `time` is the date type (43), not the relative one nft's name lookup finds first.
TEMPLATES[U.NFT_META_TIME_NS]!.dtype = { ...dataType('hour'), name: 'time', id: 43, len: 8, bits: 64, printer: 'date' };

const keyNumber = (key: string | number): number => (typeof key === 'number' ? key : META_KEYS.byName.get(key) ?? -1);

/** A meta load as nft rebuilds it (meta_expr_alloc): the dependencies are keys that name a header. */
export function metaNode(key: number): LeafNode {
  const t = TEMPLATES[key];
  const n: LeafNode = { k: 'leaf', kind: 'meta', key, len: t?.len ?? 32, dtype: t?.dtype ?? dataType('integer'), order: t?.order ?? 'host', flags: 0 };
  if (key === U.NFT_META_IIFTYPE) n.flags |= F_PROTOCOL;
  else if (key === U.NFT_META_NFPROTO || key === U.NFT_META_PROTOCOL) { n.flags |= F_PROTOCOL; n.base = BASE_LL; }
  else if (key === U.NFT_META_L4PROTO) { n.flags |= F_PROTOCOL; n.base = BASE_NH; }
  return n;
}

// iif, oif, iifname, oifname, iifgroup, oifgroup print without `meta`.
const UNQUALIFIED = new Set([U.NFT_META_IIF, U.NFT_META_OIF, U.NFT_META_IIFNAME, U.NFT_META_OIFNAME, U.NFT_META_IIFGROUP, U.NFT_META_OIFGROUP]);
function metaName(key: number): string {
  const token = TEMPLATES[key]?.token ?? `${key}`;
  return UNQUALIFIED.has(key) ? token : `meta ${token}`;
}

leafPrinters.set('meta', (e) => metaName(e.key as number));

// meta_expr_pctx_update: iiftype, nfproto, l4proto and protocol matches name the next header.
function pctxUpdate(pp: RulePP, left: LeafNode, right: Node & { v: bigint }): void {
  const h = hookProto(pp.pctx.family);
  const n = Number(right.v);
  switch (left.key) {
    case U.NFT_META_IIFTYPE:
      if (h === undefined || (h.base < BASE_NH && pp.pctx.family !== 'inet' && pp.pctx.family !== 'netdev')) return;
      pp.pctx.update(BASE_LL, n === 1 ? ETH_DESC() : UNKNOWN);
      return;
    case U.NFT_META_NFPROTO: {
      let d = protoUpper(h?.desc, n);
      if (d === undefined) d = n === familyNumber(pp.pctx.family) && h?.base === BASE_NH ? h.desc : UNKNOWN;
      pp.pctx.update(BASE_NH, d);
      return;
    }
    case U.NFT_META_L4PROTO:
      pp.pctx.update(BASE_TH, protoUpper(INET_SERVICE, n) ?? UNKNOWN);
      return;
    case U.NFT_META_PROTOCOL:
      if (h?.base !== BASE_LL || (pp.pctx.family !== 'netdev' && pp.pctx.family !== 'bridge')) return;
      pp.pctx.update(BASE_NH, protoUpper(h.desc, n) ?? UNKNOWN);
      return;
    default:
  }
}

/** nft's proto_unknown: a header the printer cannot name. */
export const UNKNOWN: ProtoDesc = { name: 'unknown', id: 0, base: 0, protocolKey: 0, length: 0, protocols: [], templates: [] };
let ethDesc: ProtoDesc | undefined;
const ETH_DESC = (): ProtoDesc => (ethDesc ??= hookProto('bridge')!.desc);
const familyNumber = (f: string): number => ({ ip: 2, ip6: 10, inet: 1, arp: 3, bridge: 7, netdev: 5 } as Record<string, number>)[f] ?? 0;

// The nfproto a network-layer dependency names (meta nfproto, meta protocol, ether type), or undefined for other matches.
function nfprotoOf(dep: RelNode): number | undefined {
  const l = dep.left, r = dep.right;
  if (l.k !== 'leaf' || r.k !== 'value') return undefined;
  const v = Number(r.v);
  const ethertype = (t: number): number => (t === 0x0800 ? 2 : t === 0x86dd ? 10 : 0);
  if (l.kind === 'meta') return l.key === U.NFT_META_NFPROTO ? v : l.key === U.NFT_META_PROTOCOL ? ethertype(v) : undefined;
  if (l.kind === 'payload') return l.base === BASE_LL && l.dtype.name === 'ether_type' ? ethertype(v) : undefined;
  return undefined;
}

/**
 * meta_may_dependency_kill: a network-layer protocol match stays in bridge,
 * inet and netdev tables (it restricts the family), except before an icmp
 * type that implies it.
 */
function metaDependencyMayKill(pp: RulePP, rel: RelNode): boolean {
  const dep = pp.dep.get(BASE_NH);
  if (dep === undefined) return true;
  const nfproto = nfprotoOf(dep);
  if (nfproto === undefined) return true;
  const family = pp.pctx.family;
  if (family === 'ip' || family === 'ip6') return familyNumber(family) === nfproto;
  if (family !== 'inet' && family !== 'netdev' && family !== 'bridge') return true;
  if ((rel.left as LeafNode).key !== U.NFT_META_L4PROTO || rel.right.k !== 'value') return true;
  const l4 = Number(rel.right.v);
  if (l4 !== 1 && l4 !== 58) return false;
  return !((nfproto === 2 && l4 === 58) || (nfproto === 10 && l4 === 1));
}

/** ct_meta_common_postprocess: protocol matches (`meta l4proto tcp`) may be dependencies of what follows. */
export function metaCtCommon(rel: RelNode, pp: RulePP, base: number, mayKill: (pp: RulePP, rel: RelNode) => boolean = metaDependencyMayKill): void {
  const left = rel.left, right = rel.right;
  if (right.k === 'set' || right.k === 'setref') setType(right, left.dtype, left.order);
  if (rel.op !== '==' || right.k === 'range' || right.k === 'set' || right.k === 'setref') return;
  pp.pctxUpdate(rel);
  if (base >= BASE_TH) return;
  if (pp.dep.exists(base) && mayKill(pp, rel)) pp.dep.release(base);
  if ((left.flags & F_PROTOCOL) !== 0) pp.dep.store(pp.stmt as Stmt & { expr: Node }, base);
}

leafHooks.set('meta', {
  pctxUpdate,
  afterRelational: (rel, pp) => metaCtCommon(rel, pp, ((rel.left as LeafNode).base as number | undefined) ?? 0),
});

/** `meta mark set 0x1`, `iifname set "x"` (meta_stmt). */
export class MetaStmt implements PostprocessStmt {
  readonly kind = 'meta';
  constructor(readonly key: number, public expr: Node) {}
  print(o: Out): string { return `${metaName(this.key)} set ${exprText(this.expr, o)}`; }
  postprocess(pp: RulePP): void { this.expr = pp.expr(this.expr); }
}

typeofParsers.set(EXPR_META, (b) => {
  const key = udataFields(b).u32.get(0);
  return key === undefined || TEMPLATES[key] === undefined ? undefined : metaNode(key);
});

function delinearize(e: MetaExpr, p: RuleParser): void {
  const key = keyNumber(e.key);
  if (e.dreg !== undefined) { p.regs.set(e.dreg, metaNode(key)); return; }
  const expr = p.need(e.sreg!, 'meta statement');
  const t = TEMPLATES[key];
  if (t !== undefined) setType(expr, t.dtype, t.order);
  p.emit(new MetaStmt(key, expr));
}

export const meta = register({
  name: 'meta',
  fields: [
    { key: 'key', attr: U.NFTA_META_KEY, kind: 'be32', enum: META_KEYS },
    { key: 'dreg', attr: U.NFTA_META_DREG, kind: 'reg', regLen: (e) => metaLen(e.key as string) },
    { key: 'sreg', attr: U.NFTA_META_SREG, kind: 'reg', regLen: (e) => metaLen(e.key as string) },
  ],
  namesInterfaces: (e) => e.key === 'iif' || e.key === 'oif' || e.key === 'sdif',
  delinearize: delinearize as never,
});

export { metaName, TEMPLATES as META_TEMPLATES };
