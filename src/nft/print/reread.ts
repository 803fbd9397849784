// What nft makes of a rule's printed text when it reads it back (`nft -f`
// of what `nft list` printed): the protocol matches the printer left out as
// dependencies are made again where and as nft's evaluation makes them,
// which is not always what the kernel held. As measured with nft 1.0.6 (its
// py tests, test/fixtures/nft-py, and our test/fixtures/nft/reread.t):
//   - a transport field's dependency (`ip protocol tcp`, `ip6 nexthdr tcp`)
//     comes back as `meta l4proto tcp` just before the field, or not at all
//     when a printed match already names the protocol (`ip protocol
//     ipv6-icmp` before `icmpv6 type`); for icmp and icmpv6 outside ip and
//     ip6 tables after the network protocol nft needs (inet `meta nfproto`,
//     bridge `ether type`, netdev `meta protocol`);
//   - a network field's `ether type ip` comes back as `meta protocol ip`
//     (bridge, netdev; `ether type arp` stays in bridge tables) or `meta
//     nfproto ipv4` (inet) just before the field, and as nothing in ip and
//     ip6 tables;
//   - `meta iiftype ether` moves to just before the ether field, and goes in
//     bridge tables and where what it was for was left out too;
//   - `ct original saddr` that prints as `ct original ip saddr` is loaded as
//     `ct load src_ip` (no `meta nfproto` before it);
//   - an anonymous set looked up by a load its `typeof` names otherwise
//     (`th dport` for what prints as `tcp dport`) gets the printed field;
// everything else nft makes again exactly as the kernel held it, or is left
// as listed where nft's choice is not known (vlan, and shapes not measured).
import type { Expression } from '../expr/index.js';
import { BASE_LL, BASE_NH, BASE_TH, ETH, ICMP, ICMP6, IP, PROTO_BY_ID, protoNum, TH } from '../proto.js';
import type { Rule } from '../rule.js';
import type { NftSet } from '../set.js';
import * as U from '../uapi.js';
import { decodeTlvs, encodeTlvs, type Tlv } from '../udata.js';
import type { LeafNode, Node, Stmt } from './ast.js';
import { ruleStatements, type RuleContext, type StatementTrace } from './rule.js';

/** A rule as nft holds it after reading the rule's printed text, and the userdata nft writes for its anonymous sets (by name). */
export interface Reread { rule: Rule; setUserdata: Map<string, Uint8Array> }

type Edit = { drop?: [number, number]; before?: number; insert?: Expression[]; at?: number; replace?: Expression };

/** What nft sends for the rule's printed text (see the top of this file), or undefined when that is the rule as it is. */
export function reread(rule: Rule, ctx: RuleContext): Reread | undefined {
  let trace: StatementTrace | undefined;
  let stmts: Stmt[];
  try {
    stmts = ruleStatements(rule, ctx, { env: ctx.env }, undefined, (t) => { trace = t; });
  } catch {
    return undefined;
  }
  const setUserdata = anonymousTypeofs(stmts, ctx);
  const edits = trace === undefined ? [] : [...dependencyEdits(rule, stmts, trace), ...ctEdits(rule, stmts, trace)];
  if (edits.length === 0 && setUserdata.size === 0) return undefined;
  return { rule: edits.length === 0 ? rule : { ...rule, expressions: applyEdits(rule.expressions, edits) }, setUserdata };
}

