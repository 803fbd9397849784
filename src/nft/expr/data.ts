// NFTA_DATA_*: the value or verdict carried by cmp, immediate, range,
// bitwise and set elements.
import { own, show } from '../../check.js';
import * as U from '../uapi.js';
import { attrLen, attrType, copyBytes, DecodeError, nextAttr, readBe32, type Writer } from '../wire.js';

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
  /**
   * Target of jump/goto by its transaction id: a chain bound to the rule
   * (`jump { ... }`), made in the same batch (set by the encoder).
   */
  chainId?: number;
}

/** A register value (bytes, network order as the kernel compares them) or a verdict. */
export type Data = Uint8Array | Verdict;

const CODES: Record<Exclude<VerdictKind, 'queue'>, number> = {
  accept: U.NF_ACCEPT, drop: U.NF_DROP, continue: U.NFT_CONTINUE, return: U.NFT_RETURN,
  jump: U.NFT_JUMP, goto: U.NFT_GOTO, break: U.NFT_BREAK,
};

export function verdictCode(v: Verdict, what = 'verdict'): number {
  if (typeof v !== 'object' || v === null) throw new TypeError(`${what}: expected { kind }, got ${show(v)}`);
  if (v.kind === 'queue') {
    const num = v.num ?? 0;
    if (!Number.isInteger(num) || num < 0 || num > 0xffff) throw new RangeError(`${what}.num: expected a queue number 0..65535, got ${show(num)}`);
    return U.NF_QUEUE | (num << 16);
  }
  const c = own(CODES, v.kind);
  if (c === undefined) throw new TypeError(`${what}.kind: unknown verdict ${show(v.kind)} (${[...Object.keys(CODES), 'queue'].join(', ')})`);
  return c;
}

export function verdictFromCode(code: number, chain?: string): Verdict {
  if ((code & 0xff) === U.NF_QUEUE && code >= 0) return { kind: 'queue', num: code >>> 16 };
  const kind = (Object.keys(CODES) as (keyof typeof CODES)[]).find((k) => CODES[k] === code);
  if (kind === undefined) throw new DecodeError(`unknown verdict code ${code}`);
  return chain !== undefined ? { kind, chain } : { kind };
}

/** Checks a verdict before it is encoded: its kind, the chain of jump/goto (1-255 bytes, no NUL), a queue number. */
export function checkVerdict(v: unknown, what: string): Verdict {
  verdictCode(v as Verdict, what);
  const { kind, chain, chainId } = v as Verdict;
  if (chain !== undefined || ((kind === 'jump' || kind === 'goto') && chainId === undefined)) {
    if (typeof chain !== 'string' || chain.length === 0 || chain.includes('\0') || (chain.length > 85 && Buffer.byteLength(chain) > 255)) {
      throw new TypeError(`${what}.chain: expected a chain name of 1-255 bytes without NUL, got ${show(chain)}`);
    }
  }
  if (chainId !== undefined && (!Number.isInteger(chainId) || chainId < 0 || chainId > 0xffffffff)) throw new RangeError(`${what}.chainId: expected an integer, got ${show(chainId)}`);
  return v as Verdict;
}

export function isVerdict(d: unknown): d is Verdict {
  return typeof d === 'object' && d !== null && !(d instanceof Uint8Array) && typeof (d as Verdict).kind === 'string';
}

/** Writes a verdict nest (NFTA_DATA_VERDICT's inside). */
export function encodeVerdict(w: Writer, attr: number, v: Verdict): void {
  const t = w.nest(attr);
  w.be32(U.NFTA_VERDICT_CODE, verdictCode(v) >>> 0);
  if (v.chainId !== undefined) w.be32(U.NFTA_VERDICT_CHAIN_ID, v.chainId);
  else if (v.chain !== undefined) w.strz(U.NFTA_VERDICT_CHAIN, v.chain);
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
  return decodeVerdictAt(buf, 0, buf.length);
}

const KIND_OF_CODE = new Map<number, Exclude<VerdictKind, 'queue'>>((Object.keys(CODES) as (keyof typeof CODES)[]).map((k) => [CODES[k], k]));

/** The verdict nest in buf[off, off + len). */
export function decodeVerdictAt(buf: Buffer, off: number, len: number): Verdict {
  let codeAt = -1, codeLen = 0, chainAt = -1, chainLen = 0;
  const end = off + len;
  for (let p = off; end - p >= 4;) {
    const n = attrLen(buf, p, end);
    const type = attrType(buf, p);
    if (type === U.NFTA_VERDICT_CODE) { codeAt = p + 4; codeLen = n - 4; }
    else if (type === U.NFTA_VERDICT_CHAIN) { chainAt = p + 4; chainLen = n - 4; }
    p = nextAttr(p, n);
  }
  if (codeAt < 0 || codeLen !== 4) throw new DecodeError('verdict without a code');
  const code = readBe32(buf, codeAt) | 0;
  let chain: string | undefined;
  if (chainAt >= 0) {
    let e = chainAt;
    while (e < chainAt + chainLen && buf[e] !== 0) e++;
    chain = buf.toString('utf8', chainAt, e);
  }
  if ((code & 0xff) === U.NF_QUEUE && code >= 0) return { kind: 'queue', num: code >>> 16 };
  const kind = KIND_OF_CODE.get(code);
  if (kind === undefined) throw new DecodeError(`unknown verdict code ${code}`);
  return chain !== undefined ? { kind, chain } : { kind };
}

/** Decodes the inside of a data nest. */
export function decodeData(buf: Buffer): Data {
  return decodeDataAt(buf, 0, buf.length);
}

/** Decodes the data nest in buf[off, off + len). */
export function decodeDataAt(buf: Buffer, off: number, len: number): Data {
  let out: Data | undefined;
  const end = off + len;
  for (let p = off; end - p >= 4;) {
    const n = attrLen(buf, p, end);
    const type = attrType(buf, p);
    if (type === U.NFTA_DATA_VALUE) out = copyBytes(buf, p + 4, n - 4);
    else if (type === U.NFTA_DATA_VERDICT && out === undefined) out = decodeVerdictAt(buf, p + 4, n - 4);
    p = nextAttr(p, n);
  }
  if (out === undefined) throw new DecodeError('data without a value or a verdict');
  return out;
}
