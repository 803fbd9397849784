// Typed chains -> the blob IPT_SO_SET_REPLACE takes, laid out as libiptc
// lays it out (iptcc_compile_table): the built-in chains in hook order,
// then the user chains in strcmp order, each user chain between an ERROR
// head naming it and a RETURN foot, each built-in chain ending with its
// policy, one ERROR entry closing the table; jumps become the offset of the
// target chain's first rule. Counters in the blob are zero: the handle sets
// them with IPT_SO_SET_ADD_COUNTERS.
import { encodeRuleHeader } from './entry.js';
import type { EncodeContext } from './ext/ext.js';
import { matchCodec, targetCodec, type Match } from './ext/index.js';
import type { TableInfo } from './decode.js';
import { closingVerdict, copySource, JumpIndex, type CopyTarget, LazyChain, sourceSize, TableSource } from './lazy.js';
import { BUILTIN_CHAINS, type Chain, type Rule, type TableData, type Target } from './types.js';
import {
  align8, CHAIN_NAME_LEN, ERROR_TARGET_SIZE, EXT_HEADER, EXT_NAME_LEN, HOOK_NAMES, layoutOf, put16, put32,
  REPLACE_HEADER, STANDARD_TARGET_SIZE, VERDICT, writeCString, type Family,
} from './wire.js';

export interface Encoded {
  /** REPLACE_HEADER bytes of room for struct ipt_replace, then the entries. */
  blob: Buffer;
  info: TableInfo;
  /** Each entry's counters (packets, bytes), for the 'set' counter mode (empty unless asked for). */
  counters: BigUint64Array;
  /**
   * For each entry copied from an unread chain, its index in the table it
   * was read from (else -1); that read was at mapGeneration. Lets replace()
   * carry those entries' counters without comparing them.
   */
  map?: Int32Array;
  mapGeneration?: bigint;
}