function dependencyEdits(rule: Rule, stmts: Stmt[], t: StatementTrace): Edit[] {
  const edits: Edit[] = [];
  for (const { dep, by } of t.released) {
    const depOrigin = t.originOf(dep), depRange = t.ranges.get(depOrigin), d = leafOf(dep);
    // Only a statement left out whole (not one field of a load that prints as several).
    if (depRange === undefined || d === undefined || stmts.some((s) => t.originOf(s) === depOrigin)) continue;
    const drop: [number, number] = [depRange[0], depRange[1]];
    const byOrigin = by === undefined ? undefined : t.originOf(by);
    const byRange = byOrigin === undefined ? undefined : t.ranges.get(byOrigin);
    const shown = stmts.find((s) => t.originOf(s) === byOrigin);
    const b = shown === undefined ? undefined : leafOf(shown);
    // The statement that implied this one, when it was left out too: its leaf and value.
    const byDep = byOrigin === undefined || shown !== undefined ? undefined : t.released.find((r) => t.originOf(r.dep) === byOrigin)?.dep;
    const byDepLeaf = byDep === undefined ? undefined : leafOf(byDep), byDepValue = byDep === undefined ? undefined : relValue(byDep);
    if (isMeta(d, U.NFT_META_IIFTYPE)) {
      // Packets of bridge tables start at the ether header; a link-layer match left out
      // for one itself left out (`ether type ip` before `ip saddr`) is not needed either.
      if (rule.family === 'bridge' || (byDepLeaf !== undefined && isL3Dependency(byDepLeaf) && !isVlan(byDepValue))) edits.push({ drop });
      else if (b?.kind === 'payload' && b.base === BASE_LL) edits.push({ drop, before: byRange![0], insert: rule.expressions.slice(drop[0], drop[1] + 1) });
      continue;
    }
    // ip and ip6 tables start at their network header; elsewhere a network match left out for one itself
    // left out (`meta nfproto ipv6` before `meta l4proto ipv6-icmp` before `icmpv6 type`) comes back with it.
    const byIcmp = byDepLeaf !== undefined && isMeta(byDepLeaf, U.NFT_META_L4PROTO) && (byDepValue === 1n || byDepValue === 58n);
    if (isL3Dependency(d) && isIpFamily(relValue(dep)) && (rule.family === 'ip' || rule.family === 'ip6' || byIcmp)) { edits.push({ drop }); continue; }
    if (byRange === undefined || b === undefined) continue;
    const before = stmts.slice(0, stmts.indexOf(shown!));
    let edit: Edit | undefined;
    if (b.kind === 'payload' && b.base === BASE_TH && isL4Dependency(d)) edit = transportEdit(rule.family, before, b, drop, byRange[0]);
    else if (b.kind === 'payload' && b.base === BASE_NH && isL3Dependency(d) && (d.kind === 'payload' || isMeta(d, U.NFT_META_PROTOCOL))) edit = networkEdit(rule, drop, byRange[0]);
    else if (b.kind === 'ct' && isMeta(d, U.NFT_META_NFPROTO)) edit = { drop };
    if (edit !== undefined) edits.push(edit);
  }
  return edits;
}

// A transport field's dependency: none if a printed match before it names
// its protocol already, else `meta l4proto N` just before it, after (icmp
// and icmpv6 in inet and bridge tables) the network protocol it needs.
function transportEdit(family: string, before: Stmt[], field: LeafNode, drop: [number, number], at: number): Edit | undefined {
  const num = protoNum(IP, field.desc as typeof TH);
  const shows = (f: (l: LeafNode) => boolean, v?: bigint) => before.some((s) => { const l = leafOf(s); return l !== undefined && f(l) && (v === undefined || relValue(s) === v); });
  if (shows(isL4Dependency, BigInt(num))) return { drop };
  if (num < 0 || field.desc === TH) return undefined;
  const icmp = field.desc === ICMP || field.desc === ICMP6;
  if (!icmp || family === 'ip' || family === 'ip6') return ['ip', 'ip6', 'inet', 'bridge', 'netdev'].includes(family) ? { drop, before: at, insert: l4protoMatch(num) } : undefined;
  if (shows(isL3Dependency)) return { drop, before: at, insert: l4protoMatch(num) };
  const v4 = field.desc === ICMP;
  // As measured: inet `meta nfproto ipv4|ipv6`, bridge `ether type ip|ip6`, netdev `meta protocol ip|ip6`.
  if (family === 'inet') return { drop, before: at, insert: [meta('nfproto'), cmpOf(Uint8Array.of(v4 ? 2 : 10)), ...l4protoMatch(num)] };
  if (family === 'bridge') return { drop, before: at, insert: [{ type: 'payload', base: 'll_header', offset: 12, len: 2, dreg: U.NFT_REG_1 } as Expression, protocolMatch(v4)[1]!, ...l4protoMatch(num)] };
  if (family === 'netdev') return { drop, before: at, insert: [...protocolMatch(v4), ...l4protoMatch(num)] };
  return undefined;
}

