// Sets and maps (`set NAME { type ipv4_addr; flags dynamic,timeout; timeout 3h; }`,
// `map NAME { type ipv4_addr . inet_proto . inet_service : verdict; }`) and
// their elements (`10.96.0.10 . tcp . 80 : goto svc-x`, with timeout,
// expiry, comment and counter).
import { show } from '../check.js';
import { parseCidr } from '../addr.js';
import { decodeKey, encodeKey, keyLength, splitType, typeId, typesOfId, type DataType, type Value } from './datatypes.js';
import { FAMILIES, type Family } from './enums.js';
import { checkVerdict, decodeDataAt, encodeData, isVerdict, type Verdict } from './expr/data.js';
import { decodeExprBody } from './expr/index.js';
import { decodeExprBodyAt, encodeExprBody, type Expr } from './expr/spec.js';
import { checkFamily, checkName, checkUint, NftValidationError } from './names.js';
import { checkComment, commentOf, commentValue, encodeTlvs, UDATA_COMMENT, UDATA_SET_COMMENT, UDATA_SET_DATA_INTERVAL, UDATA_SET_DATABYTEORDER, UDATA_SET_KEYBYTEORDER, type Tlv, checkUserdata } from './udata.js';
import * as U from './uapi.js';
import { attrLen, attrList, attrTable, attrType, be32, be32At, be64NumberAt, copyBytes, DecodeError, eachMessage, NLA_F_NESTED, nextAttr, strAt, type ConcatReplies, type NameCache, type NfMessage, type Writer } from './wire.js';

export type SetFlag = 'constant' | 'interval' | 'timeout' | 'dynamic' | 'anonymous';
const FLAG_BITS: Record<SetFlag, number> = {
  anonymous: U.NFT_SET_ANONYMOUS, constant: U.NFT_SET_CONSTANT, interval: U.NFT_SET_INTERVAL,
  timeout: U.NFT_SET_TIMEOUT, dynamic: U.NFT_SET_EVAL,
};

export interface NftSet {
  family: Family;
  table: string;
  /** For anonymous sets made by a transaction: left out (the kernel names them `__set%d`/`__map%d`). */
  name: string;
  /** The key type, nft style: 'ipv4_addr', 'ipv4_addr . inet_proto . inet_service'. */
  type: string;
  /** Maps: the value type ('verdict', 'ipv4_addr', 'inet_service', ...). */
  map?: string;
  flags?: SetFlag[];
  /** Default element timeout, ms. */
  timeout?: number;
  /** Garbage-collection interval, ms. */
  gcInterval?: number;
  /** Maximum number of elements. */
  size?: number;
  /** Attach a counter to every element (`counter` in the set). */
  counter?: boolean;
  /** Object maps (`map m { type ipv4_addr : counter; }`): the NFT_OBJECT_* type of the values. */
  objType?: number;
  /** NFT_SET_POL_*: 0 performance (the default), 1 memory. */
  policy?: number;
  comment?: string;
  elements?: SetElement[];
  handle?: number;
  /** Transaction-local id (NFTA_SET_ID). */
  id?: number;
  /** Raw fields from the kernel, kept so a decoded set re-encodes unchanged. */
  flagBits?: number;
  keyTypeId?: number;
  keyLen?: number;
  dataTypeId?: number;
  dataLen?: number;
  userdata?: Uint8Array;
  /** Raw NFTA_SET_DESC, when the kernel sent one. */
  desc?: Uint8Array;
  /** Raw NFTA_SET_EXPR(ESSIONS) payload other than a plain counter. */
  exprs?: Uint8Array;
}

/** A key or value: typed ('10.0.0.1', ['10.0.0.1', 'tcp', 80]) or raw bytes. */
export type ElementValue = Value | Value[] | Uint8Array;

export interface SetElement {
  key: ElementValue;
  /** Concatenated ranges (interval sets): the inclusive end of the key. */
  keyEnd?: ElementValue;
  /** Interval sets without concatenation: this element ends the interval started by the previous one. */
  intervalEnd?: boolean;
  /** Map value (non-verdict maps). */
  value?: ElementValue;
  /** Verdict map value: `goto svc-x`. */
  verdict?: Verdict;
  /** Object map value: the name of a stateful object of the set's type. */
  objref?: string;
  /** ms */
  timeout?: number;
  /** ms left before expiry (from the kernel; sent to set it). */
  expires?: number;
  comment?: string;
  /** A per-element counter (sets with `counter`): values from the kernel. */
  counter?: { packets: number; bytes: number };
  /** NFT_SET_ELEM_* flags beyond intervalEnd (e.g. 2 catch-all). */
  flags?: number;
  userdata?: Uint8Array;
  /** Raw per-element expressions other than a counter. */
  exprs?: Uint8Array;
}

