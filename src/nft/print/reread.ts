// What nft makes of a rule's printed text when it reads it back (`nft -f`
// of what `nft list` printed): the protocol matches the printer left out as
// dependencies are made again where and as nft's evaluation makes them,
// which is not always what the kernel held. Measured on nft 1.0.6's own
// py tests (test/fixtures/nft-py), nft reading its own listing changes:
//   - `ip protocol tcp` left out before `tcp dport` (ip tables): nft puts
//     `meta l4proto tcp` right before the transport field;
//   - `meta iiftype ether` left out before `ether saddr`: nft puts it right
//     before the link-layer field (ip, ip6, inet, netdev tables), or not at
//     all in bridge tables (whose packets start at the ether header);
//   - `meta nfproto ipv4` left out before `ct original saddr` (printed
//     `ct original ip saddr`): nft loads the family's own key (`ct load
//     src_ip`) with no dependency;
//   - `meta l4proto ipv6-icmp` left out after `ip protocol ipv6-icmp`: the
//     printed protocol match already says it, so nft makes none;
//   - an anonymous set looked up by a load its `typeof` names otherwise
//     (`th dport` for what prints as `tcp dport`): nft writes the printed
//     field.
// Everything else nft makes again exactly as the kernel held it.
import type { Expression } from '../expr/index.js';
import { BASE_LL, BASE_NH, BASE_TH, ICMP, ICMP6, IP, PROTO_BY_ID, protoNum, TH } from '../proto.js';
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
  const edits = trace === undefined ? [] : dependencyEdits(rule, stmts, trace);
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
    const iiftype = d.kind === 'meta' && d.key === U.NFT_META_IIFTYPE;
    // A bridge table's packets start at the ether header: nft makes no link-layer dependency there.
    if (iiftype && rule.family === 'bridge') { edits.push({ drop }); continue; }
    const byOrigin = by === undefined ? undefined : t.originOf(by);
    const byRange = byOrigin === undefined ? undefined : t.ranges.get(byOrigin);
    const shown = stmts.find((s) => t.originOf(s) === byOrigin);
    const b = shown === undefined ? undefined : leafOf(shown);
    if (byRange === undefined || b === undefined) continue;
    if (b.kind === 'payload' && b.base === BASE_TH && isL4Dependency(d)) {
      const edit = transportEdit(rule.family, stmts.slice(0, stmts.indexOf(shown!)), b, drop, byRange[0]);
      if (edit !== undefined) edits.push(edit);
    } else if (iiftype && b.kind === 'payload' && b.base === BASE_LL) {
      edits.push({ drop, before: byRange[0], insert: rule.expressions.slice(drop[0], drop[1] + 1) });
    } else if (b.kind === 'ct' && d.kind === 'meta' && d.key === U.NFT_META_NFPROTO) {
      const at = ctAddressAt(rule.expressions, byRange);
      const nfproto = relValue(dep);
      if (at < 0 || (nfproto !== 2n && nfproto !== 10n)) continue;
      const ct = rule.expressions[at] as Expression & { key: string };
      edits.push({ drop }, { at, replace: { ...ct, key: `${ct.key}_${nfproto === 2n ? 'ip' : 'ip6'}` } as Expression });
    }
  }
  return edits;
}

// A transport field's dependency: none if a printed match before it names
// its protocol already, else `meta l4proto N` just before it (not known for
// icmp and icmpv6, whose dependencies depend on the family: left as listed).
function transportEdit(family: string, before: Stmt[], field: LeafNode, drop: [number, number], at: number): Edit | undefined {
  const num = protoNum(IP, field.desc as typeof TH);
  if (before.some((s) => { const l = leafOf(s); return l !== undefined && isL4Dependency(l) && relValue(s) === BigInt(num); })) return { drop };
  if (num < 0 || field.desc === ICMP || field.desc === ICMP6 || !['ip', 'ip6', 'inet', 'bridge', 'netdev'].includes(family)) return undefined;
  return { drop, before: at, insert: l4protoMatch(num) };
}

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

// `meta l4proto N`, as nft makes the dependency.
function l4protoMatch(num: number): Expression[] {
  return [
    { type: 'meta', key: 'l4proto', dreg: U.NFT_REG_1 } as Expression,
    { type: 'cmp', sreg: U.NFT_REG_1, op: 'eq', data: Uint8Array.of(num) } as Expression,
  ];
}

// The `ct load src` or `dst` among a statement's expressions, or -1.
function ctAddressAt(exprs: Expression[], [from, to]: [number, number]): number {
  for (let i = from; i <= to; i++) {
    const e = exprs[i] as Expression & { key?: unknown };
    if (e.type === 'ct' && (e.key === 'src' || e.key === 'dst')) return i;
  }
  return -1;
}

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