// A network field's `ether type ip` dependency: `meta protocol` just before
// the field in bridge and netdev tables, `meta nfproto` in inet tables.
function networkEdit(rule: Rule, drop: [number, number], at: number): Edit | undefined {
  const c = rule.expressions.slice(drop[0], drop[1] + 1).find((e) => e.type === 'cmp') as (Expression & { data?: unknown }) | undefined;
  if (!(c?.data instanceof Uint8Array)) return undefined;
  const d = c.data;
  const ether = d.length === 2 ? (d[0]! << 8) | d[1]! : d.length === 1 ? (d[0] === 2 ? 0x0800 : d[0] === 10 ? 0x86dd : -1) : -1;
  if (ether < 0) return undefined;
  const ip = ether === 0x0800 || ether === 0x86dd;
  const bytes = Uint8Array.of(ether >> 8, ether & 0xff);
  // As measured: `meta protocol` in netdev tables, and in bridge tables for ip and ip6 (`ether type` for arp).
  if (rule.family === 'netdev' || (rule.family === 'bridge' && ip)) return { drop, before: at, insert: [meta('protocol'), cmpOf(bytes)] };
  if (rule.family === 'bridge') return { drop, before: at, insert: [{ type: 'payload', base: 'll_header', offset: 12, len: 2, dreg: U.NFT_REG_1 } as Expression, cmpOf(bytes)] };
  if (rule.family === 'inet' && ip) return { drop, before: at, insert: [meta('nfproto'), cmpOf(Uint8Array.of(ether === 0x0800 ? 2 : 10))] };
  return undefined;
}

// `meta protocol ip|ip6`.
const protocolMatch = (v4: boolean): Expression[] => [meta('protocol'), cmpOf(Uint8Array.of(v4 ? 0x08 : 0x86, v4 ? 0x00 : 0xdd))];

// In the printed text, `ct original ip saddr` (a ct address the family of
// the table or of a match before it names): nft loads the family's own key.
function ctEdits(rule: Rule, stmts: Stmt[], t: StatementTrace): Edit[] {
  const edits: Edit[] = [];
  for (const s of stmts) {
    const l = leafOf(s), range = t.ranges.get(t.originOf(s));
    if (l?.kind !== 'ct' || range === undefined || (l.key !== U.NFT_CT_SRC && l.key !== U.NFT_CT_DST) || (l.nfproto !== 2 && l.nfproto !== 10)) continue;
    for (let i = range[0]; i <= range[1]; i++) {
      const e = rule.expressions[i] as Expression & { key?: unknown };
      if (e.type === 'ct' && (e.key === 'src' || e.key === 'dst')) edits.push({ at: i, replace: { ...e, key: `${e.key}_${l.nfproto === 2 ? 'ip' : 'ip6'}` } as Expression });
    }
  }
  return edits;
}

const isMeta = (l: LeafNode, key: number): boolean => l.kind === 'meta' && l.key === key;

// `ether type`, `meta protocol` or `meta nfproto`: a match that names the network header (not `vlan type`).
function isL3Dependency(l: LeafNode): boolean {
  if (l.kind === 'meta') return l.key === U.NFT_META_PROTOCOL || l.key === U.NFT_META_NFPROTO;
  return l.kind === 'payload' && l.base === BASE_LL && l.desc === ETH && ((l.flags as number) & 0x4) !== 0;
}

const isVlan = (v: bigint | undefined): boolean => v === 0x8100n || v === 0x88a8n;

// ip or ip6, as an ether type or an nfproto.
const isIpFamily = (v: bigint | undefined): boolean => v === 0x0800n || v === 0x86ddn || v === 2n || v === 10n;

function leafOf(s: Stmt): LeafNode | undefined {
  const e = (s as { expr?: Node }).expr;
  if (e === undefined || e.k !== 'rel') return undefined;
  const l = e.left.k === 'binop' ? e.left.left : e.left;
  return l.k === 'leaf' ? l : undefined;
}

function relValue(s: Stmt): bigint | undefined {
  const e = (s as { expr?: Node }).expr;
  return e?.k === 'rel' && e.op === '==' && e.right.k === 'value' ? e.right.v : undefined;
}