/** What encoding an element needs to know about its set. */
export interface SetShape {
  keyParts?: DataType[];
  dataParts?: DataType[];
  /** The key length the set was made with, when it is not the type's (a listed `typeof` key narrower than its type, a raw load). */
  keyLen?: number;
  verdictMap: boolean;
  /** `flags interval`: ranges and prefixes are expanded as nft does. */
  interval?: boolean;
}

export function setShape(s: Pick<NftSet, 'type' | 'map'> & { flags?: SetFlag[]; keyLen?: number }): SetShape {
  return {
    ...(s.flags?.includes('interval') ? { interval: true } : {}),
    ...(s.keyLen !== undefined ? { keyLen: s.keyLen } : {}),
    keyParts: s.type.startsWith('0x') ? undefined : splitType(s.type),
    dataParts: s.map === undefined || s.map === 'verdict' || s.map.startsWith('0x') ? undefined : splitType(s.map),
    verdictMap: s.map === 'verdict',
  };
}

export function setFlagBits(s: NftSet): number {
  if (s.flagBits !== undefined) return s.flagBits;
  let f = 0;
  for (const fl of s.flags ?? []) f |= FLAG_BITS[fl];
  if (s.map !== undefined) f |= U.NFT_SET_MAP;
  if (s.type.includes('.') && (f & U.NFT_SET_INTERVAL) !== 0) f |= U.NFT_SET_CONCAT;
  if (s.counter === true) f |= U.NFT_SET_EXPR;
  if (s.timeout !== undefined) f |= U.NFT_SET_TIMEOUT;
  return f;
}

export function validateSet(s: NftSet, where: string, anonymous = false): void {
  checkFamily(s.family, where);
  checkName(s.table, `${where}: table`);
  if (!anonymous) checkName(s.name, `${where}: set`);
  if (typeof s.type !== 'string') throw new NftValidationError(`${where}: type must be a string like 'ipv4_addr . inet_service', got ${show(s.type)}`);
  if (s.map !== undefined && typeof s.map !== 'string') throw new NftValidationError(`${where}: map must be a type name or 'verdict', got ${show(s.map)}`);
  if (s.elements !== undefined && !Array.isArray(s.elements)) throw new NftValidationError(`${where}: elements must be an array, got ${show(s.elements)}`);
  if (!s.type.startsWith('0x')) splitType(s.type);
  if (s.map !== undefined && s.map !== 'verdict' && !s.map.startsWith('0x')) splitType(s.map);
  if (s.flags !== undefined && !Array.isArray(s.flags)) throw new NftValidationError(`${where}: flags must be an array`);
  for (const f of s.flags ?? []) if (typeof f !== 'string' || !Object.hasOwn(FLAG_BITS, f)) throw new NftValidationError(`${where}: unknown set flag ${typeof f === 'string' ? show(f.slice(0, 40)) : typeof f}`);
  for (const k of ['timeout', 'gcInterval', 'size'] as const) if (s[k] !== undefined) checkUint(s[k], 2 ** 48, `${where}: ${k}`);
  if (s.comment !== undefined) checkComment(s.comment, where);
  if (s.userdata !== undefined) checkUserdata(s.userdata, where);
  const shape = setShape(s);
  s.elements?.forEach((e, i) => validateElement(e, shape, `${where}: element ${i}`));
}

function encodeValue(v: ElementValue, parts: DataType[] | undefined, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (parts === undefined) throw new NftValidationError(`${what}: the set's type is not known here; give raw bytes`);
  try {
    return encodeKey(parts, v, what);
  } catch (e) {
    throw new NftValidationError((e as Error).message);
  }
}

/**
 * Elements as the kernel takes them. In an interval set without
 * concatenation a range is two elements, its start and the address after
 * its end flagged INTERVAL_END (`10.0.0.0/8` -> 10.0.0.0, 11.0.0.0 end; a
 * single `192.168.1.1` -> itself, 192.168.1.2 end); with concatenation the
 * end travels in NFTA_SET_ELEM_KEY_END (the key itself for a single value).
 */
export function expandIntervals(elements: SetElement[], shape: SetShape | undefined): SetElement[] {
  if (shape?.interval !== true || shape.keyParts === undefined) return elements;
  // Elements with interval ends are already in the kernel's form (a listing, say).
  if (elements.some((e) => e.intervalEnd === true)) return elements;
  const parts = shape.keyParts;
  const out: SetElement[] = [];
  for (const e of elements) {
    if (e.intervalEnd === true || e.key instanceof Uint8Array) { out.push(e); continue; }
    let start: Uint8Array;
    let last: Uint8Array;
    const cidr = parts.length === 1 && typeof e.key === 'string' && e.key.includes('/') && (parts[0]!.name === 'ipv4_addr' || parts[0]!.name === 'ipv6_addr');
    if (cidr) {
      const c = parseCidr(e.key as string, 'key');
      start = c.bytes.map((b, i) => b & prefixByte(c.prefixLength, i));
      last = c.bytes.map((b, i) => (b & prefixByte(c.prefixLength, i)) | (~prefixByte(c.prefixLength, i) & 0xff));
    } else {
      start = encodeValue(e.key, parts, 'key');
      last = e.keyEnd !== undefined ? encodeValue(e.keyEnd, parts, 'keyEnd') : start;
    }
    const { keyEnd: _end, ...rest } = e;
    if (parts.length > 1) { out.push({ ...rest, key: start, keyEnd: last }); continue; }
    out.push({ ...rest, key: start });
    const after = increment(last);
    if (after !== undefined) out.push({ key: after, intervalEnd: true });
  }
  return out;
}

