// nftnl "userdata": the opaque TLV blob (u8 type, u8 length, value) that
// nft keeps beside tables, chains, rules, sets and elements for comments
// and typing hints. The kernel stores it without looking inside.
import { bytesText, nftTextBytes } from './text.js';
import { DecodeError } from './wire.js';

/** TLV type of a comment in table/chain/rule/element userdata. */
export const UDATA_COMMENT = 0;
/** In set userdata. */
export const UDATA_SET_KEYBYTEORDER = 0;
export const UDATA_SET_DATABYTEORDER = 1;
export const UDATA_SET_DATA_INTERVAL = 6;
export const UDATA_SET_COMMENT = 7;

export type Tlv = [type: number, value: Uint8Array];

export function encodeTlvs(items: Tlv[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const [t, v] of items) {
    if (v.length > 255) throw new RangeError('userdata item longer than 255 bytes');
    parts.push(Buffer.from([t, v.length]), Buffer.from(v));
  }
  return Buffer.concat(parts);
}

export function decodeTlvs(b: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let off = 0;
  while (off < b.length) {
    if (b.length - off < 2 || off + 2 + b[off + 1]! > b.length) throw new DecodeError('malformed userdata');
    out.push([b[off]!, b.subarray(off + 2, off + 2 + b[off + 1]!)]);
    off += 2 + b[off + 1]!;
  }
  return out;
}

/** A comment TLV value: the text and its NUL. */
export function commentValue(s: string): Uint8Array {
  return Buffer.concat([nftTextBytes(s), Buffer.from([0])]);
}

/** A comment TLV value's text (see bytesText). */
export function commentText(v: Uint8Array): string {
  let n = v.length;
  while (n > 0 && v[n - 1] === 0) n--;
  return bytesText(v.subarray(0, n));
}

/** Userdata holding only a comment, as nft writes it for tables, chains, rules and elements. */
export function commentUserdata(comment: string): Uint8Array {
  return encodeTlvs([[UDATA_COMMENT, commentValue(comment)]]);
}

/** The comment in table/chain/rule/element userdata, if the blob is exactly that. */
export function commentOf(ud: Uint8Array, type = UDATA_COMMENT): string | undefined {
  // One pass without copies: the first TLV of that type, and only when the
  // whole blob is well-formed (as decodeTlvs would accept it).
  let at = -1, len = 0;
  for (let off = 0; off < ud.length;) {
    if (ud.length - off < 2 || off + 2 + ud[off + 1]! > ud.length) return undefined;
    if (at < 0 && ud[off] === type) { at = off + 2; len = ud[off + 1]!; }
    off += 2 + ud[off + 1]!;
  }
  if (at < 0) return undefined;
  while (len > 0 && ud[at + len - 1] === 0) len--;
  return bytesText(Buffer.from(ud.buffer, ud.byteOffset + at, len));
}


/** Throws unless u is userdata the kernel keeps (bytes, at most NFT_USERDATA_MAXLEN = 256). */
export function checkUserdata(u: unknown, where: string): void {
  if (!(u instanceof Uint8Array) || u.length > 256) throw new TypeError(`${where}: userdata must be at most 256 bytes (a Uint8Array)`);
}

/** Throws unless s is a comment nft accepts (at most 128 bytes). */
export function checkComment(s: unknown, where: string): string {
  // Escaped bytes (see bytesText) take 3 bytes in UTF-8 and 1 as nft's: only a long comment needs counting them.
  if (typeof s !== 'string' || (Buffer.byteLength(s) > 128 && nftTextBytes(s).length > 128) || s.includes('\0')) throw new TypeError(`${where}: comment must be a string of at most 128 bytes`);
  return s;
}
