// payload: load bytes from a packet header into a register, or write a
// register into the packet (with checksum fix-up).
//   `ip saddr`        -> { base: 'network_header', offset: 12, len: 4, dreg }
//   `tcp dport set 8080` -> { base: 'transport_header', offset: 2, len: 2, sreg, csumType: 1, csumOffset: 16 }
// Printing names the field a load reads from the headers in effect (proto.ts)
// and leaves out the protocol matches a field implies (nft's payload.c).
import { fromPrefix } from '../enums.js';
import { EXPR_PAYLOAD, exprText, F_PROTOCOL, leafPrinters, typeofParsers, setType, splice, XINTEGER, type BinopNode, type LeafNode, type MapNode, type Node, type Out, type RelNode, type ValueNode } from '../print/ast.js';
import type { ProtoCtx } from '../print/context.js';
import type { RuleParser } from '../print/delinearize.js';
import { ExprStmt } from '../print/ast.js';
import { leafHooks, scan0, scan1, type PostprocessStmt, type RulePP } from '../print/postprocess.js';
import { PROTO_BY_ID, BASE_LL, BASE_NH, BASE_TH, BASE_TOKENS, ETH, ICMP, ICMP6, IcmpDep, INET, IP, IP6, isProtocolField, protoUpper, TH, VLAN, type ProtoDesc, type Template } from '../proto.js';
import * as U from '../uapi.js';
import { UNKNOWN } from './meta.js';
import { udataFields } from '../print/udata.js';
import { register, without } from './spec.js';

export type PayloadBase = 'll_header' | 'network_header' | 'transport_header' | 'inner_header';
export const PAYLOAD_BASES = fromPrefix<PayloadBase>('payload base', 'NFT_PAYLOAD_', ['csum_none', 'csum_inet', 'csum_sctp', 'l4csum_pseudohdr']);

export interface PayloadExpr {
  type: 'payload';
  base: PayloadBase | number;
  offset: number;
  len: number;
  /** Load: the destination register. */
  dreg?: number;
  /** Set: the register holding the new bytes. */
  sreg?: number;
  /** Set: NFT_PAYLOAD_CSUM_* (0 none, 1 inet, 2 sctp). */
  csumType?: number;
  csumOffset?: number;
  /** Set: NFT_PAYLOAD_L4CSUM_PSEUDOHDR (1) to fix the L4 checksum too. */
  csumFlags?: number;
}

/** A payload load as the printer tracks it (nft's EXPR_PAYLOAD): base, offset and length in bits, and the field once known. */
export interface PayloadNode extends LeafNode { kind: 'payload'; base: number; offset: number; desc: ProtoDesc; tmpl: Template | undefined; isRaw?: boolean }

/** payload_expr_alloc: a named field. */
export function payloadField(desc: ProtoDesc, index: number): PayloadNode {
  const t = desc.templates[index]!;
  return { k: 'leaf', kind: 'payload', base: desc.base, offset: t.offset, len: t.len, desc, tmpl: t, dtype: t.dtype, order: t.order, flags: isProtocolField(desc, index) ? F_PROTOCOL : 0 };
}

/** payload_expr_alloc(NULL) + payload_init_raw: a load not named yet (base 1-4, bits). */
export function payloadRaw(base: number, offset: number, len: number): PayloadNode {
  const n: PayloadNode = { k: 'leaf', kind: 'payload', base, offset, len, desc: UNKNOWN, tmpl: undefined, dtype: XINTEGER, order: 'big', flags: 0 };
  if (base === BASE_TH && len === 16 && (offset === 0 || offset === 16)) {
    n.desc = TH;
    n.tmpl = TH.templates[offset === 0 ? 1 : 2];
    n.dtype = n.tmpl!.dtype;
  }
  return n;
}

export const isKnown = (e: PayloadNode): boolean => e.desc !== UNKNOWN && e.tmpl !== undefined;

leafPrinters.set('payload', (e) => {
  const p = e as PayloadNode;
  return isKnown(p) ? `${p.desc.name} ${p.tmpl!.token}` : `@${BASE_TOKENS[p.base] ?? 'invalid'},${p.offset},${p.len}`;
});