function prefixByte(plen: number, i: number): number {
  const bits = Math.max(0, Math.min(8, plen - i * 8));
  return (0xff << (8 - bits)) & 0xff;
}

/** b + 1 as a big-endian number, or undefined when it wraps. */
function increment(b: Uint8Array): Uint8Array | undefined {
  const out = Uint8Array.from(b);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) { out[i]!++; return out; }
    out[i] = 0;
  }
  return undefined;
}

export function validateElement(e: SetElement, shape: SetShape | undefined, where: string): void {
  if (typeof e !== 'object' || e === null || e.key === undefined) throw new NftValidationError(`${where}: element needs a key`);
  if (e.userdata !== undefined) checkUserdata(e.userdata, where);
  if (shape?.interval === true && !(e.key instanceof Uint8Array) && e.intervalEnd !== true) {
    try {
      expandIntervals([e], shape);
    } catch (err) {
      throw new NftValidationError(`${where}: ${(err as Error).message}`);
    }
    return;
  }
  // A catch-all element (`*`) has no key.
  const catchall = ((e.flags ?? 0) & U.NFT_SET_ELEM_CATCHALL) !== 0 && e.key instanceof Uint8Array && e.key.length === 0;
  if (shape !== undefined) {
    const key = encodeValue(e.key, shape.keyParts, `${where}: key`);
    const want = shape.keyLen ?? (shape.keyParts !== undefined ? keyLength(shape.keyParts) : undefined);
    if (!catchall && want !== undefined && key.length !== want) {
      throw new NftValidationError(`${where}: key is ${key.length} bytes, the set's keys are ${want}`);
    }
    if (e.keyEnd !== undefined) encodeValue(e.keyEnd, shape.keyParts, `${where}: keyEnd`);
    if (shape.verdictMap && e.verdict === undefined && !e.intervalEnd) throw new NftValidationError(`${where}: verdict map elements need a verdict`);
    if (shape.dataParts !== undefined && e.value === undefined && !e.intervalEnd) throw new NftValidationError(`${where}: map elements need a value`);
    if (e.value !== undefined) encodeValue(e.value, shape.dataParts, `${where}: value`);
  }
  if (e.verdict !== undefined && !isVerdict(e.verdict)) throw new NftValidationError(`${where}: bad verdict`);
  if (e.verdict !== undefined) {
    try { checkVerdict(e.verdict, `${where}: verdict`); } catch (err) { throw new NftValidationError((err as Error).message); }
  }
  if (e.verdict?.chain !== undefined) checkName(e.verdict.chain, `${where}: verdict chain`);
  for (const k of ['timeout', 'expires'] as const) if (e[k] !== undefined) checkUint(e[k], 2 ** 48, `${where}: ${k}`);
  // Counter values past 2^53 do not survive as numbers (a kernel counter that high would be 9 petabytes).
  if (e.counter !== undefined) for (const k of ['packets', 'bytes'] as const) checkUint(e.counter[k], Number.MAX_SAFE_INTEGER, `${where}: counter ${k}`);
  if (e.comment !== undefined) checkComment(e.comment, where);
}

function byteOrderCode(parts: DataType[] | undefined): number {
  // nft's BYTEORDER_HOST_ENDIAN = 1, BYTEORDER_BIG_ENDIAN = 2; concatenations carry 0.
  if (parts === undefined || parts.length !== 1) return 0;
  return parts[0]!.order === 'big' ? 2 : 1;
}