// `ip protocol`, `ip6 nexthdr` or `meta l4proto`: a match that names the transport header.
function isL4Dependency(l: LeafNode): boolean {
  if (l.kind === 'meta') return l.key === U.NFT_META_L4PROTO;
  return l.kind === 'payload' && l.base === BASE_NH && ((l.flags as number) & 0x4) !== 0;
}

const meta = (key: string): Expression => ({ type: 'meta', key, dreg: U.NFT_REG_1 }) as Expression;
const cmpOf = (data: Uint8Array): Expression => ({ type: 'cmp', sreg: U.NFT_REG_1, op: 'eq', data }) as Expression;

// `meta l4proto N`, as nft makes the dependency.
const l4protoMatch = (num: number): Expression[] => [meta('l4proto'), cmpOf(Uint8Array.of(num))];

function applyEdits(exprs: Expression[], edits: Edit[]): Expression[] {
  const out: Expression[] = [];
  for (let i = 0; i < exprs.length; i++) {
    for (const e of edits) if (e.before === i) out.push(...e.insert!);
    if (edits.some((e) => e.drop !== undefined && i >= e.drop[0] && i <= e.drop[1])) continue;
    out.push(edits.find((e) => e.at === i)?.replace ?? exprs[i]!);
  }
  return out;
}

const UDATA_KEY_TYPEOF = 3, TYPEOF_EXPR = 0, TYPEOF_DATA = 1, EXPR_PAYLOAD = 7, PAYLOAD_DESC = 0, PAYLOAD_TYPE = 1;

// The anonymous sets whose `typeof` names another field than the load the rule prints for them: the userdata nft writes.
function anonymousTypeofs(stmts: Stmt[], ctx: RuleContext): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const s of stmts) {
    const e = (s as { expr?: Node }).expr;
    if (e?.k !== 'rel' || e.right.k !== 'setref' || e.left.k !== 'leaf' || e.left.kind !== 'payload') continue;
    const set = ctx.sets(e.right.set.name);
    if (set === undefined || ((set.flagBits ?? 0) & U.NFT_SET_ANONYMOUS) === 0 || set.userdata === undefined) continue;
    const ud = withPayloadTypeof(set, e.left);
    if (ud !== undefined) out.set(set.name, ud);
  }
  return out;
}

function withPayloadTypeof(set: NftSet, leaf: LeafNode): Uint8Array | undefined {
  const desc = leaf.desc as (typeof PROTO_BY_ID)[number];
  const id = desc === undefined ? -1 : PROTO_BY_ID.indexOf(desc);
  const type = id < 0 ? -1 : desc!.templates.indexOf(leaf.tmpl as never);
  if (id <= 0 || type < 0) return undefined;
  try {
    const tlvs = decodeTlvs(set.userdata!);
    const k = tlvs.findIndex(([t]) => t === UDATA_KEY_TYPEOF);
    if (k < 0) return undefined;
    const inner = decodeTlvs(tlvs[k]![1]);
    const kind = inner.find(([t]) => t === TYPEOF_EXPR)?.[1];
    const data = inner.find(([t]) => t === TYPEOF_DATA);
    if (kind === undefined || kind.length !== 4 || Buffer.from(kind).readUInt32LE(0) !== EXPR_PAYLOAD || data === undefined) return undefined;
    const fields = decodeTlvs(data[1]);
    const u32 = (t: number) => { const v = fields.find(([x]) => x === t)?.[1]; return v?.length === 4 ? Buffer.from(v).readUInt32LE(0) : undefined; };
    if (u32(PAYLOAD_DESC) === id && u32(PAYLOAD_TYPE) === type) return undefined;
    const le = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
    const nextFields: Tlv[] = [[PAYLOAD_DESC, le(id)], [PAYLOAD_TYPE, le(type)]];
    const nextInner: Tlv[] = inner.map(([t, v]) => [t, t === TYPEOF_DATA ? encodeTlvs(nextFields) : v]);
    return encodeTlvs(tlvs.map(([t, v]) => [t, t === UDATA_KEY_TYPEOF ? encodeTlvs(nextInner) : v]));
  } catch {
    return undefined;
  }
}
