// Interval sets as nft prints them (segtree.c): the kernel keeps a range as
// its start and the value after its end (flagged INTERVAL_END), or, in
// concatenations, each element with its key end. nft merges them back into
// `a-b` ranges, prefixes (`10.0.0.0/8`), wildcard names (`"eth*"`) and
// single values; a range running to the end of the key space has no end
// element (`192.0.0.0/2`, `60000-65535`).
import { basetypeOf, clone, F_INTERVAL_END, value, type ElemNode, type Node, type SetNode, type ValueNode } from './ast.js';
import { scan0 } from './postprocess.js';
import { switchByteorder } from './value.js';

// expr_value: the key value of an element (or mapping).
function keyValue(e: Node): ValueNode | undefined {
  const k = e.k === 'mapping' ? (e.left as ElemNode).key : e.k === 'elem' ? e.key : e;
  return k.k === 'value' ? k : undefined;
}

const elemOf = (e: Node): ElemNode => (e.k === 'mapping' ? (e.left as ElemNode) : (e as ElemNode));

// __expr_to_set_elem: a new element for a merged key, with the start's timeout, comment and statements (and its mapping).
function toElem(low: Node, key: Node): Node {
  const src = elemOf(low);
  const elem: ElemNode = { k: 'elem', key, stmts: src.stmts, len: key.len, dtype: key.dtype, order: key.order, flags: 0 };
  if (src.comment !== undefined) elem.comment = src.comment;
  if (src.timeout) elem.timeout = src.timeout;
  if (src.expiration) elem.expiration = src.expiration;
  if (low.k === 'mapping') return { k: 'mapping', left: elem, right: clone(low.right), len: elem.len, dtype: elem.dtype, order: elem.order, flags: 0 };
  return elem;
}

function stringBytes(v: bigint, len: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = len - 1, x = v; i >= 0; i--, x >>= 8n) b[i] = Number(x & 0xffn);
  return b;
}

// A prefix of a string type as `"eth*"` (interval_to_string), else a prefix.
function stringWildcard(low: Node, key: ValueNode, plen: number, len: number): Node | undefined {
  const n = Math.ceil(len / 8);
  if (plen > len || plen % 8 !== 0) return undefined;
  const data = stringBytes(key.v, n);
  const nul = data.indexOf(0);
  const strLen = nul < 0 ? n : nul;
  if (strLen >= n || strLen === 0) return undefined;
  const bytes = Buffer.concat([data.subarray(0, strLen), Buffer.from('*')]);
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return toElem(low, { ...value(v, bytes.length * 8, key.dtype, 'host') });
}

// add_interval: [low, i] as a value, prefix, wildcard or range.
function addInterval(out: Node[], low: Node, i: Node): void {
  const lv = keyValue(low)!, iv = keyValue(i)!;
  let range = iv.v - lv.v;
  if (i.k !== 'value') range -= 1n;
  const p = lv.v & range;
  if (range === 0n) {
    if (basetypeOf(lv).printer === 'string') lv.v = switchByteorder(lv.v, Math.floor(lv.len / 8));
    out.push(low);
    return;
  }
  if ((range & (range + 1n)) === 0n && p === 0n) {
    const plen = iv.len - scan0(range, 0);
    if (iv.dtype.prefix === true) {
      out.push(toElem(low, { k: 'prefix', value: clone(lv), plen, len: iv.len, dtype: lv.dtype, order: lv.order, flags: 0 }));
      return;
    }
    if (basetypeOf(iv).printer === 'string') {
      out.push(stringWildcard(low, lv, plen, iv.len) ?? toElem(low, { k: 'prefix', value: clone(lv), plen, len: iv.len, dtype: lv.dtype, order: lv.order, flags: 0 }));
      return;
    }
  }
  const to = value(lv.v + range, lv.len, lv.dtype, lv.order);
  out.push(toElem(low, { k: 'range', from: clone(lv), to, len: 0, dtype: lv.dtype, order: lv.order, flags: 0 }));
}