const hole: Template = { token: '', dtype: XINTEGER, order: 'big', offset: 0, len: 0 };
const tmplAt = (d: ProtoDesc, i: number): Template => d.templates[i] ?? hole;
const TEMPLATE_SLOTS = 20;

// get_stacked_desc: a link layer load past the header in effect reads a header stacked under it.
function stacked(ctx: ProtoCtx, top: ProtoDesc, e: PayloadNode): [ProtoDesc, number] {
  let off = e.offset;
  if (e.base !== BASE_LL || off < top.length) return [top, 0];
  let total = 0;
  for (const d of ctx.stackedLl) {
    if (off < d.length) return [d, total];
    off -= d.length;
    total += d.length;
  }
  return [top, total];
}

const ICMP_DEP_TYPE: Record<number, number> = {
  [IcmpDep.Echo]: 8, [IcmpDep.Icmp6Echo]: 128, [IcmpDep.Mtu]: 3, [IcmpDep.Address]: 5,
  [IcmpDep.Icmp6Mtu]: 2, [IcmpDep.Icmp6Mgmq]: 130, [IcmpDep.Icmp6Pptr]: 4,
};
const icmpMismatch = (t: Template, ctx: ProtoCtx): boolean =>
  (t.icmpDep ?? 0) !== 0 && ctx.icmpType !== 0 && ctx.icmpType !== ICMP_DEP_TYPE[t.icmpDep!];

/** payload_expr_complete: names the field a load reads, when the header in effect has one there. */
export function complete(e: PayloadNode, ctx: ProtoCtx): void {
  let d = ctx.desc[e.base];
  if (d === undefined || d === INET) return;
  let skip: number;
  [d, skip] = stacked(ctx, d, e);
  const off = e.offset - skip;
  for (let i = 0; i < TEMPLATE_SLOTS; i++) {
    const t = tmplAt(d, i);
    if (t.offset !== off || t.len !== e.len) continue;
    if (t.metaKey !== undefined && i === 0) continue;
    if (icmpMismatch(t, ctx)) continue;
    e.dtype = t.dtype;
    e.desc = d;
    e.tmpl = t;
    return;
  }
}

/** payload_expr_expand: a load nft merged from adjacent fields, split into them again. */
function expand(e: PayloadNode, ctx: ProtoCtx): PayloadNode[] {
  const out: PayloadNode[] = [];
  let d = ctx.desc[e.base];
  let off = e.offset;
  if (d !== undefined && d !== UNKNOWN) {
    let skip: number;
    [d, skip] = stacked(ctx, d, e);
    off -= skip;
    for (let i = 1; i < TEMPLATE_SLOTS; i++) {
      const t = tmplAt(d, i);
      if (t.len === 0) break;
      if (t.offset !== off || icmpMismatch(t, ctx)) continue;
      if (t.len <= e.len) {
        out.push(payloadField(d, i));
        e.len -= t.len;
        e.offset += t.len;
        off += t.len;
        if (e.len === 0) return out;
      } else if (e.len > 0) {
        const n = payloadField(d, i);
        n.len = e.len;
        out.push(n);
        return out;
      } else break;
    }
  }
  out.push(payloadRaw(e.base, off, e.len));
  return out;
}

/** payload_expr_trim: when a mask selects exactly some fields, the load narrows to them; the shift of the values. */
function trim(e: PayloadNode, mask: ValueNode, ctx: ProtoCtx): number | undefined {
  let d = ctx.desc[e.base];
  if (d === undefined) return undefined;
  const maskOffset = Math.max(scan1(mask.v, 0), 0);
  const maskLen = scan0(mask.v, maskOffset + 1);
  let skip: number;
  [d, skip] = stacked(ctx, d, e);
  const off = Math.ceil(mask.len / 8) * 8 - maskLen;
  let payloadOffset = e.offset - skip + off;
  let payloadLen = e.len;
  let len = 0;
  for (let i = 1; i < TEMPLATE_SLOTS; i++) {
    const t = tmplAt(d, i);
    if (t.offset !== payloadOffset) continue;
    if (t.len > payloadLen) return undefined;
    payloadLen -= t.len;
    payloadOffset += t.len;
    len += t.len;
    if (payloadLen === 0) return undefined;
    if (maskOffset + len === maskLen) {
      e.offset += off;
      e.len = len;
      return maskOffset;
    }
  }
  return undefined;
}

