// The nfnetlink wire format, in TypeScript: a growable writer that builds
// whole netlink messages (nlmsghdr + nfgenmsg + attributes) back to back in
// one buffer, and a reader that splits attribute streams. Everything nf_tables
// puts on the wire is built and parsed here; the addon only moves bytes.
import { bytesText, nftTextBytes } from './text.js';

/** Bytes that do not decode as the kernel's nf_tables format. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

export const NLA_F_NESTED = 0x8000;
const NLA_TYPE_MASK = 0x3fff;
const NLMSG_HDRLEN = 16;
const NFGENMSG_LEN = 4;
export const NFNETLINK_V0 = 0;

const align4 = (n: number): number => (n + 3) & ~3;

/**
 * Builds netlink messages into one buffer. Hot on large commits (hundreds
 * of thousands of attributes), so it stores bytes directly rather than
 * through Buffer's checked write methods, and copies ASCII strings itself.
 */
export class Writer {
  #buf: Buffer;
  #pos = 0;
  #count = 0;

  constructor(initial = 4096) {
    this.#buf = Buffer.alloc(initial);
  }

  /** How many messages were begun. */
  get count(): number {
    return this.#count;
  }

  get length(): number {
    return this.#pos;
  }

  #reserve(n: number): number {
    const need = this.#pos + align4(n);
    if (need > this.#buf.length) {
      const next = Buffer.alloc(Math.max(need, this.#buf.length * 2));
      next.set(this.#buf.subarray(0, this.#pos));
      this.#buf = next;
    }
    // The buffer is zeroed when allocated and only ever appended to, so
    // padding bytes are already 0.
    const at = this.#pos;
    this.#pos = need;
    return at;
  }

  // nlattr header: length and type, both little-endian u16.
  #header(at: number, len: number, type: number): void {
    const b = this.#buf;
    b[at] = len & 0xff;
    b[at + 1] = len >>> 8;
    b[at + 2] = type & 0xff;
    b[at + 3] = type >>> 8;
  }

  #be32At(at: number, v: number): void {
    const b = this.#buf;
    b[at] = v >>> 24;
    b[at + 1] = (v >>> 16) & 0xff;
    b[at + 2] = (v >>> 8) & 0xff;
    b[at + 3] = v & 0xff;
  }

  /** Starts a message: nlmsghdr (length, seq and pid filled later) and nfgenmsg. */
  beginMessage(type: number, flags: number, family: number, resId = 0): number {
    const at = this.#reserve(NLMSG_HDRLEN + NFGENMSG_LEN);
    const b = this.#buf;
    b[at + 4] = type & 0xff;
    b[at + 5] = (type >>> 8) & 0xff;
    b[at + 6] = flags & 0xff;
    b[at + 7] = (flags >>> 8) & 0xff;
    b[at + 16] = family & 0xff;
    b[at + 17] = NFNETLINK_V0;
    b[at + 18] = (resId >>> 8) & 0xff;
    b[at + 19] = resId & 0xff;
    this.#count++;
    return at;
  }

  endMessage(token: number): void {
    const len = this.#pos - token;
    const b = this.#buf;
    b[token] = len & 0xff;
    b[token + 1] = (len >>> 8) & 0xff;
    b[token + 2] = (len >>> 16) & 0xff;
    b[token + 3] = len >>> 24;
  }

  attr(type: number, data: Uint8Array): void {
    if (data.length > 0xffff - 4) throw new RangeError(`netlink attribute ${type} too long (${data.length} bytes)`);
    const at = this.#reserve(4 + data.length);
    this.#header(at, 4 + data.length, type);
    if (data.length <= 16) {
      const b = this.#buf;
      for (let i = 0; i < data.length; i++) b[at + 4 + i] = data[i]!;
    } else {
      this.#buf.set(data, at + 4);
    }
  }

  flag(type: number): void {
    this.attr(type, EMPTY);
  }

  u8(type: number, v: number): void {
    const at = this.#reserve(8);
    this.#header(at, 5, type);
    this.#buf[at + 4] = v & 0xff;
  }

  be16(type: number, v: number): void {
    const at = this.#reserve(8);
    this.#header(at, 6, type);
    this.#buf[at + 4] = (v >>> 8) & 0xff;
    this.#buf[at + 5] = v & 0xff;
  }

  be32(type: number, v: number): void {
    const at = this.#reserve(8);
    this.#header(at, 8, type);
    this.#be32At(at + 4, v >>> 0);
  }

  u32(type: number, v: number): void {
    const at = this.#reserve(8);
    this.#header(at, 8, type);
    this.#buf.writeUInt32LE(v >>> 0, at + 4);
  }

