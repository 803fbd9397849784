// Sets as nft knows them when it prints (netlink.c, segtree.c,
// mergesort.c): the key and data types (from the kernel's type ids, the
// byte orders and `typeof` expressions nft keeps in userdata), and the
// elements decoded, merged back into ranges and prefixes, and sorted.
import { concatType, dataType, dataTypeById, encodeKey, isBitmask, keyLength, splitType, typeId, typesOfId, type ByteOrder, type DataType } from '../datatypes.js';
import { setFlagBits, setUserdata, type NftSet, type SetElement } from '../set.js';
import { decodeTlvs } from '../udata.js';
import * as U from '../uapi.js';
import { bitmaskToBinops } from './postprocess.js';
import { concatRangeAggregate, intervalMapDecompose } from './intervals.js';
import { EXPR_CONCAT, EXPR_VERDICT, F_INTERVAL, F_INTERVAL_END, INVALID, typeofParsers, value, VERDICT, type ElemNode, type Node, type SetInfo, type SetNode, type Stmt, type ValueNode } from './ast.js';
import { bytesToBig, switchByteorder } from './value.js';

const UDATA_KEYBYTEORDER = 0, UDATA_DATABYTEORDER = 1, UDATA_MERGE = 2, UDATA_KEY_TYPEOF = 3, UDATA_DATA_TYPEOF = 4, UDATA_DATA_INTERVAL = 6;

/** What building a set needs from the printer: statements of element expressions. */
export interface SetContext {
  elementStmts(e: SetElement): Stmt[];
}

/** The udata of a set, parsed (nft's set_parse_udata_cb). */
interface SetUdata { keyOrder?: number; dataOrder?: number; merge?: boolean; keyTypeof?: Uint8Array; dataTypeof?: Uint8Array; dataInterval?: boolean }

function parseUdata(ud: Uint8Array | undefined): SetUdata {
  const out: SetUdata = {};
  if (ud === undefined) return out;
  let tlvs;
  try { tlvs = decodeTlvs(ud); } catch { return out; }
  const u32 = (v: Uint8Array): number | undefined => (v.length === 4 ? Buffer.from(v).readUInt32LE(0) : undefined);
  for (const [t, v] of tlvs) {
    if (t === UDATA_KEYBYTEORDER) out.keyOrder = u32(v);
    else if (t === UDATA_DATABYTEORDER) out.dataOrder = u32(v);
    else if (t === UDATA_MERGE) out.merge = (u32(v) ?? 0) !== 0;
    else if (t === UDATA_KEY_TYPEOF && v.length >= 3) out.keyTypeof = v;
    else if (t === UDATA_DATA_TYPEOF && v.length >= 3) out.dataTypeof = v;
    else if (t === UDATA_DATA_INTERVAL) out.dataInterval = (u32(v) ?? 0) !== 0;
  }
  return out;
}

/** set_make_key: the expression a `typeof` userdata describes, or undefined. */
export function typeofExpr(b: Uint8Array | undefined): Node | undefined {
  if (b === undefined) return undefined;
  try {
    let etype: number | undefined, data: Uint8Array | undefined;
    for (const [t, v] of decodeTlvs(b)) {
      if (t === 0 && v.length === 4) etype = Buffer.from(v).readUInt32LE(0);
      else if (t === 1) data = v;
    }
    if (etype === undefined) return undefined;
    if (etype === EXPR_VERDICT) return { k: 'symbol', text: 'verdict', dtype: VERDICT, len: 128, order: 'host', flags: 0 };
    if (data === undefined) return undefined;
    if (etype === EXPR_CONCAT) return concatTypeof(data);
    return typeofParsers.get(etype)?.(data);
  } catch {
    return undefined;
  }
}