function u32le(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/** The userdata nft keeps for a set: key (and data) byte order, comment. */
export function setUserdata(s: NftSet): Uint8Array {
  const shape = setShape(s);
  const items: Tlv[] = [[UDATA_SET_KEYBYTEORDER, u32le(byteOrderCode(shape.keyParts))]];
  if (s.map !== undefined) items.push([UDATA_SET_DATABYTEORDER, u32le(byteOrderCode(shape.dataParts))]);
  // nft notes for every map whether its values are intervals (they are not, here).
  if (s.map !== undefined) items.push([UDATA_SET_DATA_INTERVAL, u32le(0)]);
  if (s.comment !== undefined) items.push([UDATA_SET_COMMENT, commentValue(s.comment)]);
  return encodeTlvs(items);
}

/** NFT_MSG_NEWSET body, in nft's attribute order. */
export function encodeSet(w: Writer, s: NftSet): void {
  const shape = setShape(s);
  w.strz(U.NFTA_SET_TABLE, s.table);
  w.strz(U.NFTA_SET_NAME, s.name);
  w.be32(U.NFTA_SET_FLAGS, setFlagBits(s));
  w.be32(U.NFTA_SET_KEY_TYPE, s.keyTypeId ?? typeId(shape.keyParts!));
  w.be32(U.NFTA_SET_KEY_LEN, s.keyLen ?? keyLength(shape.keyParts!));
  if (s.map !== undefined) {
    w.be32(U.NFTA_SET_DATA_TYPE, s.dataTypeId ?? (shape.verdictMap ? 0xffffff00 : typeId(shape.dataParts!)));
    // nft sends 0 for a verdict map (the kernel takes any length there and lists its own, 16).
    const verdict = s.dataTypeId !== undefined ? s.dataTypeId === 0xffffff00 : shape.verdictMap;
    w.be32(U.NFTA_SET_DATA_LEN, verdict ? 0 : s.dataLen ?? keyLength(shape.dataParts!));
  }
  if (s.objType !== undefined) w.be32(U.NFTA_SET_OBJ_TYPE, s.objType);
  if (s.id !== undefined) w.be32(U.NFTA_SET_ID, s.id);
  if (s.policy !== undefined) w.be32(U.NFTA_SET_POLICY, s.policy);
  // The kernel lists NFTA_SET_DESC always, empty when there is no size nor
  // concatenation; nft sends it only with something in it.
  if (s.desc !== undefined && s.desc.length > 0) {
    w.attr(U.NFTA_SET_DESC | 0x8000, descAsSent(s.desc));
  } else if (s.desc !== undefined) {
    // nothing to send
  } else if (s.size !== undefined || (shape.keyParts !== undefined && shape.keyParts.length > 1 && (setFlagBits(s) & U.NFT_SET_INTERVAL) !== 0)) {
    const d = w.nest(U.NFTA_SET_DESC);
    if (s.size !== undefined) w.be32(U.NFTA_SET_DESC_SIZE, s.size);
    // The field lengths only for an interval set: the kernel refuses them on another (EINVAL).
    if (shape.keyParts !== undefined && shape.keyParts.length > 1 && (setFlagBits(s) & U.NFT_SET_INTERVAL) !== 0) {
      const c = w.nest(U.NFTA_SET_DESC_CONCAT);
      for (const p of shape.keyParts) {
        const f = w.nest(U.NFTA_LIST_ELEM);
        w.be32(U.NFTA_SET_FIELD_LEN, p.len);
        w.end(f);
      }
      w.end(c);
    }
    w.end(d);
  }
  if (s.timeout !== undefined) w.be64(U.NFTA_SET_TIMEOUT, BigInt(s.timeout));
  if (s.gcInterval !== undefined) w.be32(U.NFTA_SET_GC_INTERVAL, s.gcInterval);
  w.attr(U.NFTA_SET_USERDATA, s.userdata ?? setUserdata(s));
  if (s.exprs !== undefined) {
    const one = (setFlagBits(s) & U.NFT_SET_EXPR) === 0 ? onlyListElement(s.exprs, 0, s.exprs.length) : undefined;
    if (one !== undefined) w.attr(U.NFTA_SET_EXPR | 0x8000, s.exprs.subarray(one[0], one[0] + one[1]));
    else w.attr(U.NFTA_SET_EXPRESSIONS | 0x8000, s.exprs);
  } else if (s.counter === true) {
    const t = w.nest(U.NFTA_SET_EXPR);
    encodeExprBody(w, counterExpr(0, 0));
    w.end(t);
  }
}

// A listed NFTA_SET_DESC as libnftnl sends it: the kernel lists the
// NFTA_SET_DESC_CONCAT nest and its NFTA_LIST_ELEMs without NLA_F_NESTED,
// libnftnl sets it.
export function descAsSent(desc: Uint8Array): Uint8Array {
  const out = Uint8Array.from(desc);
  const nested = (at: number) => { out[at + 3] = out[at + 3]! | (NLA_F_NESTED >>> 8); };
  const walk = (from: number, end: number, each: (at: number, len: number, type: number) => void): void => {
    for (let p = from; p + 4 <= end;) {
      const len = out[p]! | (out[p + 1]! << 8);
      if (len < 4 || p + len > end) return;
      each(p, len, (out[p + 2]! | (out[p + 3]! << 8)) & 0x3fff);
      p += (len + 3) & ~3;
    }
  };
  walk(0, out.length, (at, len, type) => {
    if (type !== U.NFTA_SET_DESC_CONCAT) return;
    nested(at);
    walk(at + 4, at + len, (el, _n, t) => { if (t === U.NFTA_LIST_ELEM) nested(el); });
  });
  return out;
}

export function encodeSetRef(w: Writer, s: { table: string; name: string }): void {
  w.strz(U.NFTA_SET_TABLE, s.table);
  w.strz(U.NFTA_SET_NAME, s.name);
}

const typeNames = new Map<number, string>();

function typeName(id: number): string {
  let name = typeNames.get(id);
  if (name === undefined) {
    const parts = typesOfId(id);
    name = parts === undefined ? `0x${id.toString(16)}` : parts.map((p) => p.name).join(' . ');
    if (typeNames.size < 4096) typeNames.set(id, name);
  }
  return name;
}

export function decodeSet(m: NfMessage): NftSet {
  return decodeSetAt(m.raw, m.attrs, m.raw.length, m.family);
}

const FLAG_LIST = Object.keys(FLAG_BITS) as SetFlag[];

/** Decodes the NEWSET attributes in buf[off, end), in place. */
export function decodeSetAt(buf: Buffer, off: number, end: number, family: number, tables?: NameCache): NftSet {
  // Offsets of the attributes, by type (last one wins); -1 when absent.
  const at = SET_ATTR_AT.fill(-1);
  const ln = SET_ATTR_LEN;
  for (let p = off; end - p >= 4;) {
    const len = attrLen(buf, p, end);
    const type = attrType(buf, p);
    if (type < at.length) { at[type] = p + 4; ln[type] = len - 4; }
    p = nextAttr(p, len);
  }
  const u32 = (t: number, what: string): number => (at[t]! < 0 ? 0 : be32At(buf, at[t]!, ln[t]!, what));
  const flagBits = u32(U.NFTA_SET_FLAGS, 'set flags');
  const keyTypeId = u32(U.NFTA_SET_KEY_TYPE, 'set key type');
  const tableAt = at[U.NFTA_SET_TABLE]!, nameAt = at[U.NFTA_SET_NAME]!;
  const s: NftSet = {
    family: FAMILIES.name(family) as Family,
    table: tableAt < 0 ? '' : tables !== undefined ? tables.get(buf, tableAt, ln[U.NFTA_SET_TABLE]!) : strAt(buf, tableAt, ln[U.NFTA_SET_TABLE]!),
    name: nameAt < 0 ? '' : strAt(buf, nameAt, ln[U.NFTA_SET_NAME]!),
    type: typeName(keyTypeId),
    flagBits,
    keyTypeId,
    keyLen: u32(U.NFTA_SET_KEY_LEN, 'set key length'),
  };
  if (flagBits !== 0) {
    const flags = FLAG_LIST.filter((f) => (flagBits & FLAG_BITS[f]) !== 0);
    if (flags.length > 0) s.flags = flags;
  }
  if ((flagBits & U.NFT_SET_MAP) !== 0 && at[U.NFTA_SET_DATA_TYPE]! >= 0) {
    s.dataTypeId = u32(U.NFTA_SET_DATA_TYPE, 'set data type');
    s.map = s.dataTypeId === 0xffffff00 ? 'verdict' : typeName(s.dataTypeId);
    s.dataLen = u32(U.NFTA_SET_DATA_LEN, 'set data length');
  }
  if (at[U.NFTA_SET_TIMEOUT]! >= 0) s.timeout = be64NumberAt(buf, at[U.NFTA_SET_TIMEOUT]!, ln[U.NFTA_SET_TIMEOUT]!, 'set timeout');
  if (at[U.NFTA_SET_GC_INTERVAL]! >= 0) s.gcInterval = u32(U.NFTA_SET_GC_INTERVAL, 'set gc interval');
  if (at[U.NFTA_SET_HANDLE]! >= 0) s.handle = be64NumberAt(buf, at[U.NFTA_SET_HANDLE]!, ln[U.NFTA_SET_HANDLE]!, 'set handle');
  if (at[U.NFTA_SET_OBJ_TYPE]! >= 0) s.objType = u32(U.NFTA_SET_OBJ_TYPE, 'set object type');
  if (at[U.NFTA_SET_POLICY]! >= 0) s.policy = u32(U.NFTA_SET_POLICY, 'set policy');
  const descAt = at[U.NFTA_SET_DESC]!;
  if (descAt >= 0) {
    const desc = buf.subarray(descAt, descAt + ln[U.NFTA_SET_DESC]!);
    s.desc = new Uint8Array(desc);
    const d = attrTable(desc);
    if (d[U.NFTA_SET_DESC_SIZE]) s.size = be32(d[U.NFTA_SET_DESC_SIZE], 'set size');
  }
  const udAt = at[U.NFTA_SET_USERDATA]!;
  if (udAt >= 0) {
    const ud = buf.subarray(udAt, udAt + ln[U.NFTA_SET_USERDATA]!);
    s.userdata = new Uint8Array(ud);
    const c = commentOf(ud, UDATA_SET_COMMENT);
    if (c !== undefined) s.comment = c;
  }
  // The kernel lists one expression as NFTA_SET_EXPR and several as
  // NFTA_SET_EXPRESSIONS, which it takes only with NFT_SET_EXPR in the flags.
  // A list of one without that flag is read as NFTA_SET_EXPR, which is how
  // encodeSet sends it.
  let exAt = at[U.NFTA_SET_EXPR]!, exLen = ln[U.NFTA_SET_EXPR]!;
  const exsAt = at[U.NFTA_SET_EXPRESSIONS]!;
  if (exsAt >= 0) {
    const one = (flagBits & U.NFT_SET_EXPR) === 0 ? onlyListElement(buf, exsAt, ln[U.NFTA_SET_EXPRESSIONS]!) : undefined;
    if (one !== undefined) [exAt, exLen] = one;
    else s.exprs = copyBytes(buf, exsAt, ln[U.NFTA_SET_EXPRESSIONS]!);
  }
  if (exAt >= 0 && s.exprs === undefined) {
    const e = decodeExprBodyAt(buf, exAt, exLen);
    if (e.type === 'counter') s.counter = true;
    else s.exprs = expressionList(buf, exAt, exLen);
  }
  return s;
}

/** [offset, length] of the payload of the one NFTA_LIST_ELEM that b[at, at + len) holds; undefined if it holds anything else. */
function onlyListElement(b: Uint8Array, at: number, len: number): [number, number] | undefined {
  if (len < 4) return undefined;
  const n = b[at]! | (b[at + 1]! << 8);
  const type = (b[at + 2]! | (b[at + 3]! << 8)) & 0x3fff;
  if (n < 4 || n > len || type !== U.NFTA_LIST_ELEM || len - ((n + 3) & ~3) >= 4) return undefined;
  return [at + 4, n - 4];
}

/**
 * The one expression whose body is buf[at, at + len) (as NFTA_SET_EXPR or
 * NFTA_SET_ELEM_EXPR carry it) as the payload of an NFTA_*_EXPRESSIONS
 * list, which is how exprs is sent back.
 */
function expressionList(buf: Buffer, at: number, len: number): Uint8Array {
  const out = new Uint8Array(4 + ((len + 3) & ~3));
  out[0] = (4 + len) & 0xff;
  out[1] = (4 + len) >>> 8;
  out[2] = U.NFTA_LIST_ELEM;
  out[3] = NLA_F_NESTED >>> 8;
  out.set(buf.subarray(at, at + len), 4);
  return out;
}

// Scratch space of decodeSetAt (it does not re-enter itself).
const SET_ATTR_AT = new Int32Array(U.NFTA_SET_MAX + 1);
const SET_ATTR_LEN = new Int32Array(U.NFTA_SET_MAX + 1);

// ---- elements ----

// A counter as nft sends it: its values only when they are not 0.
function counterExpr(packets: number, bytes: number): Expr {
  return { type: 'counter', ...(bytes !== 0 ? { bytes } : {}), ...(packets !== 0 ? { packets } : {}) };
}

/** Writes one element, in libnftnl's order; like libnftnl, the n-th element of a message is nest type n (from 1). */
export function encodeElement(w: Writer, e: SetElement, shape: SetShape | undefined, nth = U.NFTA_LIST_ELEM): void {
  const t = w.nest(nth);
  const flags = ((e.flags ?? 0) | (e.intervalEnd === true ? U.NFT_SET_ELEM_INTERVAL_END : 0)) >>> 0;
  if (flags !== 0) w.be32(U.NFTA_SET_ELEM_FLAGS, flags);
  if (e.timeout !== undefined) w.be64(U.NFTA_SET_ELEM_TIMEOUT, BigInt(e.timeout));
  if (e.expires !== undefined) w.be64(U.NFTA_SET_ELEM_EXPIRATION, BigInt(e.expires));
  // A catch-all element goes without a key.
  const key = encodeValue(e.key, shape?.keyParts, 'key');
  if (key.length > 0 || (flags & U.NFT_SET_ELEM_CATCHALL) === 0) encodeData(w, U.NFTA_SET_ELEM_KEY, key);
  if (e.keyEnd !== undefined) encodeData(w, U.NFTA_SET_ELEM_KEY_END, encodeValue(e.keyEnd, shape?.keyParts, 'keyEnd'));
  if (e.verdict !== undefined) encodeData(w, U.NFTA_SET_ELEM_DATA, e.verdict);
  else if (e.value !== undefined) encodeData(w, U.NFTA_SET_ELEM_DATA, encodeValue(e.value, shape?.dataParts, 'value'));
  const ud = e.userdata ?? (e.comment !== undefined ? encodeTlvs([[UDATA_COMMENT, commentValue(e.comment)]]) : undefined);
  if (ud !== undefined) w.attr(U.NFTA_SET_ELEM_USERDATA, ud);
  if (e.objref !== undefined) w.strz(U.NFTA_SET_ELEM_OBJREF, e.objref);
  // Like libnftnl: one expression as NFTA_SET_ELEM_EXPR, several as NFTA_SET_ELEM_EXPRESSIONS.
  if (e.exprs !== undefined) {
    const one = onlyListElement(e.exprs, 0, e.exprs.length);
    if (one !== undefined) w.attr(U.NFTA_SET_ELEM_EXPR | 0x8000, e.exprs.subarray(one[0], one[0] + one[1]));
    else w.attr(U.NFTA_SET_ELEM_EXPRESSIONS | 0x8000, e.exprs);
  } else if (e.counter !== undefined) {
    const x = w.nest(U.NFTA_SET_ELEM_EXPR);
    encodeExprBody(w, counterExpr(e.counter.packets, e.counter.bytes));
    w.end(x);
  }
  w.end(t);
}

/** Decodes one element; typed when the set's shape is known and the bytes fit, raw bytes otherwise. */
export function decodeElement(buf: Buffer, shape: SetShape | undefined): SetElement {
  return decodeElementAt(buf, 0, buf.length, shape);
}

/** Decodes the element nest in buf[off, end), in place. */
export function decodeElementAt(buf: Buffer, off: number, end: number, shape: SetShape | undefined): SetElement {
  let keyAt = -1, keyLen = 0, keyEndAt = -1, keyEndLen = 0, flagsAt = -1, flagsLen = 0, dataAt = -1, dataLen = 0;
  let timeoutAt = -1, timeoutLen = 0, expAt = -1, expLen = 0, udAt = -1, udLen = 0, exprAt = -1, exprLen = 0, exprsAt = -1, exprsLen = 0, objAt = -1, objLen = 0;
  for (let p = off; end - p >= 4;) {
    const len = attrLen(buf, p, end);
    const a = p + 4, n = len - 4;
    switch (attrType(buf, p)) {
      case U.NFTA_SET_ELEM_KEY: keyAt = a; keyLen = n; break;
      case U.NFTA_SET_ELEM_KEY_END: keyEndAt = a; keyEndLen = n; break;
      case U.NFTA_SET_ELEM_FLAGS: flagsAt = a; flagsLen = n; break;
      case U.NFTA_SET_ELEM_DATA: dataAt = a; dataLen = n; break;
      case U.NFTA_SET_ELEM_TIMEOUT: timeoutAt = a; timeoutLen = n; break;
      case U.NFTA_SET_ELEM_EXPIRATION: expAt = a; expLen = n; break;
      case U.NFTA_SET_ELEM_USERDATA: udAt = a; udLen = n; break;
      case U.NFTA_SET_ELEM_EXPR: exprAt = a; exprLen = n; break;
      case U.NFTA_SET_ELEM_EXPRESSIONS: exprsAt = a; exprsLen = n; break;
      case U.NFTA_SET_ELEM_OBJREF: objAt = a; objLen = n; break;
    }
    p = nextAttr(p, len);
  }
  const key = keyAt < 0 ? new Uint8Array(0) : decodeDataAt(buf, keyAt, keyLen);
  if (!(key instanceof Uint8Array)) throw new DecodeError('element key is a verdict');
  const e: SetElement = { key: typed(key, shape?.keyParts) };
  if (keyEndAt >= 0) {
    const k = decodeDataAt(buf, keyEndAt, keyEndLen);
    if (k instanceof Uint8Array) e.keyEnd = typed(k, shape?.keyParts);
  }
  if (flagsAt >= 0) {
    const f = be32At(buf, flagsAt, flagsLen, 'element flags');
    if ((f & U.NFT_SET_ELEM_INTERVAL_END) !== 0) e.intervalEnd = true;
    if ((f & ~U.NFT_SET_ELEM_INTERVAL_END) !== 0) e.flags = (f & ~U.NFT_SET_ELEM_INTERVAL_END) >>> 0;
  }
  if (dataAt >= 0) {
    const d = decodeDataAt(buf, dataAt, dataLen);
    if (d instanceof Uint8Array) e.value = typed(d, shape?.dataParts);
    else e.verdict = d;
  }
  if (objAt >= 0) e.objref = strAt(buf, objAt, objLen);
  if (timeoutAt >= 0) e.timeout = be64NumberAt(buf, timeoutAt, timeoutLen, 'element timeout');
  if (expAt >= 0) e.expires = be64NumberAt(buf, expAt, expLen, 'element expiration');
  if (udAt >= 0) {
    const ud = buf.subarray(udAt, udAt + udLen);
    e.userdata = new Uint8Array(ud);
    const c = commentOf(ud);
    if (c !== undefined) e.comment = c;
  }
  const exAt = exprsAt >= 0 ? exprsAt : exprAt;
  if (exAt >= 0) {
    const ex = exprsAt >= 0 ? buf.subarray(exprsAt, exprsAt + exprsLen) : buf.subarray(exprAt, exprAt + exprLen);
    const list = exprsAt >= 0 ? attrList(ex).map((x) => decodeExprBody(x.data)) : [decodeExprBody(ex)];
    const c = list.length === 1 && list[0]!.type === 'counter' ? list[0]! : undefined;
    if (c !== undefined) e.counter = { packets: (c.packets as number) ?? 0, bytes: (c.bytes as number) ?? 0 };
    else e.exprs = exprsAt >= 0 ? new Uint8Array(ex) : expressionList(buf, exprAt, exprLen);
  }
  return e;
}

function typed(b: Uint8Array, parts: DataType[] | undefined): ElementValue {
  return parts === undefined ? b : decodeKey(parts, b) ?? b;
}

/** Decodes a NEWSETELEM message: its set and elements. */
export function decodeElements(m: NfMessage, shapeOf: (table: string, set: string) => SetShape | undefined): { family: Family; table: string; set: string; elements: SetElement[] } {
  return decodeElementsAt(m.raw, m.attrs, m.raw.length, m.family, shapeOf);
}

/** decodeElements on the message attributes in buf[off, end), read in place. */
export function decodeElementsAt(buf: Buffer, off: number, end: number, family: number,
  shapeOf: (table: string, set: string) => SetShape | undefined): { family: Family; table: string; set: string; elements: SetElement[] } {
  let tableAt = -1, tableLen = 0, setAt = -1, setLen = 0;
  for (let p = off; end - p >= 4;) {
    const len = attrLen(buf, p, end);
    const type = attrType(buf, p);
    if (type === U.NFTA_SET_ELEM_LIST_TABLE) { tableAt = p + 4; tableLen = len - 4; }
    else if (type === U.NFTA_SET_ELEM_LIST_SET) { setAt = p + 4; setLen = len - 4; }
    p = nextAttr(p, len);
  }
  const table = tableAt < 0 ? '' : strAt(buf, tableAt, tableLen);
  const set = setAt < 0 ? '' : strAt(buf, setAt, setLen);
  const elements: SetElement[] = [];
  elementsInto(buf, off, end, shapeOf(table, set), elements);
  return { family: FAMILIES.name(family) as Family, table, set, elements };
}

/**
 * Appends the elements of the NEWSETELEM message whose attributes are
 * buf[off, end) to out, decoded with shape (the set's, known to the caller).
 */
export function elementsInto(buf: Buffer, off: number, end: number, shape: SetShape | undefined, out: SetElement[]): void {
  let listAt = -1, listEnd = 0;
  for (let p = off; end - p >= 4;) {
    const len = attrLen(buf, p, end);
    if (attrType(buf, p) === U.NFTA_SET_ELEM_LIST_ELEMENTS) { listAt = p + 4; listEnd = p + len; }
    p = nextAttr(p, len);
  }
  if (listAt < 0) return;
  for (let p = listAt; listEnd - p >= 4;) {
    const len = attrLen(buf, p, listEnd);
    out.push(decodeElementAt(buf, p + 4, p + len, shape));
    p = nextAttr(p, len);
  }
}

/** Element shapes by set type, worked out once per type in a listing. */
export class ShapeCache {
  readonly #shapes = new Map<string, SetShape | undefined>();

  of(s: NftSet): SetShape | undefined {
    const key = `${s.type}\0${s.map ?? ''}\0${s.flags?.includes('interval') === true ? 'i' : ''}`;
    let shape = this.#shapes.get(key);
    if (shape === undefined && !this.#shapes.has(key)) {
      shape = s.type.startsWith('0x') ? undefined : setShape(s);
      this.#shapes.set(key, shape);
    }
    return shape;
  }
}

/**
 * Sets the elements of sets[first], sets[first + 1], ... from element dumps
 * joined in one buffer: reply i answers sets[first + i], in however many
 * NEWSETELEM messages the kernel split it.
 */
export function fillElements(sets: NftSet[], first: number, replies: ConcatReplies, shapes: ShapeCache): void {
  const { data, ends } = replies;
  if (first + ends.length > sets.length) throw new DecodeError(`${ends.length} element replies for ${sets.length - first} sets`);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const s = sets[first + i]!;
    const shape = shapes.of(s);
    const elements: SetElement[] = [];
    eachMessage(data, start, ends[i]!, (at, end) => elementsInto(data, at, end, shape, elements));
    s.elements = elements;
    start = ends[i]!;
  }
}
