// dup: `dup to 10.0.0.1 device "eth0"` (send a copy of the packet).
import { dataType } from '../datatypes.js';
import { exprText, setType, type Node, type Out } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
import type { PostprocessStmt, RulePP } from '../print/postprocess.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface DupExpr {
  type: 'dup';
  regAddr?: number;
  regDev?: number;
}

export class DupStmt implements PostprocessStmt {
  readonly kind = 'dup';
  to: Node | undefined;
  dev: Node | undefined;
  postprocess(pp: RulePP): void {
    if (this.to !== undefined) this.to = pp.expr(this.to);
    if (this.dev !== undefined) this.dev = pp.expr(this.dev);
  }
  print(o: Out): string {
    if (this.to === undefined) return 'dup';
    return `dup to ${exprText(this.to, o)}${this.dev !== undefined ? ` device ${exprText(this.dev, o)}` : ''}`;
  }
}

function delinearize(e: DupExpr, p: RuleParser): void {
  const s = new DupStmt();
  if (e.regAddr) {
    const addr = p.need(e.regAddr, 'DUP statement has no destination expression');
    if (p.family === 'ip' || p.family === 'ip6') setType(addr, dataType(p.family === 'ip' ? 'ipv4_addr' : 'ipv6_addr'), 'big');
    s.to = addr;
  }
  if (e.regDev) {
    const dev = p.need(e.regDev, 'DUP statement has no output expression');
    setType(dev, dataType('iface_index'), 'host');
    if (s.to === undefined) s.to = dev;
    else s.dev = dev;
  }
  p.emit(s);
}

export const dup = register({
  name: 'dup',
  fields: [
    { key: 'regAddr', attr: U.NFTA_DUP_SREG_ADDR, kind: 'reg' },
    { key: 'regDev', attr: U.NFTA_DUP_SREG_DEV, kind: 'reg' },
  ],
  namesInterfaces: (e) => e.regDev !== undefined,
  delinearize: delinearize as never,
});
