// ct: conntrack state into a register (`ct state established,related`,
// `ct original ip daddr`, `ct mark`), or a register into conntrack (`ct mark set 1`).
import { dataType, type ByteOrder, type DataType } from '../datatypes.js';
import { explicit, fromPrefix } from '../enums.js';
import { EXPR_CT, F_PROTOCOL, exprText, leafPrinters, setType, typeofParsers, type LeafNode, type Node, type Out } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
import { leafHooks, treeToList, type PostprocessStmt, type RulePP } from '../print/postprocess.js';
import { BASE_LL, BASE_NH, BASE_TH, INET, IP, IP6, protoUpper } from '../proto.js';
import * as U from '../uapi.js';
import { metaCtCommon } from './meta.js';
import { udataFields } from '../print/udata.js';
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

interface CtTemplate { token: string; dtype: DataType; order: ByteOrder; len: number }
const C = (token: string, type: string, order: ByteOrder, len: number): CtTemplate => ({ token, dtype: dataType(type), order, len });
const INVALID_TYPE = { ...dataType('integer'), name: 'invalid', id: 0 };

// nft's ct_templates, by NFT_CT_* key.
const TEMPLATES: CtTemplate[] = [
  C('state', 'ct_state', 'host', 32), C('direction', 'ct_dir', 'host', 8), C('status', 'ct_status', 'host', 32),
  C('mark', 'mark', 'host', 32), C('secmark', 'integer', 'host', 32), C('expiration', 'time', 'host', 32),
  C('helper', 'string', 'host', 128), C('l3proto', 'nf_proto', 'host', 8),
  { token: 'saddr', dtype: INVALID_TYPE, order: 'big', len: 0 }, { token: 'daddr', dtype: INVALID_TYPE, order: 'big', len: 0 },
  C('protocol', 'inet_proto', 'big', 8),
  { token: 'proto-src', dtype: INVALID_TYPE, order: 'big', len: 16 }, { token: 'proto-dst', dtype: INVALID_TYPE, order: 'big', len: 16 },
  C('label', 'ct_label', 'host', 128), C('packets', 'integer', 'host', 64), C('bytes', 'integer', 'host', 64),
  C('avgpkt', 'integer', 'host', 64), C('zone', 'integer', 'host', 16), C('event', 'ct_event', 'host', 32),
  C('ip saddr', 'ipv4_addr', 'big', 32), C('ip daddr', 'ipv4_addr', 'big', 32), C('ip6 saddr', 'ipv6_addr', 'big', 128),
  C('ip6 daddr', 'ipv6_addr', 'big', 128), C('id', 'integer', 'big', 32),
];

const keyNumber = (key: string | number): number => (typeof key === 'number' ? key : CT_KEYS.byName.get(key) ?? -1);

/** ct_expr_alloc. */
export function ctNode(key: number, direction: number | undefined): LeafNode {
  const t = TEMPLATES[key];
  const n: LeafNode = { k: 'leaf', kind: 'ct', key, direction, nfproto: 0, len: t?.len ?? 32, dtype: t?.dtype ?? dataType('integer'), order: t?.order ?? 'host', flags: 0 };
  if (key === U.NFT_CT_SRC || key === U.NFT_CT_DST) n.base = BASE_NH;
  else if (key === U.NFT_CT_PROTO_SRC || key === U.NFT_CT_PROTO_DST) n.base = BASE_TH;
  else if (key === U.NFT_CT_PROTOCOL) { n.flags = F_PROTOCOL; n.base = BASE_NH; }
  else if (key === U.NFT_CT_L3PROTOCOL) { n.flags = F_PROTOCOL; n.base = BASE_LL; }
  return n;
}

// ct_print: `ct [original|reply] [ip|ip6] key`.
function ctText(key: number, direction: number | undefined, nfproto: number): string {
  let t = 'ct ';
  if (direction !== undefined) {
    t += `${direction === 0 ? 'original' : direction === 1 ? 'reply' : ''}${direction === 0 || direction === 1 ? ' ' : ''}`;
    if (key === U.NFT_CT_SRC || key === U.NFT_CT_DST) {
      const d = protoUpper(INET, nfproto);
      if (d !== undefined) t += `${d.name} `;
    }
  }
  return t + (TEMPLATES[key]?.token ?? String(key));
}