  be64(type: number, v: bigint): void {
    const at = this.#reserve(12);
    this.#header(at, 12, type);
    this.#buf.writeBigUInt64BE(BigInt.asUintN(64, v), at + 4);
  }

  /** A NUL-terminated string. */
  strz(type: number, s: string): void {
    // ASCII (names, almost always) is copied here; anything else as nft's bytes (UTF-8, see nftTextBytes).
    const len = s.length;
    let ascii = len <= 256;
    for (let i = 0; ascii && i < len; i++) if (s.charCodeAt(i) > 0x7f) ascii = false;
    const bytes = ascii ? undefined : nftTextBytes(s);
    const n = bytes === undefined ? len : bytes.length;
    if (n + 1 > 0xffff - 4) throw new RangeError(`netlink string attribute ${type} too long`);
    const at = this.#reserve(4 + n + 1);
    this.#header(at, 4 + n + 1, type);
    if (ascii) {
      const b = this.#buf;
      for (let i = 0; i < len; i++) b[at + 4 + i] = s.charCodeAt(i);
    } else {
      this.#buf.set(bytes!, at + 4);
    }
    this.#buf[at + 4 + n] = 0;
  }

  /** Opens a nested attribute; close it with end(). */
  nest(type: number): number {
    const at = this.#reserve(4);
    const t = type | NLA_F_NESTED;
    this.#buf[at + 2] = t & 0xff;
    this.#buf[at + 3] = t >>> 8;
    return at;
  }

  end(token: number): void {
    const len = this.#pos - token;
    if (len > 0xffff) throw new RangeError('netlink nested attribute too long');
    this.#buf[token] = len & 0xff;
    this.#buf[token + 1] = len >>> 8;
  }

  /** The messages written so far (a view, valid until the next write). */
  bytes(): Buffer {
    return this.#buf.subarray(0, this.#pos);
  }
}

const EMPTY = new Uint8Array(0);

/** One attribute: its type (flags masked off) and payload. */
export interface Attr {
  type: number;
  nested: boolean;
  data: Buffer;
}

/** Attributes indexed by type; the last one wins when a type repeats. */
export type AttrTable = (Buffer | undefined)[];

/** The attributes in [off, end) of buf, in order. */
export function attrList(buf: Buffer, off = 0, end = buf.length): Attr[] {
  const out: Attr[] = [];
  while (end - off >= 4) {
    const len = buf.readUInt16LE(off);
    const rawType = buf.readUInt16LE(off + 2);
    if (len < 4 || len > end - off) throw new DecodeError(`bad attribute length ${len} at offset ${off}`);
    out.push({ type: rawType & NLA_TYPE_MASK, nested: (rawType & NLA_F_NESTED) !== 0, data: buf.subarray(off + 4, off + len) });
    off += align4(len);
  }
  return out;
}

/** A copy of len bytes at off, as a plain Uint8Array (cheap for the short values attributes hold). */
export function copyBytes(buf: Buffer, off: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = buf[off + i]!;
  return out;
}

/** The attributes of buf as a table by type. */
export function attrTable(buf: Buffer, off = 0, end = buf.length): AttrTable {
  const t: AttrTable = [];
  while (end - off >= 4) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < 4 || len > end - off) throw new DecodeError(`bad attribute length ${len} at offset ${off}`);
    t[type] = buf.subarray(off + 4, off + len);
    off += align4(len);
  }
  return t;
}

export function str(a: Buffer): string {
  let n = a.length;
  while (n > 0 && a[n - 1] === 0) n--;
  return bytesText(a.subarray(0, n));
}

export function be32(a: Buffer, what: string): number {
  if (a.length !== 4) throw new DecodeError(`${what}: expected 4 bytes, got ${a.length}`);
  return a.readUInt32BE(0);
}

export function be16(a: Buffer, what: string): number {
  if (a.length !== 2) throw new DecodeError(`${what}: expected 2 bytes, got ${a.length}`);
  return a.readUInt16BE(0);
}

export function u8(a: Buffer, what: string): number {
  if (a.length !== 1) throw new DecodeError(`${what}: expected 1 byte, got ${a.length}`);
  return a.readUInt8(0);
}

export function be64(a: Buffer, what: string): bigint {
  if (a.length !== 8) throw new DecodeError(`${what}: expected 8 bytes, got ${a.length}`);
  return a.readBigUInt64BE(0);
}

/** One netlink message of a reply: its type, flags, nfgenmsg family and attributes. */
export interface NfMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  family: number;
  resId: number;
  /** The whole message. */
  raw: Buffer;
  /** Offset of the first attribute in raw. */
  attrs: number;
}