/** Chains in the order the blob has them: built-ins in hook order, then user chains in strcmp order. */
export function blobOrder(table: TableData): Chain[] {
  const builtins: readonly string[] = BUILTIN_CHAINS[table.name];
  const found: (Chain | undefined)[] = builtins.map(() => undefined);
  const user: Chain[] = [];
  let ascii = true;
  let sorted = true;
  for (const c of table.chains) {
    const b = builtins.indexOf(c.name);
    if (b >= 0) {
      found[b] ??= c;
      continue;
    }
    if (ascii && !/^[\x00-\x7f]*$/.test(c.name)) ascii = false;
    if (sorted && user.length > 0 && !(user[user.length - 1]!.name < c.name)) sorted = false;
    user.push(c);
  }
  // Chains read from the kernel are in this order already.
  if (!sorted || !ascii) {
    user.sort(ascii ? (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
      : (a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  }
  return [...builtins.map((n, i) => found[i] ?? { name: n, policy: 'ACCEPT' as const, rules: [] }), ...user];
}

function extensionSize(v: Match | Target, kind: 'match' | 'target', family: Family): number {
  if (v.name === 'raw') return EXT_HEADER + v.data.length;
  const codec = kind === 'match' ? matchCodec(v.name) : targetCodec(v.name);
  if (codec === undefined) return STANDARD_TARGET_SIZE; // a verdict or jump: the standard target
  return EXT_HEADER + align8(codec.wire(v, family).size);
}

export function ruleSize(r: Rule, family: Family): number {
  let size = layoutOf(family).size;
  if (r.matches !== undefined) for (const m of r.matches) size += extensionSize(m, 'match', family);
  return size + (r.target === undefined ? STANDARD_TARGET_SIZE : extensionSize(r.target, 'target', family));
}

function writeExtension(v: Match | Target, kind: 'match' | 'target', b: Buffer, at: number, size: number, ctx: EncodeContext): void {
  put16(b, at, size);
  if (v.name === 'raw') {
    writeCString(b, at + 2, v.extension, EXT_NAME_LEN);
    b[at + 31] = v.revision;
    b.set(v.data, at + EXT_HEADER);
    return;
  }
  const codec = (kind === 'match' ? matchCodec(v.name) : targetCodec(v.name))!;
  const wire = codec.wire(v, ctx.family);
  writeCString(b, at + 2, wire.kernel, EXT_NAME_LEN);
  b[at + 31] = wire.revision;
  codec.encode(v, b, at + EXT_HEADER, ctx);
}

function writeStandard(b: Buffer, at: number, verdict: number): void {
  put16(b, at, STANDARD_TARGET_SIZE);
  put32(b, at + EXT_HEADER, verdict);
}

function writeError(b: Buffer, off: number, family: Family, name: string): void {
  const l = layoutOf(family);
  put16(b, off + l.target_offset, l.size);
  put16(b, off + l.next_offset, l.size + ERROR_TARGET_SIZE);
  const t = off + l.size;
  put16(b, t, ERROR_TARGET_SIZE);
  writeCString(b, t + 2, 'ERROR', EXT_NAME_LEN);
  writeCString(b, t + EXT_HEADER, name, CHAIN_NAME_LEN);
}

function writeFoot(b: Buffer, off: number, family: Family, verdict: number): void {
  const l = layoutOf(family);
  put16(b, off + l.target_offset, l.size);
  put16(b, off + l.next_offset, l.size + STANDARD_TARGET_SIZE);
  writeStandard(b, off + l.size, verdict);
}

export interface EncodeOptions {
  /** Fill Encoded.counters from the rules' counters (default true). */
  counters?: boolean;
  /** Fill Encoded.map, when the unread chains all come from one read with a generation (default false). */
  map?: boolean;
}

/** Lays out and writes a validated table. */
export function encodeTable(table: TableData, ctx: EncodeContext, options: EncodeOptions = {}): Encoded {
  const family = table.family;
  const l = layoutOf(family);
  const chains = blobOrder(table);
  const headSize = l.size + ERROR_TARGET_SIZE;
  const footSize = l.size + STANDARD_TARGET_SIZE;
  // First pass: offsets.
  const sizes: (number[] | undefined)[] = [];
  const starts: number[] = [];
  let sources: TableSource | undefined | null; // null: more than one
  let size = 0;
  let entries = 0;
  for (const c of chains) {
    const builtin = c.policy !== undefined;
    if (!builtin) {
      size += headSize;
      entries++;
    }
    starts.push(size);
    const source = c instanceof LazyChain ? c.source : undefined;
    if (source !== undefined) {
      // Unread since it was read from the kernel: its bytes go back as they were.
      sizes.push(undefined);
      size += sourceSize(source) + footSize;
      entries += source.to - source.from + 1;
      if (sources === undefined) sources = source.table;
      else if (sources !== source.table) sources = null;
      continue;
    }
    const rs = c.rules.map((r, i) => {
      const n = ruleSize(r, family);
      // target_offset and next_offset are 16 bits.
      if (n > 0xffff) throw new RangeError(`chain ${c.name} rule ${i + 1} is larger than the kernel's 64 KiB per rule`);
      return n;
    });
    sizes.push(rs);
    for (const s of rs) size += s;
    size += footSize;
    entries += c.rules.length + 1;
  }
  size += headSize;
  entries++;
  const blob = Buffer.alloc(REPLACE_HEADER + size);
  const counters = new BigUint64Array(options.counters === false ? 0 : 2 * entries);
  const useMap = options.map === true && sources instanceof TableSource && sources.generation !== undefined;
  const map = useMap ? new Int32Array(entries).fill(-1) : undefined;
  const info: TableInfo = { validHooks: 0, hookEntry: [0, 0, 0, 0, 0], underflow: [0, 0, 0, 0, 0], numEntries: entries, size };
  // Jumps by name (typed rules; made on first use) and by ordinal of the read they came from (unread chains).
  let byName: Map<string, number> | undefined;
  const firstRule = (name: string): number => {
    byName ??= new Map(chains.map((c, i) => [c.name, starts[i]!]));
    return byName.get(name)!;
  };
  const jumps = new JumpIndex(chains);
  const startsBySource = new Map<TableSource, Int32Array>();
  const copyTo: CopyTarget = {
    blob, words: blob.byteOffset % 4 === 0 ? new Int32Array(blob.buffer, blob.byteOffset, blob.length >> 2) : undefined,
    base: REPLACE_HEADER, starts: new Int32Array(0), counters: options.counters === false ? undefined : counters, map,
  };
  // Second pass: bytes. Offsets below are relative to the entries, which start at REPLACE_HEADER.
  let off = 0;
  let index = 0;
  chains.forEach((c, ci) => {
    const builtin = c.policy !== undefined;
    if (!builtin) {
      writeError(blob, REPLACE_HEADER + off, family, c.name);
      off += headSize;
      index++;
    } else {
      const h = HOOK_NAMES.indexOf(c.name as (typeof HOOK_NAMES)[number]);
      info.validHooks |= 1 << h;
      info.hookEntry[h] = off;
    }
    const source = c instanceof LazyChain ? c.source : undefined;
    if (source !== undefined) {
      let s = startsBySource.get(source.table);
      if (s === undefined) {
        const at = jumps.of(source.table);
        s = new Int32Array(at.length);
        for (let k = 0; k < at.length; k++) s[k] = at[k]! < 0 ? -1 : starts[at[k]!]!;
        startsBySource.set(source.table, s);
      }
      copyTo.starts = s;
      // A renamed chain's rules are other rules for the counters (as when they are compared).
      copyTo.map = source.table.names[source.ordinal] === c.name ? map : undefined;
      copySource(source, copyTo, off, index);
      off += sourceSize(source);
      index += source.to - source.from;
    } else {
      const rs = sizes[ci]!;
      c.rules.forEach((r, ri) => {
        const rsize = rs[ri]!;
        writeRule(blob, REPLACE_HEADER + off, off, rsize, r, firstRule, ctx);
        if (r.counters !== undefined && options.counters !== false) {
          counters[2 * index] = BigInt(r.counters.packets);
          counters[2 * index + 1] = BigInt(r.counters.bytes);
        }
        off += rsize;
        index++;
      });
    }
    const verdict = builtin ? (c.policy === 'DROP' ? VERDICT.DROP : VERDICT.ACCEPT) : VERDICT.RETURN;
    if (builtin) info.underflow[HOOK_NAMES.indexOf(c.name as (typeof HOOK_NAMES)[number])] = off;
    writeFoot(blob, REPLACE_HEADER + off, family, verdict);
    if (builtin && c.counters !== undefined && options.counters !== false) {
      counters[2 * index] = BigInt(c.counters.packets);
      counters[2 * index + 1] = BigInt(c.counters.bytes);
    }
    // The closing entry keeps its counters when it closes the same chain with the same verdict.
    if (copyTo.map !== undefined && source !== undefined && closingVerdict(source) === verdict) map![index] = source.to;
    off += footSize;
    index++;
  });
  writeError(blob, REPLACE_HEADER + off, family, 'ERROR');
  return { blob, info, counters, ...(map !== undefined ? { map, mapGeneration: (sources as TableSource).generation! } : {}) };
}

function writeRule(b: Buffer, at: number, off: number, size: number, r: Rule, firstRule: (name: string) => number, ctx: EncodeContext): void {
  const family = ctx.family;
  const l = layoutOf(family);
  const t = r.target;
  encodeRuleHeader(r, b, at, family, t?.name === 'goto');
  let m = at + l.size;
  if (r.matches !== undefined) {
    for (const match of r.matches) {
      const msize = extensionSize(match, 'match', family);
      writeExtension(match, 'match', b, m, msize, ctx);
      m += msize;
    }
  }
  put16(b, at + l.target_offset, m - at);
  put16(b, at + l.next_offset, size);
  if (t === undefined) writeStandard(b, m, off + size);
  else if (t.name === 'jump' || t.name === 'goto') writeStandard(b, m, firstRule(t.chain));
  else if (t.name === 'ACCEPT' || t.name === 'DROP' || t.name === 'RETURN' || t.name === 'QUEUE') writeStandard(b, m, VERDICT[t.name]);
  else writeExtension(t, 'target', b, m, at + size - m, ctx);
}