leafPrinters.set('ct', (e) => ctText(e.key as number, e.direction as number | undefined, e.nfproto as number));

leafHooks.set('ct', {
  // ct_expr_pctx_update: `ct protocol tcp` names the transport header.
  pctxUpdate(pp, left, right) {
    const base = left.base as number | undefined ?? 0;
    const d = protoUpper(pp.pctx.desc[base], Number(right.v));
    if (d !== undefined) pp.pctx.update(base + 1, d);
  },
  // ct_expr_update_type: addresses and ports take the type of the header in effect.
  postprocess(e, pp) {
    const d = pp.pctx.desc[e.base as number ?? 0];
    switch (e.key) {
      case U.NFT_CT_SRC: case U.NFT_CT_DST:
        if (d === IP) { e.dtype = dataType('ipv4_addr'); e.nfproto = 2; } else if (d === IP6) { e.dtype = dataType('ipv6_addr'); e.nfproto = 10; }
        e.len = e.dtype.bits;
        return;
      case U.NFT_CT_PROTO_SRC: case U.NFT_CT_PROTO_DST:
        if (d !== undefined) e.dtype = dataType('inet_service');
        return;
      case U.NFT_CT_SRC_IP: case U.NFT_CT_DST_IP: e.dtype = dataType('ipv4_addr'); e.len = 32; return;
      case U.NFT_CT_SRC_IP6: case U.NFT_CT_DST_IP6: e.dtype = dataType('ipv6_addr'); e.len = 128; return;
      default:
    }
  },
  afterRelational: (rel, pp) => metaCtCommon(rel, pp, ((rel.left as LeafNode).base as number | undefined) ?? 0),
});

/** `ct mark set 1`, `ct event set new,related` (ct_stmt). */
export class CtStmt implements PostprocessStmt {
  readonly kind = 'ct';
  constructor(readonly key: number, readonly direction: number | undefined, public expr: Node) {}
  print(o: Out): string { return `${ctText(this.key, this.direction, 0)} set ${exprText(this.expr, o)}`; }
  postprocess(pp: RulePP): void {
    this.expr = pp.expr(this.expr);
    if (this.expr.k === 'binop' && this.key === U.NFT_CT_EVENTMASK) this.expr = treeToList(this.expr);
  }
}

typeofParsers.set(EXPR_CT, (b) => {
  const { u32 } = udataFields(b);
  const key = u32.get(0), dir = u32.get(1);
  if (key === undefined || dir === undefined || TEMPLATES[key] === undefined) return undefined;
  return ctNode(key, dir === 0 || dir === 1 ? dir : undefined);
});

function delinearize(e: CtExpr, p: RuleParser): void {
  const key = keyNumber(e.key);
  const dir = e.direction === undefined ? undefined : CT_DIRECTIONS.number(e.direction);
  if (e.dreg !== undefined) { p.regs.set(e.dreg, ctNode(key, dir)); return; }
  const expr = p.need(e.sreg!, 'ct statement');
  const t = TEMPLATES[key];
  if (t !== undefined) setType(expr, t.dtype, t.order);
  p.emit(new CtStmt(key, dir, expr));
}

export const ct = register({
  name: 'ct',
  fields: [
    { key: 'key', attr: U.NFTA_CT_KEY, kind: 'be32', enum: CT_KEYS },
    { key: 'dreg', attr: U.NFTA_CT_DREG, kind: 'reg', regLen: (e) => ctLen(e.key as string) },
    { key: 'direction', attr: U.NFTA_CT_DIRECTION, kind: 'u8', enum: CT_DIRECTIONS },
    { key: 'sreg', attr: U.NFTA_CT_SREG, kind: 'reg', regLen: (e) => ctLen(e.key as string) },
  ],
  delinearize: delinearize as never,
});
