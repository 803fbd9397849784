// NFTA_DATA_*: the value or verdict carried by cmp, immediate, range,
// bitwise and set elements.
import * as U from '../uapi.js';
import { attrTable, copyBytes, DecodeError, walkAttrs, type Writer } from '../wire.js';

export type VerdictKind = 'accept' | 'drop' | 'continue' | 'return' | 'jump' | 'goto' | 'queue' | 'break';

/**
 * A verdict: `accept`, `drop`, `continue`, `return`, `jump CHAIN`, `goto CHAIN`,
 * `queue` (optionally to queue `num`).
 */
export interface Verdict {
  kind: VerdictKind;
  /** Target of jump/goto. */
  chain?: string;
  /** Queue number for 'queue'. */
  num?: number;
}

/** A register value (bytes, network order as the kernel compares them) or a verdict. */
export type Data = Uint8Array | Verdict;

const CODES: Record<Exclude<VerdictKind, 'queue'>, number> = {
  accept: U.NF_ACCEPT, drop: U.NF_DROP, continue: U.NFT_CONTINUE, return: U.NFT_RETURN,
  jump: U.NFT_JUMP, goto: U.NFT_GOTO, break: U.NFT_BREAK,
};

export function verdictCode(v: Verdict): number {
  if (v.kind === 'queue') return U.NF_QUEUE | ((v.num ?? 0) << 16);
  const c = CODES[v.kind];
  if (c === undefined) throw new TypeError(`unknown verdict ${JSON.stringify(v.kind)}`);
  return c;
}

export function verdictFromCode(code: number, chain?: string): Verdict {
  if ((code & 0xff) === U.NF_QUEUE && code >= 0) return { kind: 'queue', num: code >>> 16 };
  const kind = (Object.keys(CODES) as (keyof typeof CODES)[]).find((k) => CODES[k] === code);
  if (kind === undefined) throw new DecodeError(`unknown verdict code ${code}`);
  return chain !== undefined ? { kind, chain } : { kind };
}

export function isVerdict(d: unknown): d is Verdict {
  return typeof d === 'object' && d !== null && !(d instanceof Uint8Array) && typeof (d as Verdict).kind === 'string';
}

/** Writes a verdict nest (NFTA_DATA_VERDICT's inside). */
export function encodeVerdict(w: Writer, attr: number, v: Verdict): void {
  const t = w.nest(attr);
  w.be32(U.NFTA_VERDICT_CODE, verdictCode(v) >>> 0);
  if (v.chain !== undefined) w.strz(U.NFTA_VERDICT_CHAIN, v.chain);
  w.end(t);
}

/** Writes attr as a nest holding NFTA_DATA_VALUE or NFTA_DATA_VERDICT. */
export function encodeData(w: Writer, attr: number, d: Data): void {
  const t = w.nest(attr);
  if (d instanceof Uint8Array) w.attr(U.NFTA_DATA_VALUE, d);
  else encodeVerdict(w, U.NFTA_DATA_VERDICT, d);
  w.end(t);
}

export function decodeVerdict(buf: Buffer): Verdict {
  const t = attrTable(buf);
  const code = t[U.NFTA_VERDICT_CODE];
  if (code === undefined || code.length !== 4) throw new DecodeError('verdict without a code');
  const chain = t[U.NFTA_VERDICT_CHAIN];
  return verdictFromCode(code.readInt32BE(0), chain === undefined ? undefined : chain.toString('utf8', 0, chain.indexOf(0) >= 0 ? chain.indexOf(0) : chain.length));
}

/** Decodes the inside of a data nest. */
export function decodeData(buf: Buffer): Data {
  return decodeDataAt(buf, 0, buf.length);
}

/** Decodes the data nest in buf[off, off + len). */
export function decodeDataAt(buf: Buffer, off: number, len: number): Data {
  let out: Data | undefined;
  walkAttrs(buf, off, off + len, (type, _n, at, n) => {
    if (type === U.NFTA_DATA_VALUE) out = copyBytes(buf, at, n);
    else if (type === U.NFTA_DATA_VERDICT && out === undefined) out = decodeVerdict(buf.subarray(at, at + n));
  });
  if (out === undefined) throw new DecodeError('data without a value or a verdict');
  return out;
}