// payload_expr_pctx_update: a protocol field's value names the next header.
function pctxUpdate(pp: RulePP, left: PayloadNode, right: ValueNode): void {
  const base = pp.pctx.desc[left.base];
  const proto = Number(right.v & 0xffffffffn);
  const d = protoUpper(base, proto);
  if (d === undefined) {
    if (base === ICMP) pp.pctx.icmpType = proto !== 0 ? proto : 8;
    else if (base === ICMP6) pp.pctx.icmpType = proto === 129 ? 128 : proto;
    return;
  }
  if (base !== undefined && d.base === base.base && left.isRaw !== true && d.base === BASE_LL && pp.pctx.stackedLl.length < 16) pp.pctx.stackedLl.push(base);
  pp.pctx.update(d.base, d);
}

// payload_may_dependency_kill (with its icmp and link layer cases).
function mayKill(pp: RulePP, e: PayloadNode): boolean {
  const dep = pp.dep.get(e.base)!;
  const dl = dep.left as PayloadNode;
  const fam = pp.pctx.family;
  if ((fam === 'bridge' || fam === 'netdev' || fam === 'inet') && dl.k === 'leaf' && dl.kind === 'payload') {
    if (dl.base === BASE_NH && (dl.desc === IP || dl.desc === IP6) && e.base === BASE_TH) return false;
    if (dep.op === '==' && e.base === dl.base) {
      if ((e.flags & F_PROTOCOL) !== 0) return false;
      if (e.base === BASE_LL) {
        if (dl.desc === VLAN) return false;
        if (dl.desc === ETH && dep.right.k === 'value' && dep.right.len === 16) return dep.right.v === 0x8100n;
        return true;
      }
    }
  }
  if (e.base !== BASE_TH) return true;
  if (dl.k !== 'leaf' || dl.kind !== 'payload' || dl.base !== BASE_TH) return true;
  if (dl.desc === ICMP || dl.desc === ICMP6) {
    const dep2 = e.tmpl?.icmpDep ?? IcmpDep.Any;
    if (dep2 === IcmpDep.Any || dl.desc !== e.desc) return false;
    return pp.dep.icmpType === ICMP_DEP_TYPE[dep2];
  }
  return true;
}

/** payload_dependency_kill: a protocol match this field implies is left out. */
export function killDependency(pp: RulePP, e: PayloadNode): void {
  if (e.desc !== UNKNOWN && pp.dep.exists(e.base) && mayKill(pp, e)) pp.dep.release(e.base);
}

// payload_match_expand: a compare on a load of several fields, one match per field.
function matchExpand(pp: RulePP, rel: RelNode, payload: PayloadNode): void {
  const right = rel.right as ValueNode;
  let base = payload.base;
  for (const left of expand(payload, pp.pctx)) {
    let tmp: Node = splice(right, left.len);
    setType(tmp, left.dtype, left.order);
    if (left.tmpl !== undefined && left.len < left.tmpl.len) {
      const v = tmp as ValueNode;
      v.v <<= BigInt(left.tmpl.len - left.len);
      v.len = left.tmpl.len;
      tmp = { k: 'prefix', value: v, plen: left.len, len: v.len, dtype: v.dtype, order: v.order, flags: 0 };
    }
    const n: RelNode = { k: 'rel', op: rel.op, left, right: tmp, len: 0, dtype: left.dtype, order: left.order, flags: 0 };
    if (rel.op === '==') pp.pctxUpdate(n);
    const stmt = new ExprStmt(n);
    pp.insertBeforeCurrent(stmt);
    if (isStacked(pp.pctx.desc[base], n)) base--;
    killDependency(pp, left);
    if (rel.op === '==' && (left.flags & F_PROTOCOL) !== 0) pp.dep.store(stmt, base);
  }
  pp.replaceCurrent(undefined);
}

