// limit: `limit rate 10/second burst 5 packets`, `limit rate over 1 mbytes/second`.
import { explicit } from '../enums.js';
import type { Stmt } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { register, without } from './spec.js';

export const LIMIT_TYPES = explicit<'packets' | 'bytes'>('limit type', [['packets', U.NFT_LIMIT_PKTS], ['bytes', U.NFT_LIMIT_PKT_BYTES]]);

export interface LimitExpr {
  type: 'limit';
  rate: number;
  /** Seconds per unit: 1 second, 60 minute, 3600 hour, 86400 day, 604800 week. */
  unit: number;
  burst?: number;
  limitType: 'packets' | 'bytes';
  /** NFT_LIMIT_F_INV (1): `rate over`. */
  flags?: number;
}

const UNITS: Record<number, string> = { 1: 'second', 60: 'minute', 3600: 'hour', 86400: 'day', 604800: 'week' };

/** get_rate: bytes in the largest unit that divides them (bytes, kbytes, mbytes). */
export function rateText(n: number): string {
  if (n === 0) return '0 bytes';
  const units = ['bytes', 'kbytes', 'mbytes'];
  let i = 0;
  for (; i < units.length - 1 && n % 1024 === 0; i++) n /= 1024;
  return `${n} ${units[i]}`;
}

/** The text of a limit, as `limit rate ...` and a limit object print it (from `rate` on). */
export function limitText(l: Pick<LimitExpr, 'rate' | 'unit' | 'burst' | 'flags'> & { limitType: string | number }): string {
  const over = ((l.flags ?? 0) & U.NFT_LIMIT_F_INV) !== 0 ? 'over ' : '';
  const unit = UNITS[l.unit] ?? 'error';
  if (l.limitType === 'bytes' || l.limitType === U.NFT_LIMIT_PKT_BYTES) {
    return `rate ${over}${rateText(l.rate)}/${unit}${l.burst ? ` burst ${rateText(l.burst)}` : ''}`;
  }
  return `rate ${over}${l.rate}/${unit}${l.burst && l.burst !== 5 ? ` burst ${l.burst} packets` : ''}`;
}

export class LimitStmt implements Stmt {
  readonly kind = 'limit';
  constructor(readonly e: LimitExpr) {}
  print(): string { return `limit ${limitText(this.e)}`; }
}

export const limit = register({
  name: 'limit',
  fields: [
    { key: 'rate', attr: U.NFTA_LIMIT_RATE, kind: 'be64' },
    { key: 'unit', attr: U.NFTA_LIMIT_UNIT, kind: 'be64' },
    { key: 'burst', attr: U.NFTA_LIMIT_BURST, kind: 'be32' },
    { key: 'limitType', attr: U.NFTA_LIMIT_TYPE, kind: 'be32', enum: LIMIT_TYPES },
    { key: 'flags', attr: U.NFTA_LIMIT_FLAGS, kind: 'be32' },
  ],
  delinearize: ((e: LimitExpr, p: RuleParser) => p.emit(new LimitStmt(e))) as never,
  // A burst of 0 is left out.
  recreate: (e) => without(e, (k, v) => (k === 'burst') && v === 0),
});
