// reject: `reject` (icmp port-unreachable), `reject with tcp reset`,
// `reject with icmpx admin-prohibited`, `reject with icmpv6 no-route`.
import { dataType } from '../datatypes.js';
import { explicit } from '../enums.js';
import { exprText, value, type Out, type ValueNode } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
import type { PostprocessStmt, RulePP } from '../print/postprocess.js';
import { BASE_LL, BASE_NH, BASE_TH, protoNum } from '../proto.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export const REJECT_TYPES = explicit<'icmp' | 'tcp reset' | 'icmpx'>('reject type', [
  ['icmp', U.NFT_REJECT_ICMP_UNREACH], ['tcp reset', U.NFT_REJECT_TCP_RST], ['icmpx', U.NFT_REJECT_ICMPX_UNREACH],
]);

export interface RejectExpr {
  type: 'reject';
  rejectType: 'icmp' | 'tcp reset' | 'icmpx';
  /** ICMP(v6) code, or NFT_REJECT_ICMPX_* for icmpx. */
  code?: number;
}

/** reject_stmt: the code's type and the family come from the rule's context (stmt_reject_postprocess). */
export class RejectStmt implements PostprocessStmt {
  readonly kind = 'reject';
  family = 0;
  verbose = false;
  readonly code: ValueNode;
  constructor(readonly rejectType: string, code: number) {
    this.code = value(BigInt(code), 8, dataType('integer'), 'host');
  }

  postprocess(pp: RulePP): void {
    const f = pp.pctx.family;
    if (f === 'ip' || f === 'ip6') {
      this.family = f === 'ip' ? 2 : 10;
      this.code.dtype = dataType(f === 'ip' ? 'icmp_code' : 'icmpv6_code');
      if (this.rejectType === 'tcp reset' && pp.dep.exists(BASE_TH)) pp.dep.release(BASE_TH);
      return;
    }
    if (f !== 'inet' && f !== 'bridge' && f !== 'netdev') return;
    if (this.rejectType === 'icmpx') { this.code.dtype = dataType('icmpx_code'); return; }
    this.verbose = true;
    const proto = protoNum(pp.pctx.desc[BASE_LL], pp.pctx.desc[BASE_NH]);
    if (proto === 2 || proto === 0x0800) { this.family = 2; this.code.dtype = dataType('icmp_code'); }
    else if (proto === 10 || proto === 0x86dd) { this.family = 10; this.code.dtype = dataType('icmpv6_code'); }
    if (pp.dep.exists(BASE_NH)) pp.dep.release(BASE_NH);
  }

  print(o: Out): string {
    const code = Number(this.code.v);
    if (this.rejectType === 'tcp reset') return 'reject with tcp reset';
    if (this.rejectType === 'icmpx') return code === U.NFT_REJECT_ICMPX_PORT_UNREACH ? 'reject' : `reject with icmpx ${exprText(this.code, o)}`;
    if (this.rejectType !== 'icmp') return 'reject';
    if (this.family === 2) return !this.verbose && code === 3 ? 'reject' : `reject with icmp ${exprText(this.code, o)}`;
    if (this.family === 10) return !this.verbose && code === 4 ? 'reject' : `reject with icmpv6 ${exprText(this.code, o)}`;
    return 'reject';
  }
}

export const reject = register({
  name: 'reject',
  fields: [
    { key: 'rejectType', attr: U.NFTA_REJECT_TYPE, kind: 'be32', enum: REJECT_TYPES },
    { key: 'code', attr: U.NFTA_REJECT_ICMP_CODE, kind: 'u8' },
  ],
  delinearize: ((e: RejectExpr, p: RuleParser) => p.emit(new RejectStmt(String(e.rejectType), e.code ?? 0))) as never,
  // nft sends a code for every type (0 for a tcp reset, which the kernel lists without one).
  recreate: (e) => (e.code === undefined ? { ...e, code: 0 } : e),
});