function isStacked(d: ProtoDesc | undefined, e: RelNode): boolean {
  if (d === undefined || e.left.k !== 'leaf' || e.left.kind !== 'payload' || (e.left.flags & F_PROTOCOL) === 0 || e.op !== '==' || e.right.k !== 'value' || e.right.len !== 16) return false;
  const next = protoUpper(d, Number(e.right.v));
  return next !== undefined && next.base === d.base;
}

// payload_icmp_check: `icmp type { echo-request, ... }` fixes the icmp type a later field is for.
function icmpCheck(pp: RulePP, e: PayloadNode, v: ValueNode): void {
  if (e.base !== BASE_TH || e.len !== 8 || v.len !== 8 || pp.pctx.icmpType !== 0) return;
  const d = pp.pctx.desc[e.base];
  if (d !== ICMP && d !== ICMP6) return;
  for (let i = 1; i < TEMPLATE_SLOTS; i++) {
    const t = tmplAt(d, i);
    if (t.len === 0) return;
    if (t.offset !== e.offset || t.len !== e.len) continue;
    if (d.protocolKey !== i) return;
    e.desc = d;
    e.tmpl = t;
    pp.pctx.icmpType = Number(v.v);
    return;
  }
}

/** payload_match_postprocess (also for a map or binop over a masked load, which nft routes here too). */
function matchPostprocess(rel: RelNode | MapNode | BinopNode, pp: RulePP): boolean {
  if (rel.k === 'map') {
    const payload = rel.map as PayloadNode;
    complete(payload, pp.pctx);
    setType(rel.mappings, payload.dtype, payload.order);
    killDependency(pp, payload);
    return true;
  }
  const payload = rel.left as PayloadNode;
  if (rel.k === 'binop') {
    complete(payload, pp.pctx);
    setType(rel.right, payload.dtype, payload.order);
    killDependency(pp, payload);
    return true;
  }
  if ((rel.op === '==' || rel.op === '!=') && rel.right.k === 'value') {
    matchExpand(pp, rel, payload);
    return true;
  }
  if ((rel.op === '==' || rel.op === '!=') && rel.right.k === 'setref' && (rel.right.set.flags & 1) !== 0) {
    const first = rel.right.set.init.elems[0];
    if (first?.k === 'elem' && first.key.k === 'value') icmpCheck(pp, payload, first.key);
  }
  complete(payload, pp.pctx);
  setType(rel.right, payload.dtype, payload.order);
  killDependency(pp, payload);
  return true;
}

leafHooks.set('payload', {
  postprocess: (e, pp) => { complete(e as PayloadNode, pp.pctx); killDependency(pp, e as PayloadNode); },
  relational: matchPostprocess,
  pctxUpdate: (pp, left, right) => pctxUpdate(pp, left as PayloadNode, right),
  trim: (e, mask, pp) => trim(e as PayloadNode, mask, pp.pctx),
});

// payload_expr_parse_udata: `typeof ip saddr` names a header by nft's id and the field by index; a raw load by base, offset and length.
typeofParsers.set(EXPR_PAYLOAD, (b) => {
  const { u32 } = udataFields(b);
  const id = u32.get(0), type = u32.get(1), len = u32.get(4);
  if (id === undefined || type === undefined) return undefined;
  const desc = PROTO_BY_ID[id];
  if (desc === undefined) {
    const base = u32.get(2), offset = u32.get(3);
    if (base === undefined || offset === undefined) return undefined;
    const n = payloadRaw(base, offset, len ?? 0);
    n.isRaw = true;
    n.dtype = { ...XINTEGER, bits: len ?? 0, len: Math.ceil((len ?? 0) / 8), order: 'big' };
    n.len = len ?? 0;
    return n;
  }
  if (desc.templates[type] === undefined) return undefined;
  const n = payloadField(desc, type);
  if (len) n.len = len;
  return n;
});

const sameField = (a: PayloadNode, b: PayloadNode): boolean => a.desc === b.desc && a.tmpl === b.tmpl && a.base === b.base && a.offset === b.offset;

