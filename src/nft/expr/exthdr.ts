// exthdr: load a field of an IPv6 extension header, TCP option, IPv4
// option or SCTP chunk (`frag more-fragments 1`, `tcp option maxseg size
// 1460`, `ip option rr ptr 4`, `sctp chunk init num-inbound-streams 1`),
// test for one (`exthdr hbh exists`), write one (`tcp option maxseg size
// set 1360`) or strip one (`reset tcp option sack-perm`).
import { dataType, type DataType } from '../datatypes.js';
import { EXTHDR_BY_ID, EXTHDR_OP_IPV4, EXTHDR_OP_IPV6, EXTHDR_OP_SCTP, EXTHDR_OP_TCPOPT, IP_OPTIONS, IPV6_EXTHDRS, RT, RT0, RT2, SCTP_CHUNKS, SRH, TCP_OPTIONS, type ExthdrDesc } from '../exthdrs.js';
import { EXPR_EXTHDR, exprText, leafPrinters, setType, typeofParsers, type LeafNode, type Node, type Out } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
import { udataFields } from '../print/udata.js';
import { leafHooks, scan0, scan1, type PostprocessStmt } from '../print/postprocess.js';
import { BASE_NH, BASE_TH, type Template } from '../proto.js';
import * as U from '../uapi.js';
import { register, without } from './spec.js';

export interface ExthdrExpr {
  type: 'exthdr';
  /** NFT_EXTHDR_OP_*: 0 IPv6 extension header, 1 TCP option, 2 IPv4 option, 3 SCTP chunk. */
  op?: number;
  /** The header's number (next header, option kind, chunk type). */
  exthdrType: number;
  offset: number;
  len: number;
  /** NFT_EXTHDR_F_PRESENT (1): load 1 if the header is there. */
  flags?: number;
  dreg?: number;
  sreg?: number;
}

/** An exthdr load as the printer tracks it (nft's EXPR_EXTHDR; offset and length in bits). */
export interface ExthdrNode extends LeafNode {
  kind: 'exthdr'; op: number; rawType: number; offset: number; exthdrFlags: number;
  desc: ExthdrDesc | undefined; tmpl: Template | undefined;
}

const BOOLEAN = dataType('boolean');
const INTEGER = dataType('integer');
const PRESENT = U.NFT_EXTHDR_F_PRESENT;

function findTemplate(d: ExthdrDesc, offset: number, len: number): Template | undefined {
  return d.templates.find((t) => t !== undefined && t.offset === offset && t.len === len);
}

function setTypeOf(n: ExthdrNode, t: DataType): void {
  n.dtype = (n.exthdrFlags & PRESENT) !== 0 ? BOOLEAN : t;
}

/** exthdr_init_raw: names the header and field a load reads, when nft knows them. */
export function initRaw(n: ExthdrNode, type: number, offset: number, len: number, op: number, flags: number): void {
  Object.assign(n, { rawType: type, offset, len, op, exthdrFlags: flags, desc: undefined, tmpl: undefined });
  if (op === EXTHDR_OP_TCPOPT || op === EXTHDR_OP_SCTP) {
    setTypeOf(n, INTEGER);
    n.desc = (op === EXTHDR_OP_TCPOPT ? TCP_OPTIONS : SCTP_CHUNKS).get(type);
    const t = n.desc !== undefined ? findTemplate(n.desc, offset, len) : undefined;
    if (t !== undefined) { n.tmpl = t; setTypeOf(n, t.dtype); }
    return;
  }
  if (op === EXTHDR_OP_IPV4) {
    n.desc = IP_OPTIONS.get(type);
    const t = n.desc !== undefined ? findTemplate(n.desc, offset, len) : undefined;
    if (t !== undefined) { n.tmpl = t; setTypeOf(n, t.dtype); }
    return;
  }
  n.desc = IPV6_EXTHDRS.get(type);
  let t = n.desc !== undefined ? findTemplate(n.desc, offset, len) : undefined;
  if (t === undefined && n.desc === RT) {
    for (const d of [SRH, RT0, RT2]) {
      t = findTemplate(d, offset, len);
      if (t !== undefined) { n.desc = d; break; }
    }
  }
  n.tmpl = t;
  setTypeOf(n, t?.dtype ?? INTEGER);
}

export function exthdrNode(type: number, offset: number, len: number, op: number, flags: number): ExthdrNode {
  const n = { k: 'leaf', kind: 'exthdr', len, dtype: INTEGER, order: 'big', flags: 0 } as ExthdrNode;
  initRaw(n, type, offset, len, op, flags);
  return n;
}

leafPrinters.set('exthdr', (e) => {
  const n = e as ExthdrNode;
  const name = n.desc?.name ?? 'unknown-exthdr';
  const present = (n.exthdrFlags & PRESENT) !== 0;
  const token = n.tmpl?.token ?? 'unknown';
  switch (n.op) {
    case EXTHDR_OP_TCPOPT: {
      if (n.desc === undefined) return n.offset === 0 && present ? `tcp option ${n.rawType}` : `tcp option @${n.rawType},${n.offset},${n.len}`;
      const nth = Math.floor(n.offset / 64);
      return present ? `tcp option ${name}` : `tcp option ${name}${nth !== 0 ? nth : ''} ${token}`;
    }
    case EXTHDR_OP_IPV4: return present ? `ip option ${name}` : `ip option ${name} ${token}`;
    case EXTHDR_OP_SCTP: return present ? `sctp chunk ${name}` : `sctp chunk ${name} ${token}`;
    default: return present ? `exthdr ${name}` : `${name} ${token}`;
  }
});

