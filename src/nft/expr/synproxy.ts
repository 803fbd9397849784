// synproxy: `synproxy mss 1460 wscale 7 timestamp sack-perm` (answer SYNs for the server).
import type { Stmt } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface SynproxyExpr {
  type: 'synproxy';
  mss?: number;
  wscale?: number;
  /** NF_SYNPROXY_OPT_*: 1 mss, 2 wscale, 4 sack-perm, 8 timestamp. */
  flags?: number;
}

/** NF_SYNPROXY_OPT_* (linux/netfilter/nf_synproxy.h). */
export const SYNPROXY_MSS = 1, SYNPROXY_WSCALE = 2, SYNPROXY_SACK_PERM = 4, SYNPROXY_TIMESTAMP = 8;

/** synproxy_stmt_print, from after `synproxy`. */
export function synproxyText(mss: number, wscale: number, flags: number): string {
  const ts = flags & SYNPROXY_TIMESTAMP ? ' timestamp' : '';
  const sack = flags & SYNPROXY_SACK_PERM ? ' sack-perm' : '';
  if (flags & (SYNPROXY_MSS | SYNPROXY_WSCALE)) return ` mss ${mss} wscale ${wscale}${ts}${sack}`;
  if (flags & SYNPROXY_MSS) return ` mss ${mss}${ts}${sack}`;
  if (flags & SYNPROXY_WSCALE) return ` wscale ${wscale}${ts}${sack}`;
  return `${ts}${sack}`;
}

export class SynproxyStmt implements Stmt {
  readonly kind = 'synproxy';
  constructor(readonly e: SynproxyExpr) {}
  print(): string { return `synproxy${synproxyText(this.e.mss ?? 0, this.e.wscale ?? 0, this.e.flags ?? 0)}`; }
}

export const synproxy = register({
  name: 'synproxy',
  fields: [
    { key: 'mss', attr: U.NFTA_SYNPROXY_MSS, kind: 'be16' },
    { key: 'wscale', attr: U.NFTA_SYNPROXY_WSCALE, kind: 'u8' },
    { key: 'flags', attr: U.NFTA_SYNPROXY_FLAGS, kind: 'be32' },
  ],
  delinearize: ((e: SynproxyExpr, p: RuleParser) => p.emit(new SynproxyStmt(e))) as never,
});
