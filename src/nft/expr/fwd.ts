// fwd: `fwd to "eth0"`, `fwd ip to 10.0.0.1 device "eth0"` (netdev: send the packet out a device).
import { dataType } from '../datatypes.js';
import { exprText, setType, type Node, type Out } from '../print/ast.js';
import { DelinearizeError, type RuleParser } from '../print/delinearize.js';
import type { PostprocessStmt, RulePP } from '../print/postprocess.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface FwdExpr {
  type: 'fwd';
  regDev?: number;
  regAddr?: number;
  /** NFPROTO_IPV4 (2) or NFPROTO_IPV6 (10), with an address. */
  nfproto?: number;
}

export class FwdStmt implements PostprocessStmt {
  readonly kind = 'fwd';
  dev: Node | undefined;
  addr: Node | undefined;
  constructor(readonly family: number) {}
  postprocess(pp: RulePP): void {
    if (this.dev !== undefined) this.dev = pp.expr(this.dev);
    if (this.addr !== undefined) this.addr = pp.expr(this.addr);
  }
  print(o: Out): string {
    const dev = this.dev !== undefined ? exprText(this.dev, o) : '';
    if (this.addr === undefined) return `fwd to ${dev}`;
    const fam = this.family === 2 ? 'ip' : this.family === 10 ? 'ip6' : 'unknown';
    return `fwd ${fam} to ${exprText(this.addr, o)} device ${dev}`;
  }
}

function delinearize(e: FwdExpr, p: RuleParser): void {
  const s = new FwdStmt(e.nfproto ?? 0);
  if (e.regDev) {
    s.dev = p.need(e.regDev, 'fwd statement has no output expression');
    setType(s.dev, dataType('iface_index'), 'host');
  }
  if (e.regAddr) {
    const addr = p.need(e.regAddr, 'fwd statement has no output expression');
    if (s.family !== 2 && s.family !== 10) throw new DelinearizeError('fwd statement has no family');
    setType(addr, dataType(s.family === 2 ? 'ipv4_addr' : 'ipv6_addr'), 'big');
    s.addr = addr;
  }
  p.emit(s);
}

export const fwd = register({
  name: 'fwd',
  fields: [
    { key: 'regDev', attr: U.NFTA_FWD_SREG_DEV, kind: 'reg' },
    { key: 'regAddr', attr: U.NFTA_FWD_SREG_ADDR, kind: 'reg' },
    { key: 'nfproto', attr: U.NFTA_FWD_NFPROTO, kind: 'be32' },
  ],
  namesInterfaces: (e) => e.regDev !== undefined,
  delinearize: delinearize as never,
});
