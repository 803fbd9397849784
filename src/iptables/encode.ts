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
import { checkNoLoops, checkTypedRule, type TableCheck } from './validate.js';
import { BUILTIN_CHAINS, type Chain, type Rule, type TableData, type Target } from './types.js';
import {
  align8, CHAIN_NAME_LEN, ERROR_TARGET_SIZE, EXT_HEADER, EXT_NAME_LEN, HOOK_NAMES, layoutOf, put16, put32,
  REPLACE_HEADER, STANDARD_TARGET_SIZE, VERDICT, writeCString, type Family,
} from './wire.js';

export interface Encoded {
  /** REPLACE_HEADER bytes of room for struct ipt_replace, then the entries. */
  blob: Buffer;
  /** The whole buffer `blob` is the start of (from EncodeOptions.alloc). */
  storage: Buffer;
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

/**
 * Where each chain of the blob is in `table.chains`, in the order the blob
 * has them: built-ins in hook order, then user chains in strcmp order; a
 * built-in chain the table lacks is -1 - (its index in BUILTIN_CHAINS).
 */
export function blobSlots(table: TableData): Int32Array {
  const builtins: readonly string[] = BUILTIN_CHAINS[table.name];
  const slots = new Int32Array(table.chains.length + builtins.length);
  for (let b = 0; b < builtins.length; b++) slots[b] = -1 - b;
  let n = builtins.length;
  let ascii = true;
  let sorted = true;
  let last = '';
  const chains = table.chains;
  for (let i = 0; i < chains.length; i++) {
    const name = chains[i]!.name;
    const b = builtins.indexOf(name);
    if (b >= 0) {
      if (slots[b]! < 0) slots[b] = i;
      continue;
    }
    if (ascii) for (let j = 0; j < name.length; j++) if (name.charCodeAt(j) >= 0x80) ascii = false;
    if (sorted && n > builtins.length && !(last < name)) sorted = false;
    last = name;
    slots[n++] = i;
  }
  const out = slots.subarray(0, n);
  // Chains read from the kernel, and tables restore() made, are in this order already.
  if (!sorted || !ascii) {
    const user = Array.from(out.subarray(builtins.length));
    user.sort(ascii ? (a, b) => { const x = chains[a]!.name, y = chains[b]!.name; return x < y ? -1 : x > y ? 1 : 0; }
      : (a, b) => Buffer.compare(Buffer.from(chains[a]!.name), Buffer.from(chains[b]!.name)));
    out.set(user, builtins.length);
  }
  return out;
}

/**
 * Chains in the order the blob has them: built-ins in hook order (ACCEPT
 * ones added where missing), then user chains in strcmp order; `slots` is
 * blobSlots(table) when the caller has it already.
 */
export function blobOrder(table: TableData, slots = blobSlots(table)): Chain[] {
  const builtins: readonly string[] = BUILTIN_CHAINS[table.name];
  return Array.from(slots, (i) => (i >= 0 ? table.chains[i]! : { name: builtins[-1 - i]!, policy: 'ACCEPT' as const, rules: [] }));
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
  /**
   * Where the blob is written: a zeroed buffer of at least `size` bytes
   * (default Buffer.alloc). Lets a handle reuse one buffer for every replace.
   */
  alloc?: (size: number) => Buffer;
}

/** Bytes reserved for a typed rule before it is sized (the buffer grows when rules are larger). */
const RULE_ESTIMATE = 256;

/**
 * Lays out and writes a table in one pass over its rules. With `check`
 * (from checkChains, or validateTable) the typed rules are checked as they
 * are written, when validateTable did not check them yet, and jumps land
 * where the check found them; without, the table must have been validated
 * and jumps are looked up by name.
 */
export function encodeTable(table: TableData, ctx: EncodeContext, options: EncodeOptions = {}, check?: TableCheck): Encoded {
  const family = table.family;
  const l = layoutOf(family);
  const slots = blobSlots(table);
  const chains = blobOrder(table, slots);
  const headSize = l.size + ERROR_TARGET_SIZE;
  const footSize = l.size + STANDARD_TARGET_SIZE;
  const withCounters = options.counters !== false;
  // The entries are counted exactly and the bytes of the typed rules estimated, without looking at a rule.
  let sources: TableSource | undefined | null; // null: more than one
  let estimate = headSize;
  let entries = 1;
  for (let k = 0; k < chains.length; k++) {
    const c = chains[k]!;
    if (c.policy === undefined) {
      estimate += headSize;
      entries++;
    }
    const source = c instanceof LazyChain ? c.source : undefined;
    if (source !== undefined) {
      estimate += sourceSize(source) + footSize;
      entries += source.to - source.from + 1;
      if (sources === undefined) sources = source.table;
      else if (sources !== source.table) sources = null;
      continue;
    }
    estimate += c.rules.length * RULE_ESTIMATE + footSize;
    entries += c.rules.length + 1;
  }
  // Zeroed up to `room` (a buffer from options.alloc may be larger, and hold old bytes past that).
  let room = REPLACE_HEADER + estimate;
  let blob = options.alloc !== undefined ? options.alloc(room) : Buffer.alloc(room);
  const counters = new BigUint64Array(withCounters ? 2 * entries : 0);
  const useMap = options.map === true && sources instanceof TableSource && sources.generation !== undefined;
  const map = useMap ? new Int32Array(entries).fill(-1) : undefined;
  const info: TableInfo = { validHooks: 0, hookEntry: [0, 0, 0, 0, 0], underflow: [0, 0, 0, 0, 0], numEntries: entries, size: 0 };
  // Where each chain starts (its first rule), by position in table.chains and in blob order; jumps are
  // written once every chain has its place.
  const startOf = new Int32Array(table.chains.length);
  const startOfSlot = new Int32Array(chains.length);
  const fixAt: number[] = [];
  const fixTo: number[] = [];
  let byName: Map<string, number> | undefined;
  const positionOf = (name: string): number => {
    if (byName === undefined) {
      byName = new Map();
      for (let i = table.chains.length - 1; i >= 0; i--) byName.set(table.chains[i]!.name, i);
    }
    return byName.get(name)!;
  };
  const grow = (need: number): void => {
    const next = Math.max(need, room * 2);
    if (next <= blob.length) {
      blob.fill(0, room, next);
    } else {
      const bigger = Buffer.alloc(next);
      bigger.set(blob.subarray(0, room));
      blob = bigger;
    }
    room = next;
  };
  // Offsets below are relative to the entries, which start at REPLACE_HEADER.
  let off = 0;
  let index = 0;
  const unread: { k: number; off: number; index: number }[] = [];
  for (let k = 0; k < chains.length; k++) {
    const c = chains[k]!;
    const builtin = c.policy !== undefined;
    const pos = slots[k]!;
    if (!builtin) {
      writeError(blob, REPLACE_HEADER + off, family, c.name);
      off += headSize;
      index++;
    } else {
      const h = HOOK_NAMES.indexOf(c.name as (typeof HOOK_NAMES)[number]);
      info.validHooks |= 1 << h;
      info.hookEntry[h] = off;
    }
    startOfSlot[k] = off;
    if (pos >= 0) startOf[pos] = off;
    const source = c instanceof LazyChain ? c.source : undefined;
    if (source !== undefined) {
      // Unread since it was read from the kernel: its bytes go back as they were, copied once every chain has its place.
      unread.push({ k, off, index });
      off += sourceSize(source);
      index += source.to - source.from;
    } else {
      const rules = c.rules;
      const first = check !== undefined && pos >= 0 ? check.first[pos]! : -1;
      for (let ri = 0; ri < rules.length; ri++) {
        const r = rules[ri]!;
        if (first >= 0 && !check!.done) checkTypedRule(check!, pos, ri, r, family);
        const rsize = ruleSize(r, family);
        // target_offset and next_offset are 16 bits.
        if (rsize > 0xffff) throw new RangeError(`chain ${c.name} rule ${ri + 1} is larger than the kernel's 64 KiB per rule`);
        if (REPLACE_HEADER + off + rsize + footSize + headSize > room) grow(REPLACE_HEADER + off + rsize + footSize + headSize);
        const v = writeRule(blob, REPLACE_HEADER + off, off, rsize, r, ctx);
        if (v >= 0) {
          fixAt.push(v);
          fixTo.push(first >= 0 ? check!.jumps[first + ri]! : positionOf((r.target as { chain: string }).chain));
        }
        if (withCounters && r.counters !== undefined) {
          counters[2 * index] = BigInt(r.counters.packets);
          counters[2 * index + 1] = BigInt(r.counters.bytes);
        }
        off += rsize;
        index++;
      }
    }
    if (REPLACE_HEADER + off + footSize + headSize > room) grow(REPLACE_HEADER + off + footSize + headSize);
    const verdict = builtin ? (c.policy === 'DROP' ? VERDICT.DROP : VERDICT.ACCEPT) : VERDICT.RETURN;
    if (builtin) info.underflow[HOOK_NAMES.indexOf(c.name as (typeof HOOK_NAMES)[number])] = off;
    writeFoot(blob, REPLACE_HEADER + off, family, verdict);
    if (builtin && c.counters !== undefined && withCounters) {
      counters[2 * index] = BigInt(c.counters.packets);
      counters[2 * index + 1] = BigInt(c.counters.bytes);
    }
    // The closing entry keeps its counters when it closes the same chain, unrenamed, with the same verdict.
    if (map !== undefined && source !== undefined && source.table.names[source.ordinal] === c.name && closingVerdict(source) === verdict) {
      map[index] = source.to;
    }
    off += footSize;
    index++;
  }
  writeError(blob, REPLACE_HEADER + off, family, 'ERROR');
  info.size = off + headSize;
  if (check !== undefined && !check.done) checkNoLoops(table, check);
  for (let j = 0; j < fixAt.length; j++) put32(blob, fixAt[j]!, startOf[fixTo[j]!]!);
  if (unread.length > 0) {
    const copyTo: CopyTarget = {
      blob, words: blob.byteOffset % 4 === 0 ? new Int32Array(blob.buffer, blob.byteOffset, blob.length >> 2) : undefined,
      base: REPLACE_HEADER, starts: new Int32Array(0), counters: withCounters ? counters : undefined, map,
    };
    const jumps = new JumpIndex(chains);
    const startsBySource = new Map<TableSource, Int32Array>();
    for (const u of unread) {
      const c = chains[u.k]!;
      const source = (c as LazyChain).source!;
      let s = startsBySource.get(source.table);
      if (s === undefined) {
        const at = jumps.of(source.table);
        s = new Int32Array(at.length);
        for (let j = 0; j < at.length; j++) s[j] = at[j]! < 0 ? -1 : startOfSlot[at[j]!]!;
        startsBySource.set(source.table, s);
      }
      copyTo.starts = s;
      // A renamed chain's rules are other rules for the counters (as when they are compared).
      copyTo.map = source.table.names[source.ordinal] === c.name ? map : undefined;
      copySource(source, copyTo, u.off, u.index);
    }
  }
  return { blob: blob.subarray(0, REPLACE_HEADER + info.size), storage: blob, info, counters, ...(map !== undefined ? { map, mapGeneration: (sources as TableSource).generation! } : {}) };
}

/** Writes one typed rule; returns where the verdict of its jump or goto goes (filled in later), else -1. */
function writeRule(b: Buffer, at: number, off: number, size: number, r: Rule, ctx: EncodeContext): number {
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
  else if (t.name === 'jump' || t.name === 'goto') {
    writeStandard(b, m, 0);
    return m + EXT_HEADER;
  } else if (t.name === 'ACCEPT' || t.name === 'DROP' || t.name === 'RETURN' || t.name === 'QUEUE') writeStandard(b, m, VERDICT[t.name]);
  else writeExtension(t, 'target', b, m, at + size - m, ctx);
  return -1;
}