// expr_value_cmp: by value, an interval end before a start at the same value.
function compare(a: Node, b: Node): number {
  const av = keyValue(a), bv = keyValue(b);
  if (av === undefined) return -1;
  if (bv === undefined) return 1;
  if (av.v !== bv.v) return av.v < bv.v ? -1 : 1;
  if ((a.flags & F_INTERVAL_END) !== 0) return -1;
  if ((b.flags & F_INTERVAL_END) !== 0) return 1;
  return 0;
}

/** interval_map_decompose: the kernel's start/end elements of an interval set back into ranges. */
export function intervalMapDecompose(set: SetNode): void {
  let catchall: Node | undefined;
  const sorted: Node[] = [];
  for (const e of set.elems) {
    if (elemOf(e).key.k === 'catchall') catchall = e;
    else sorted.push(e);
  }
  sorted.sort(compare);
  // Points (a start right after a start) become half-open intervals of their own.
  const ranges: Node[] = [];
  let open = false;
  for (const e of sorted) {
    if ((e.flags & F_INTERVAL_END) !== 0) open = false;
    else if (open) {
      const end = clone(e);
      end.flags |= F_INTERVAL_END;
      ranges.push(end);
    } else open = true;
    ranges.push(e);
  }
  const out: Node[] = [];
  let low: Node | undefined;
  for (const e of ranges) {
    if (low === undefined) {
      if ((e.flags & F_INTERVAL_END) === 0) low = e;
      continue;
    }
    addInterval(out, low, e);
    if ((e.flags & F_INTERVAL_END) !== 0) low = undefined;
  }
  if (low !== undefined) {
    // A range to the end of the key space has no end element.
    const lv = keyValue(low)!;
    const max = (1n << BigInt(lv.len)) - 1n;
    if (lv.v === max) out.push(low);
    else addInterval(out, low, value(max, lv.len, lv.dtype, lv.order));
  }
  if (catchall !== undefined) out.push(catchall);
  set.elems = out;
}

// range_mask_len: the prefix length of [start, end], or -1.
function rangeMaskLen(start: bigint, end: bigint, len: number): number {
  while (start <= end && (start & 1n) === 0n && (end & 1n) === 1n && len-- !== 0) {
    start >>= 1n;
    end >>= 1n;
  }
  return start === end ? len : -1;
}

/** concat_range_aggregate: each start/end pair of a concatenated interval set as one element of ranges. */
export function concatRangeAggregate(set: SetNode): void {
  const out: Node[] = [];
  for (let i = 0; i + 1 < set.elems.length; i += 2) {
    const start = set.elems[i]!, end = set.elems[i + 1]!;
    const sk = elemOf(start).key, ek = elemOf(end).key;
    if (sk.k !== 'concat' || ek.k !== 'concat') { out.push(end); continue; }
    ek.parts = ek.parts.map((r2, j) => {
      const r1 = sk.parts[j];
      if (r1 === undefined || r1.k !== 'value' || r2.k !== 'value' || r1.v === r2.v) return r2;
      const str = basetypeOf(r1).printer === 'string';
      const a = str ? switchByteorder(r1.v, r1.len / 8) : r1.v;
      const b = str ? switchByteorder(r2.v, r2.len / 8) : r2.v;
      const plen = rangeMaskLen(a, b, r1.len);
      if (plen >= 0 && plen % 8 === 0 && str) {
        const n = plen / 8;
        const bytes = Buffer.concat([stringBytes(r1.v, Math.ceil(r1.len / 8)).reverse().subarray(0, n), Buffer.from('*')]);
        let v = 0n;
        for (let k = bytes.length - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[k]!);
        return { ...value(v, r2.len, r1.dtype, 'host') };
      }
      if (plen < 0 || r1.dtype.prefix !== true) return { k: 'range', from: r1, to: r2, len: 0, dtype: r1.dtype, order: r1.order, flags: 0 };
      return { k: 'prefix', value: r1, plen, len: r2.len, dtype: r1.dtype, order: r1.order, flags: 0 };
    });
    out.push(end);
  }
  set.elems = out;
}
