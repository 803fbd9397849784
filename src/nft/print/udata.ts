// The TLVs nft keeps in a set's `typeof` userdata for each expression
// (nftnl_udata: u8 type, u8 length, value; numbers are u32 in host order).
import { decodeTlvs } from '../udata.js';

/** The u32 values of a TLV blob by type (nested blobs stay as bytes in `raw`). */
export function udataFields(b: Uint8Array): { u32: Map<number, number>; raw: Map<number, Uint8Array> } {
  const u32 = new Map<number, number>(), raw = new Map<number, Uint8Array>();
  for (const [t, v] of decodeTlvs(b)) {
    raw.set(t, v);
    if (v.length === 4) u32.set(t, Buffer.from(v).readUInt32LE(0));
  }
  return { u32, raw };
}
