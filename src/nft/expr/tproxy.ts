// tproxy: `tproxy ip to 10.0.0.1:50080` (send the packet to a local socket unchanged).
import { dataType } from '../datatypes.js';
import { exprText, setType, type Node, type Out } from '../print/ast.js';
import { DelinearizeError, type RuleParser } from '../print/delinearize.js';
import type { PostprocessStmt, RulePP } from '../print/postprocess.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface TproxyExpr {
  type: 'tproxy';
  /** NFPROTO_IPV4 (2), NFPROTO_IPV6 (10), or 0 (inet tables: either). */
  family: number;
  regAddr?: number;
  regPort?: number;
}

export class TproxyStmt implements PostprocessStmt {
  readonly kind = 'tproxy';
  addr: Node | undefined;
  port: Node | undefined;
  constructor(readonly family: number, readonly tableFamily: string) {}
  postprocess(pp: RulePP): void {
    if (this.addr !== undefined) this.addr = pp.expr(this.addr);
    if (this.port !== undefined) { pp.dep.reset(); this.port = pp.expr(this.port); }
  }
  print(o: Out): string {
    let t = 'tproxy';
    if (this.tableFamily === 'inet' && this.family !== 0) t += this.family === 2 ? ' ip' : this.family === 10 ? ' ip6' : ' unknown';
    t += ' to';
    const a = this.addr;
    if (a !== undefined) t += a.k === 'value' && a.dtype.name === 'ipv6_addr' ? ` [${exprText(a, o)}]` : ` ${exprText(a, o)}`;
    if (this.port?.k === 'value') t += `${a === undefined ? ' ' : ''}:${exprText(this.port, o)}`;
    return t;
  }
}

function delinearize(e: TproxyExpr, p: RuleParser): void {
  const s = new TproxyStmt(e.family, p.family);
  if (e.regAddr) {
    const addr = p.need(e.regAddr, 'tproxy');
    if (e.family !== 2 && e.family !== 10) throw new DelinearizeError('tproxy address must be IPv4 or IPv6');
    setType(addr, dataType(e.family === 2 ? 'ipv4_addr' : 'ipv6_addr'), 'big');
    s.addr = addr;
  }
  if (e.regPort) {
    const port = p.need(e.regPort, 'tproxy');
    setType(port, dataType('inet_service'), 'big');
    s.port = port;
  }
  p.emit(s);
}

export const tproxy = register({
  name: 'tproxy',
  fields: [
    { key: 'family', attr: U.NFTA_TPROXY_FAMILY, kind: 'be32' },
    { key: 'regAddr', attr: U.NFTA_TPROXY_REG_ADDR, kind: 'reg' },
    { key: 'regPort', attr: U.NFTA_TPROXY_REG_PORT, kind: 'reg' },
  ],
  delinearize: delinearize as never,
});
