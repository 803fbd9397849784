// The kinds of named stateful objects (counter, quota, limit, ct helper, ct
// timeout, ct expectation, secmark, synproxy): each file here describes the
// attributes of its NFTA_OBJ_DATA in the order libnftnl sends them, and how
// nft prints the object's block. object.ts loops over this registry to
// decode, encode and print; adding a kind means adding a file.
import { NLA_F_NESTED } from '../wire.js';

export type ObjFieldKind =
  | 'be64' | 'be32' | 'be16' | 'u8'
  | 'u32'     // host order (ct expectation timeout)
  | 'str'     // NUL-terminated
  | 'strn'    // libnftnl sends it without the NUL (the kernel lists it with one)
  | 'nest';   // kept as bytes, sent as a nest

export interface ObjField { key: string; attr: number; kind: ObjFieldKind }

export interface ObjectKind {
  /** NFT_OBJECT_*. */
  type: number;
  /** How nft names the kind in a listing (`ct helper`). */
  name: string;
  /** NFTA_OBJ_DATA's attributes, in libnftnl's order. */
  fields: ObjField[];
  /** The lines inside the object's block (values as decoded by readFields). */
  print(f: Record<string, unknown>, tab: string): string[];
}

const kinds = new Map<number, ObjectKind>();

export function registerObject(k: ObjectKind): ObjectKind {
  kinds.set(k.type, k);
  return k;
}

export function objectKind(type: number): ObjectKind | undefined {
  return kinds.get(type);
}

/** The attributes of NFTA_OBJ_DATA, by type (the last of a type wins), as [start, end) of their payloads. */
function attrs(b: Uint8Array): Map<number, [number, number, number]> {
  const out = new Map<number, [number, number, number]>();
  for (let p = 0; p + 4 <= b.length;) {
    const len = b[p]! | (b[p + 1]! << 8);
    if (len < 4 || p + len > b.length) break;
    const raw = b[p + 2]! | (b[p + 3]! << 8);
    out.set(raw & 0x3fff, [p + 4, p + len, raw]);
    p += (len + 3) & ~3;
  }
  return out;
}

/** The values of an object's raw data, by field key (numbers, strings; nests as bytes). */
export function readFields(k: ObjectKind, data: Uint8Array): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const a = attrs(data);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (const f of k.fields) {
    const r = a.get(f.attr);
    if (r === undefined) continue;
    const [s, e] = r, n = e - s;
    switch (f.kind) {
      case 'be64': if (n === 8) out[f.key] = Number(view.getBigUint64(s)); break;
      case 'be32': if (n === 4) out[f.key] = view.getUint32(s); break;
      case 'u32': if (n === 4) out[f.key] = view.getUint32(s, true); break;
      case 'be16': if (n === 2) out[f.key] = view.getUint16(s); break;
      case 'u8': if (n === 1) out[f.key] = data[s]; break;
      case 'str': case 'strn': {
        let z = s;
        while (z < e && data[z] !== 0) z++;
        out[f.key] = Buffer.from(data.subarray(s, z)).toString('utf8');
        break;
      }
      case 'nest': out[f.key] = data.subarray(s, e); break;
    }
  }
  return out;
}

/**
 * The raw data as libnftnl sends it: the fields in its order, strings with
 * or without their NUL as it puts them, nests flagged; attributes the kind
 * does not know follow as they were.
 */
export function dataAsSent(k: ObjectKind | undefined, data: Uint8Array): Uint8Array {
  if (k === undefined) return data;
  const a = attrs(data);
  const parts: Uint8Array[] = [];
  const put = (type: number, payload: Uint8Array): void => {
    const b = new Uint8Array((4 + payload.length + 3) & ~3);
    b[0] = (4 + payload.length) & 0xff; b[1] = (4 + payload.length) >> 8;
    b[2] = type & 0xff; b[3] = type >> 8;
    b.set(payload, 4);
    parts.push(b);
  };
  const known = new Set<number>();
  for (const f of k.fields) {
    known.add(f.attr);
    const r = a.get(f.attr);
    if (r === undefined) continue;
    let payload = data.subarray(r[0], r[1]);
    if (f.kind === 'strn' && payload.length > 0 && payload[payload.length - 1] === 0) payload = payload.subarray(0, payload.indexOf(0));
    put(f.attr | (f.kind === 'nest' ? NLA_F_NESTED : 0), payload);
  }
  for (const [type, [s, e, raw]] of a) if (!known.has(type)) put(raw, data.subarray(s, e));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