/** Splits concatenated netlink messages. */
export function messages(buf: Buffer): NfMessage[] {
  const out: NfMessage[] = [];
  let off = 0;
  while (buf.length - off >= NLMSG_HDRLEN) {
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || len > buf.length - off) throw new DecodeError(`bad netlink message length ${len}`);
    const raw = buf.subarray(off, off + len);
    const hasGen = len >= NLMSG_HDRLEN + NFGENMSG_LEN;
    out.push({
      type: raw.readUInt16LE(4),
      flags: raw.readUInt16LE(6),
      seq: raw.readUInt32LE(8),
      pid: raw.readUInt32LE(12),
      family: hasGen ? raw.readUInt8(16) : 0,
      resId: hasGen ? raw.readUInt16BE(18) : 0,
      raw,
      attrs: hasGen ? NLMSG_HDRLEN + NFGENMSG_LEN : len,
    });
    off += align4(len);
  }
  return out;
}

/** The attribute table of a message. */
export function messageAttrs(m: NfMessage): AttrTable {
  return attrTable(m.raw, m.attrs);
}

// ---- offset-based reading (the listing hot path) ----
//
// A listing gets every reply in one buffer; the decoders below read it in
// place by offset, without a Buffer (or an object) per message or attribute.

/** Length of the attribute at off (its header's nla_len), after checking it fits before end. */
export function attrLen(buf: Uint8Array, off: number, end: number): number {
  const len = buf[off]! | (buf[off + 1]! << 8);
  if (len < 4 || len > end - off) throw new DecodeError(`bad attribute length ${len} at offset ${off}`);
  return len;
}

/** Type of the attribute at off, flags masked off. */
export function attrType(buf: Uint8Array, off: number): number {
  return (buf[off + 2]! | (buf[off + 3]! << 8)) & NLA_TYPE_MASK;
}

/** Offset of the attribute after the one at off whose nla_len is len. */
export function nextAttr(off: number, len: number): number {
  return off + align4(len);
}

export function readBe32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) >>> 0) + ((buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!);
}

/** Checked big-endian reads of an attribute payload at [at, at + len). */
export function be32At(buf: Uint8Array, at: number, len: number, what: string): number {
  if (len !== 4) throw new DecodeError(`${what}: expected 4 bytes, got ${len}`);
  return readBe32(buf, at);
}

/** A be64 as a number (exact up to 2^53, like Number(bigint) rounds beyond). */
export function be64NumberAt(buf: Uint8Array, at: number, len: number, what: string): number {
  if (len !== 8) throw new DecodeError(`${what}: expected 8 bytes, got ${len}`);
  const hi = readBe32(buf, at);
  const lo = readBe32(buf, at + 4);
  return hi < 0x200000 ? hi * 0x100000000 + lo : Number((BigInt(hi) << 32n) | BigInt(lo));
}

/** The string in [at, at + len) without its trailing NULs (what str() returns for that payload). */
export function strAt(buf: Buffer, at: number, len: number): string {
  let n = len;
  while (n > 0 && buf[at + n - 1] === 0) n--;
  return n === 0 ? '' : bytesText(buf.subarray(at, at + n));
}

/**
 * Decodes the same name over and over without making a new string each
 * time: the bytes are compared with the last ones decoded (rules of one
 * chain all name the same table and chain).
 */
export class NameCache {
  #buf: Uint8Array | undefined;
  #at = 0;
  #len = -1;
  #s = '';

  get(buf: Buffer, at: number, len: number): string {
    let n = len;
    while (n > 0 && buf[at + n - 1] === 0) n--;
    if (n === this.#len) {
      const last = this.#buf!;
      const from = this.#at;
      let i = 0;
      while (i < n && buf[at + i] === last[from + i]) i++;
      if (i === n) return this.#s;
    }
    this.#buf = buf;
    this.#at = at;
    this.#len = n;
    this.#s = n === 0 ? '' : bytesText(buf.subarray(at, at + n));
    return this.#s;
  }
}

/** Every reply of one exchange in one buffer (the binding's nfnlConcat). */
export interface ConcatReplies {
  data: Buffer;
  /** Reply i is data[ends[i - 1] (0 for the first), ends[i]). */
  ends: Uint32Array;
}

/** Calls fn(attrsOffset, messageEnd, family) for each message in [off, end) of buf. */
export function eachMessage(buf: Buffer, off: number, end: number, fn: (attrs: number, end: number, family: number) => void): void {
  while (end - off >= NLMSG_HDRLEN) {
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || len > end - off) throw new DecodeError(`bad netlink message length ${len}`);
    if (len >= NLMSG_HDRLEN + NFGENMSG_LEN) fn(off + NLMSG_HDRLEN + NFGENMSG_LEN, off + len, buf[off + 16]!);
    else fn(off + len, off + len, 0);
    off += align4(len);
  }
}