/** `tcp dport set 8080` (payload_stmt). */
export class PayloadStmt implements PostprocessStmt {
  readonly kind = 'payload';
  constructor(public expr: PayloadNode, public val: Node) {}
  print(o: Out): string { return `${exprText(this.expr, o)} set ${exprText(this.val, o)}`; }

  postprocess(pp: RulePP): void {
    complete(this.expr, pp.pctx);
    if (!isKnown(this.expr)) this.#binop(pp);
    this.expr = pp.expr(this.expr) as PayloadNode;
    setType(this.val, this.expr.dtype, this.expr.order);
    this.val = pp.expr(this.val);
  }

  // stmt_payload_binop_postprocess: a set of a field that is not whole bytes is a read-modify-write of its bytes.
  #binop(pp: RulePP): void {
    const e = this.val;
    if (e.k !== 'binop') return;
    const full = (len: number): bigint => (1n << BigInt(len)) - 1n;
    if (e.left.k === 'binop') {
      const binop = e.left, value = e.right, payload = binop.left, mask = binop.right;
      if (e.op !== '|' || value.k !== 'value' || binop.op !== '&' || payload.k !== 'leaf' || payload.kind !== 'payload' || mask.k !== 'value') return;
      if (!sameField(this.expr, payload as PayloadNode)) return;
      const saved = mask.v;
      mask.v = full(payload.len) ^ mask.v ^ value.v;
      e.left = pp.binopPostprocess(e, binop);
      if (!isKnown(payload as PayloadNode)) { mask.v = saved; return; }
      this.expr = payload as PayloadNode;
      this.val = e.right;
    } else if (e.left.k === 'leaf' && e.left.kind === 'payload') {
      const value = e.right;
      if (value.k !== 'value' || (e.op !== '&' && e.op !== '|')) return;
      const payload = e.left as PayloadNode;
      if (e.op === '&') value.v = full(payload.len) ^ value.v;
      const shift = trim(payload, value, pp.pctx);
      if (shift !== undefined) {
        value.v >>= BigInt(shift);
        value.len = payload.len;
        complete(payload, pp.pctx);
        setType(value, payload.dtype, payload.order);
      }
      if (!isKnown(payload)) return;
      if (e.op === '&') value.v = 0n;
      this.expr = payload;
      this.val = value;
    }
  }
}

function delinearize(e: PayloadExpr, p: RuleParser): void {
  const base = PAYLOAD_BASES.number(e.base) + 1;
  const n = payloadRaw(base, e.offset * 8, e.len * 8);
  if (e.dreg !== undefined) { p.regs.set(e.dreg, n); return; }
  p.emit(new PayloadStmt(n, p.need(e.sreg!, 'payload statement')));
}

export const payload = register({
  name: 'payload',
  fields: [
    { key: 'sreg', attr: U.NFTA_PAYLOAD_SREG, kind: 'reg', regLen: (e) => e.len as number },
    { key: 'dreg', attr: U.NFTA_PAYLOAD_DREG, kind: 'reg', regLen: (e) => e.len as number },
    { key: 'base', attr: U.NFTA_PAYLOAD_BASE, kind: 'be32', enum: PAYLOAD_BASES },
    { key: 'offset', attr: U.NFTA_PAYLOAD_OFFSET, kind: 'be32' },
    { key: 'len', attr: U.NFTA_PAYLOAD_LEN, kind: 'be32' },
    { key: 'csumType', attr: U.NFTA_PAYLOAD_CSUM_TYPE, kind: 'be32' },
    { key: 'csumOffset', attr: U.NFTA_PAYLOAD_CSUM_OFFSET, kind: 'be32' },
    { key: 'csumFlags', attr: U.NFTA_PAYLOAD_CSUM_FLAGS, kind: 'be32' },
  ],
  delinearize: delinearize as never,
  // The checksum attributes only for a header that has one (and its flags when set).
  recreate: (e) => without(e, (k, v) => ((k === 'csumType' || k === 'csumOffset') && !e.csumType) || (k === 'csumFlags' && v === 0)),
});