// exthdr_expr_parse_udata: `typeof frag more-fragments` names an IPv6 header by nft's id, an option or chunk by its number, and the field by index.
typeofParsers.set(EXPR_EXTHDR, (b) => {
  const { u32 } = udataFields(b);
  const op = u32.get(2) ?? EXTHDR_OP_IPV6, id = u32.get(0), type = u32.get(1);
  if (id === undefined || type === undefined) return undefined;
  const desc = op === EXTHDR_OP_IPV6 ? EXTHDR_BY_ID[id]
    : op === EXTHDR_OP_TCPOPT ? TCP_OPTIONS.get(id) : op === EXTHDR_OP_IPV4 ? IP_OPTIONS.get(id) : op === EXTHDR_OP_SCTP ? SCTP_CHUNKS.get(id) : undefined;
  const tmpl = desc?.templates[type];
  if (desc === undefined || tmpl === undefined) return undefined;
  const n = { k: 'leaf', kind: 'exthdr', len: tmpl.len, dtype: tmpl.dtype, order: 'big', flags: 0 } as ExthdrNode;
  Object.assign(n, { rawType: desc.type, offset: tmpl.offset, op, exthdrFlags: 0, desc, tmpl });
  return n;
});

// exthdr_find_template: a mask that selects exactly a field of the header.
function trim(n: ExthdrNode, mask: Node & { v: bigint; len: number }): number | undefined {
  const maskOffset = Math.max(scan1(mask.v, 0), 0);
  const maskLen = scan0(mask.v, maskOffset + 1);
  const off = n.offset + Math.ceil(mask.len / 8) * 8 - maskLen;
  const len = maskLen - maskOffset;
  if (n.op === EXTHDR_OP_IPV6) {
    if (n.desc === undefined) return undefined;
    initRaw(n, n.desc.type, off, len, n.op, 0);
    return n.tmpl !== undefined ? maskOffset : undefined;
  }
  if (n.op === EXTHDR_OP_TCPOPT || n.op === EXTHDR_OP_IPV4) {
    if (n.tmpl !== undefined || n.desc === undefined) return undefined;
    initRaw(n, n.desc.type, off, len, n.op, 0);
    return n.tmpl !== undefined ? maskOffset : undefined;
  }
  return undefined;
}

leafHooks.set('exthdr', {
  // exthdr_dependency_kill: a TCP option implies `meta l4proto tcp`, an IPv6/IPv4 header its network protocol.
  postprocess(e, pp) {
    const n = e as ExthdrNode;
    const base = n.op === EXTHDR_OP_TCPOPT ? BASE_TH : n.op === EXTHDR_OP_IPV6 || n.op === EXTHDR_OP_IPV4 ? BASE_NH : 0;
    if (base !== 0 && pp.dep.exists(base)) pp.dep.release(base);
  },
  trim: (e, mask) => trim(e as ExthdrNode, mask),
});

/** `tcp option maxseg size set 1360` (exthdr_stmt). */
export class ExthdrStmt implements PostprocessStmt {
  readonly kind = 'exthdr';
  constructor(public expr: ExthdrNode, public val: Node) {}
  print(o: Out): string { return `${exprText(this.expr, o)} set ${exprText(this.val, o)}`; }
}

/** `reset tcp option sack-perm` (optstrip_stmt). */
export class OptstripStmt implements PostprocessStmt {
  readonly kind = 'optstrip';
  constructor(public expr: ExthdrNode) {}
  print(o: Out): string { return `reset ${exprText(this.expr, o)}`; }
}

function delinearize(e: ExthdrExpr, p: RuleParser): void {
  const n = exthdrNode(e.exthdrType, e.offset * 8, e.len * 8, e.op ?? 0, e.flags ?? 0);
  if (e.dreg !== undefined) { p.regs.set(e.dreg, n); return; }
  if (e.sreg !== undefined) {
    const val = p.need(e.sreg, 'exthdr statement');
    setType(val, n.dtype, n.order);
    p.emit(new ExthdrStmt(n, val));
    return;
  }
  n.exthdrFlags |= PRESENT;
  p.emit(new OptstripStmt(n));
}

export const exthdr = register({
  name: 'exthdr',
  fields: [
    { key: 'dreg', attr: U.NFTA_EXTHDR_DREG, kind: 'reg', regLen: (e) => e.len as number },
    { key: 'sreg', attr: U.NFTA_EXTHDR_SREG, kind: 'reg', regLen: (e) => e.len as number },
    { key: 'exthdrType', attr: U.NFTA_EXTHDR_TYPE, kind: 'u8', required: true },
    { key: 'offset', attr: U.NFTA_EXTHDR_OFFSET, kind: 'be32' },
    { key: 'len', attr: U.NFTA_EXTHDR_LEN, kind: 'be32' },
    { key: 'op', attr: U.NFTA_EXTHDR_OP, kind: 'be32' },
    { key: 'flags', attr: U.NFTA_EXTHDR_FLAGS, kind: 'be32' },
  ],
  delinearize: delinearize as never,
  // A write sends no flags; a strip (`reset tcp option ...`) only the type and op.
  recreate: (e) => without(e, (k, v) => (e.dreg === undefined && k === 'flags' && v === 0) ||
    (e.dreg === undefined && e.sreg === undefined && (k === 'offset' || k === 'len') && v === 0)),
});