// concat_expr_parse_udata: one nest per part, each the part's EXPR_* number and its own userdata.
function concatTypeof(b: Uint8Array): Node | undefined {
  const parts: Node[] = [];
  const nests = new Map(decodeTlvs(b));
  for (let i = 0; i < 16; i++) {
    const nest = nests.get(i);
    if (nest === undefined) break;
    let etype: number | undefined, data: Uint8Array | undefined;
    for (const [t, v] of decodeTlvs(nest)) {
      if (t === 0 && v.length === 4) etype = Buffer.from(v).readUInt32LE(0);
      else if (t === 1) data = v;
    }
    if (etype === undefined || data === undefined || etype === EXPR_CONCAT) return undefined;
    const part = typeofParsers.get(etype)?.(data);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  if (parts.length === 0) return undefined;
  const len = parts.reduce((n, p) => n + Math.ceil(p.len / 32) * 32, 0);
  return { k: 'concat', parts, dtype: concatType(parts.map((p) => p.dtype)), len, order: 'big', flags: 0 };
}

// dtype_map_from_kernel.
function typeOfId(id: number): DataType | undefined {
  if (id === 0xffffff00) return VERDICT;
  if (id > 0x3f) {
    const parts = typesOfId(id);
    return parts === undefined ? undefined : concatType(parts);
  }
  return dataTypeById(id);
}

const orderOf = (n: number | undefined): ByteOrder => (n === 1 ? 'host' : 'big');

/** What nft knows of a set (netlink_delinearize_set), with its elements as nft lists them (netlink_list_setelems). */
export function setInfo(s: NftSet, ctx: SetContext, withElements = true): SetInfo {
  // A set given by the caller (not listed) has what the kernel would list worked out as the library sends it.
  const given = s.flagBits === undefined;
  const ud = parseUdata(s.userdata ?? (given ? safe(() => setUserdata(s)) : undefined));
  const flags = setFlagBits(s);
  const keyType = typeOfId(s.keyTypeId ?? typeIdOf(s.type)) ?? INVALID;
  let keyTypeof = typeofExpr(ud.keyTypeof);
  const info: SetInfo = {
    name: s.name, flags, key: value(0n, 0), init: { k: 'set', elems: [], anonymous: (flags & U.NFT_SET_ANONYMOUS) !== 0, len: 0, dtype: INVALID, order: 'big', flags: 0 },
    typeofKey: false,
  };
  if (s.size !== undefined) info.size = s.size;
  if ((flags & U.NFT_SET_MAP) !== 0 || (flags & U.NFT_SET_OBJECT) !== 0) {
    const isObj = (flags & U.NFT_SET_OBJECT) !== 0;
    const dtype = isObj ? dataType('string') : typeOfId(s.dataTypeId ?? (s.map === 'verdict' ? 0xffffff00 : typeIdOf(s.map))) ?? INVALID;
    const dlen = bounded(s.dataLen ?? (s.map === 'verdict' ? 0 : lengthOf(s.map))) * 8;
    const dataTypeof = typeofExpr(ud.dataTypeof);
    if (dataTypeof !== undefined && Math.ceil(dataTypeof.len / 8) === dlen / 8) info.data = dataTypeof;
    else {
      info.data = value(0n, dlen, withOrder(dtype, ud.dataOrder), orderOf(ud.dataOrder));
      keyTypeof = undefined;
    }
    if (ud.dataInterval === true) info.data.flags |= F_INTERVAL;
    if (isObj) info.objType = s.objType;
  }
  const klen = bounded(s.keyLen ?? lengthOf(s.type)) * 8;
  if (keyTypeof !== undefined && Math.ceil(keyTypeof.len / 8) === klen / 8) {
    info.key = keyTypeof;
    info.typeofKey = true;
  } else {
    info.key = value(0n, klen, withOrder(keyType, ud.keyOrder), orderOf(ud.keyOrder));
  }
  info.init.dtype = info.key.dtype;
  if (ud.merge === true) info.autoMerge = true;
  if (withElements) info.init.elems = elementNodes(s, info, ctx);
  return info;
}

// A key or value is at most NFT_DATA_VALUE_MAXLEN (64) bytes; a longer length is none the kernel holds.
const bounded = (n: number): number => (n >= 0 && n <= 64 ? n : 0);

// set_datatype_alloc: only the plain integer type takes the byte order userdata gives.
function withOrder(t: DataType, order: number | undefined): DataType {
  return t.name === 'integer' && t.id === 4 ? { ...t, order: orderOf(order) } : t;
}

function typeIdOf(type: string | undefined): number {
  return safe(() => typeId(splitType(type!))) ?? 0;
}

function lengthOf(type: string | undefined): number {
  return safe(() => keyLength(splitType(type!))) ?? 0;
}

function safe<T>(f: () => T): T | undefined {
  try { return f(); } catch { return undefined; }
}

/** The raw bytes of a key or value, typed or not. */
export function elementBytes(v: SetElement['key'] | undefined, type: string | undefined): Uint8Array | undefined {
  if (v === undefined) return undefined;
  if (v instanceof Uint8Array) return v;
  try { return encodeKey(splitType(type!), v); } catch { return undefined; }
}

// netlink_delinearize_setelem, for every element; then nft's merge and sort.
function elementNodes(s: NftSet, info: SetInfo, ctx: SetContext): Node[] {
  const interval = (info.flags & U.NFT_SET_INTERVAL) !== 0;
  const out: Node[] = [];
  for (const e of s.elements ?? []) {
    const keyBytes = elementBytes(e.key, s.type);
    const make = (bytes: Uint8Array | undefined, end: boolean): Node => {
      let elem: Node = elemNode(info, bytes, interval, e, ctx);
      if (end) elem.flags |= F_INTERVAL_END;
      const data = dataNode(s, info, e);
      if (data !== undefined) elem = { k: 'mapping', left: elem, right: data, len: elem.len, dtype: elem.dtype, order: elem.order, flags: elem.flags };
      return elem;
    };
    out.push(make(keyBytes, e.intervalEnd === true));
    if (e.intervalEnd !== true && e.keyEnd !== undefined) out.push(make(elementBytes(e.keyEnd, s.type), true));
  }
  const init: SetNode = { ...info.init, elems: out };
  const concatParts = info.key.dtype.parts?.length ?? 0;
  try {
    if (interval && concatParts > 1) concatRangeAggregate(init);
    else if (interval) intervalMapDecompose(init);
    else init.elems = sortElements(init.elems);
  } catch (err) {
    // Elements no kernel lists (an end below 0, keys of no length) cannot be merged into ranges: they print one by one.
    if (!(err instanceof RangeError) && !(err instanceof TypeError)) throw err;
    init.elems = out;
  }
  return init.elems;
}

function elemNode(info: SetInfo, bytes: Uint8Array | undefined, interval: boolean, e: SetElement, ctx: SetContext): ElemNode {
  let key: Node;
  if (bytes === undefined || ((e.flags ?? 0) & U.NFT_SET_ELEM_CATCHALL) !== 0) {
    key = { k: 'catchall', len: info.key.len, dtype: info.key.dtype, order: info.key.order, flags: 0 };
  } else {
    const v = value(bytesToBig(bytes), bytes.length * 8, info.key.dtype, info.key.order);
    key = info.key.dtype.parts !== undefined ? concatElemKey(info, v, interval) : v;
    if (key.k === 'value' && !interval && key.order === 'host') key.v = switchByteorder(key.v, Math.floor(key.len / 8));
    if (key.k === 'value' && isBitmask(key.dtype)) key = bitmaskToBinops(key);
  }
  const elem: ElemNode = { k: 'elem', key, stmts: ctx.elementStmts(e), len: key.len, dtype: key.dtype, order: key.order, flags: 0 };
  if (e.timeout !== undefined) elem.timeout = BigInt(e.timeout);
  if (e.expires !== undefined) elem.expiration = BigInt(e.expires);
  if (e.comment !== undefined) elem.comment = e.comment;
  return elem;
}

// concat_elem_expr: one part of a concatenated key or value, cut off the front of the bytes.
function concatPart(data: ValueNode, t: DataType, len: number, order: ByteOrder, interval: boolean): Node {
  const sub = Math.ceil(len / 8) * 8;
  const rest = data.len - sub;
  let e: Node = value((data.v >> BigInt(rest)) & ((1n << BigInt(sub)) - 1n), len, t, order);
  data.len = rest - ((Math.ceil(sub / 32) * 32) - sub);
  if (t.printer === 'string' || (!interval && order === 'host')) e.v = switchByteorder(e.v, Math.floor(len / 8));
  if (isBitmask(t)) e = bitmaskToBinops(e as ValueNode);
  return e;
}

function concatElemKey(info: SetInfo, v: ValueNode, interval: boolean): Node {
  const parts = info.key.k === 'concat' ? info.key.parts.map((p) => [p.dtype, p.len, p.order] as const)
    : info.key.dtype.parts!.map((t) => [t, Math.ceil(t.bits / 8) * 8, t.order] as const);
  const nodes = parts.map(([t, len, order]) => concatPart(v, t, len, order, interval));
  return { k: 'concat', parts: nodes, len: v.len, dtype: info.key.dtype, order: 'big', flags: 0 };
}

// The value of an element in a map: a verdict, an object name, bytes of the data type (concatenations and intervals split).
function dataNode(s: NftSet, info: SetInfo, e: SetElement): Node | undefined {
  if (info.data === undefined) return undefined;
  if (e.verdict !== undefined) return { k: 'verdict', verdict: e.verdict, len: 0, dtype: VERDICT, order: 'host', flags: 0 };
  if (info.objType !== undefined) {
    if (e.objref === undefined) return undefined;
    const name = Buffer.from(`${e.objref}\0`);
    return value(switchByteorder(bytesToBig(name), name.length), name.length * 8, dataType('string'), 'host');
  }
  const bytes = elementBytes(e.value, s.map);
  if (bytes === undefined) return undefined;
  const t = info.data.dtype;
  let d: Node = value(bytesToBig(bytes), bytes.length * 8, t, info.data.order);
  if (t.parts !== undefined) d = concatElemData(info, d as ValueNode);
  else if ((info.data.flags & F_INTERVAL) !== 0) d = intervalElem(d as ValueNode);
  if (d.k === 'value' && d.order === 'host') d.v = switchByteorder(d.v, Math.floor(d.len / 8));
  return d;
}

// netlink_parse_concat_elem: a concatenated value, as ranges when the map's data are intervals.
function concatElemData(info: SetInfo, data: ValueNode): Node {
  const types = info.data!.dtype.parts!;
  const first = types.map((t) => concatPart(data, t, Math.ceil(t.bits / 8) * 8, t.order, false));
  let parts = first;
  if ((info.data!.flags & F_INTERVAL) !== 0) {
    parts = types.map((t, i) => rangeReduce(first[i]!, concatPart(data, t, Math.ceil(t.bits / 8) * 8, t.order, false)));
  }
  return { k: 'concat', parts, len: 0, dtype: info.data!.dtype, order: 'big', flags: 0 };
}

// netlink_parse_interval_elem: a value that is a range, its halves the bounds.
function intervalElem(d: ValueNode): Node {
  const half = d.len / 2;
  const from = value(d.v >> BigInt(half), half, d.dtype, d.order);
  const to = value(d.v & ((1n << BigInt(half)) - 1n), half, d.dtype, d.order);
  return rangeToPrefix({ k: 'range', from, to, len: 0, dtype: d.dtype, order: d.order, flags: 0 });
}

function rangeReduce(from: Node, to: Node): Node {
  if (from.k === 'value' && to.k === 'value' && from.v === to.v) return from;
  if (from.dtype.name !== 'ipv4_addr' && from.dtype.name !== 'ipv6_addr') return { k: 'range', from, to, len: 0, dtype: from.dtype, order: from.order, flags: 0 };
  return rangeToPrefix({ k: 'range', from, to, len: 0, dtype: from.dtype, order: from.order, flags: 0 });
}

/** range_expr_to_prefix: `10.0.0.0-10.0.0.255` as `10.0.0.0/24` when it is one. */
export function rangeToPrefix(r: Node & { k: 'range' }): Node {
  const a = r.from, b = r.to;
  if (a.k !== 'value' || b.k !== 'value') return r;
  const len = a.len;
  const x = a.v ^ b.v;
  let n1 = 0;
  while (n1 < len && ((x >> BigInt(n1)) & 1n) === 1n) n1++;
  if ((x >> BigInt(n1)) !== 0n) return r;
  const plen = len - n1;
  if ((a.v & ((1n << BigInt(len - plen)) - 1n)) !== 0n) return r;
  return { k: 'prefix', value: a, plen, len, dtype: a.dtype, order: a.order, flags: 0 };
}

// expr_msort_value: what nft sorts elements by.
function sortValue(e: Node): bigint {
  switch (e.k) {
    case 'elem': return sortValue(e.key);
    case 'binop': case 'mapping': return sortValue(e.left);
    case 'range': return sortValue(e.from);
    case 'value': return e.v;
    case 'concat': {
      // Each part exported in its byte order, unpadded, then read as one host-order number.
      const bytes: number[] = [];
      for (const p of e.parts) {
        const n = Math.ceil(p.len / 8);
        const v = p.k === 'value' ? p.v : 0n;
        for (let i = 0; i < n; i++) {
          const shift = p.order === 'host' ? BigInt(8 * i) : BigInt(8 * (n - 1 - i));
          bytes.push(Number((v >> shift) & 0xffn));
        }
      }
      let v = 0n;
      for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
      return v;
    }
    case 'catchall': return (1n << BigInt(e.len)) - 1n;
    default: return 0n;
  }
}

/**
 * list_expr_sort: nft's merge sort by value. It is not stable: of two equal
 * elements, the one from the later half of a split goes first.
 */
function sortElements(elems: Node[]): Node[] {
  const keyed = elems.map((e) => [sortValue(e), e] as [bigint, Node]);
  return mergeSort(keyed).map(([, e]) => e);
}

function mergeSort(xs: [bigint, Node][]): [bigint, Node][] {
  if (xs.length <= 1) return xs;
  // list_cut_middle: the first half gets the extra element of an odd count... of an even one, the halves are equal.
  const cut = Math.ceil(xs.length / 2);
  const first = mergeSort(xs.slice(0, xs.length % 2 === 0 ? xs.length / 2 : cut));
  const second = mergeSort(xs.slice(first.length));
  // list_splice_sorted: each of the first half goes before the first of the second that is greater.
  const out: [bigint, Node][] = [];
  let j = 0;
  for (const l of first) {
    while (j < second.length && !(l[0] < second[j]![0])) out.push(second[j++]!);
    out.push(l);
  }
  while (j < second.length) out.push(second[j++]!);
  return out;
}
