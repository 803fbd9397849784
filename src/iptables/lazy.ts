// Chains read from the kernel decode their rules on first use. Until then
// a chain is the bytes it was read as: replace() copies them into the new
// blob (counters and the kernel's comefrom cleared, jump offsets moved to
// where their chains now are) without decoding or validating them again.
// So reading a table of half a million entries and changing one chain of
// it decodes and encodes that chain only, and a chain nobody looked at is
// written back exactly as it was.
import type { Chain, Counters, Rule } from './types.js';
import { EXT_HEADER, i32, layoutOf, STANDARD_TARGET_SIZE, u16, u64, type Family } from './wire.js';

/** What the chains of one read share: the blob, where its entries are, and the names jumps land on. */
export class TableSource {
  #ordinals: Map<string, number> | undefined;
  #targets: Int32Array | undefined;

  constructor(
    readonly b: Uint8Array,
    readonly family: Family,
    /** Offsets of every entry of the table. */
    readonly offsets: Uint32Array,
    /** The names of the chains jumps can land on (one per chain start), by ordinal. */
    readonly names: readonly string[],
    /** Chain start (offset of its first rule) -> the ordinal of its name. */
    readonly starts: ReadonlyMap<number, number>,
    readonly decode: (offset: number) => Rule,
    /** The generation the blob was read at, when it was read from the kernel. */
    readonly generation: bigint | undefined,
  ) {}

  /** The ordinal of a name (made on first use: chains read keep theirs). */
  ordinal(name: string): number | undefined {
    if (this.#ordinals === undefined) {
      this.#ordinals = new Map();
      this.names.forEach((n, i) => {
        if (!this.#ordinals!.has(n)) this.#ordinals!.set(n, i);
      });
    }
    return this.#ordinals.get(name);
  }

  /**
   * For every entry, where its standard target goes: the ordinal of the
   * chain it jumps (or goes) to, NONE for a verdict, a fall-through or an
   * extension target, STRAY for a jump that lands on no chain's start or an
   * odd standard target (only a foreign writer makes those; they cannot be
   * written back, as their offsets would not survive a new layout).
   */
  targets(): Int32Array {
    if (this.#targets !== undefined) return this.#targets;
    const { b, offsets } = this;
    const l = layoutOf(this.family);
    const out = new Int32Array(offsets.length);
    for (let i = 0; i < offsets.length; i++) {
      const off = offsets[i]!;
      const t = off + u16(b, off + l.target_offset);
      if (b[t + 2] !== 0) {
        out[i] = NONE;
        continue;
      }
      if (u16(b, t) !== STANDARD_TARGET_SIZE || b[t + 31] !== 0) {
        out[i] = STRAY;
        continue;
      }
      const v = i32(b, t + EXT_HEADER);
      if (v < 0) out[i] = v === -1 || v === -2 || v === -4 || v === -5 ? NONE : STRAY;
      else if (v === off + u16(b, off + l.next_offset)) out[i] = NONE;
      else out[i] = this.starts.get(v) ?? STRAY;
    }
    this.#targets = out;
    return out;
  }
}

export const NONE = -1;
export const STRAY = -2;

/** Where a chain's rules are in the blob it was read from. */
export interface ChainSource {
  table: TableSource;
  /** The ordinal of the chain's name as read. */
  ordinal: number;
  /** The chain's rules are entries [from, to); entry `to` is its policy or RETURN, when `closed`. */
  from: number;
  to: number;
  closed: boolean;
}

// One getter and setter for every LazyChain (V8 then gives them one shape).
let readRules: (c: LazyChain) => Rule[];
let writeRules: (c: LazyChain, v: Rule[]) => void;
const RULES: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: LazyChain): Rule[] {
    return readRules(this);
  },
  set(this: LazyChain, v: Rule[]) {
    writeRules(this, v);
  },
};

/** A chain whose rules are decoded from the blob when first read. */
export class LazyChain implements Chain {
  name: string;
  // Declared only: set when the chain has them (no own properties holding undefined).
  declare policy?: 'ACCEPT' | 'DROP';
  declare counters?: Counters;
  declare rules: Rule[];
  #source: ChainSource | undefined;
  #rules: Rule[] | undefined;

  static {
    readRules = (c) => {
      if (c.#rules === undefined) {
        const s = c.#source!;
        const { offsets, decode } = s.table;
        const rules: Rule[] = [];
        for (let i = s.from; i < s.to; i++) rules.push(decode(offsets[i]!));
        c.#rules = rules;
        c.#source = undefined;
      }
      return c.#rules;
    };
    writeRules = (c, v) => {
      c.#rules = v;
      c.#source = undefined;
    };
  }

  constructor(name: string, source: ChainSource) {
    this.name = name;
    this.#source = source;
    // An own, enumerable accessor: spreading, deepEqual and structuredClone see `rules` as data.
    Object.defineProperty(this, 'rules', RULES);
  }

  /** The bytes the chain's rules still are, or undefined once they were read or replaced. */
  get source(): ChainSource | undefined {
    return this.#source;
  }

  /** A copy: sharing the bytes while they are unread, else a deep copy of the rules. */
  clone(): Chain {
    const s = this.#source;
    const c: Chain = s !== undefined ? new LazyChain(this.name, s) : { name: this.name, rules: structuredClone(this.rules) };
    if (this.policy !== undefined) c.policy = this.policy;
    if (this.counters !== undefined) c.counters = { ...this.counters };
    return c;
  }
}

const sourceOf = (c: Chain): ChainSource | undefined => (c instanceof LazyChain ? c.source : undefined);

/**
 * For each name ordinal of `ts`, the position in `chains` of the chain now
 * called that (or -1): where the jumps of unread chains land.
 */
export function ordinalIndex(ts: TableSource, chains: readonly Chain[]): Int32Array {
  const out = new Int32Array(ts.names.length).fill(-1);
  for (let j = 0; j < chains.length; j++) {
    const c = chains[j]!;
    const s = sourceOf(c);
    const ord = s !== undefined && s.table === ts && ts.names[s.ordinal] === c.name ? s.ordinal : ts.ordinal(c.name);
    if (ord !== undefined && out[ord] === -1) out[ord] = j;
  }
  return out;
}

/** Resolves the jumps of unread chains to positions in `chains`, one index per table read. */
export class JumpIndex {
  readonly #chains: readonly Chain[];
  readonly #indexes = new Map<TableSource, Int32Array>();

  constructor(chains: readonly Chain[]) {
    this.#chains = chains;
  }

  of(ts: TableSource): Int32Array {
    let index = this.#indexes.get(ts);
    if (index === undefined) {
      index = ordinalIndex(ts, this.#chains);
      this.#indexes.set(ts, index);
    }
    return index;
  }
}

/** The chains a chain's rules jump or go to, without decoding them when they are unread. */
export function chainJumps(c: Chain): string[] {
  const s = sourceOf(c);
  if (s === undefined) {
    return c.rules.flatMap((r) => (r.target?.name === 'jump' || r.target?.name === 'goto' ? [(r.target as { chain: string }).chain] : []));
  }
  const targets = s.table.targets();
  const out: string[] = [];
  for (let i = s.from; i < s.to; i++) if (targets[i]! >= 0) out.push(s.table.names[targets[i]!]!);
  return out;
}

/** The bytes an unread chain's rules take. */
export const sourceSize = (s: ChainSource): number => s.table.offsets[s.to]! - s.table.offsets[s.from]!;

/** Where copySource writes, and what it fills in besides the bytes. */
export interface CopyTarget {
  blob: Uint8Array;
  /** 32-bit view of the blob, when its start is 4-byte aligned (faster stores). */
  words: Int32Array | undefined;
  /** Offset of the entries in the blob. */
  base: number;
  /** New first-rule offset by name ordinal of the source's table (see ordinalIndex). */
  starts: Int32Array;
  /** Each entry's counters (packets, bytes), when wanted. */
  counters: BigUint64Array | undefined;
  /** Each new entry's index in the blob it was copied from, when wanted. */
  map: Int32Array | undefined;
}

/**
 * Copies an unread chain's rules to entry offset `off` (entry `index`):
 * counters and comefrom cleared, jumps moved to their chains' new first
 * rules, fall-throughs to their new next entry.
 */
export function copySource(s: ChainSource, to: CopyTarget, off: number, index: number): void {
  const { b, offsets, family } = s.table;
  const targets = s.table.targets();
  const l = layoutOf(family);
  const { blob, words, base, starts, counters, map } = to;
  const start = offsets[s.from]!;
  blob.set(b.subarray(start, offsets[s.to]!), base + off);
  const delta = off - start;
  for (let i = s.from; i < s.to; i++, index++) {
    const old = offsets[i]!;
    const at = base + old + delta;
    if (counters !== undefined) {
      const packets = u64(b, old + l.counters);
      const bytes = u64(b, old + l.counters + 8);
      if (packets !== 0 || bytes !== 0) {
        counters[2 * index] = BigInt(packets);
        counters[2 * index + 1] = BigInt(bytes);
      }
    }
    if (map !== undefined) map[index] = i;
    const tgt = targets[i]!;
    let verdict = -1;
    if (tgt >= 0) verdict = starts[tgt]!;
    else if (tgt === NONE && b[old + u16(b, old + l.target_offset) + 2] === 0) {
      const v = i32(b, old + u16(b, old + l.target_offset) + EXT_HEADER);
      if (v >= 0) verdict = v + delta; // a fall-through: the next entry moved with it
    }
    if (words !== undefined) {
      // Entries are 8-byte aligned; comefrom, the counters and a standard target's verdict at least 4.
      const w = at >> 2;
      words[(w + (l.comefrom >> 2))] = 0;
      const c = w + (l.counters >> 2);
      words[c] = 0;
      words[c + 1] = 0;
      words[c + 2] = 0;
      words[c + 3] = 0;
      if (verdict >= 0) words[(at + u16(b, old + l.target_offset) + EXT_HEADER) >> 2] = verdict;
    } else {
      blob.fill(0, at + l.comefrom, at + l.comefrom + 4);
      blob.fill(0, at + l.counters, at + l.counters + 16);
      if (verdict >= 0) {
        const v = at + u16(b, old + l.target_offset) + EXT_HEADER;
        blob[v] = verdict & 0xff;
        blob[v + 1] = (verdict >>> 8) & 0xff;
        blob[v + 2] = (verdict >>> 16) & 0xff;
        blob[v + 3] = verdict >>> 24;
      }
    }
  }
}

/** The verdict of the entry that closes an unread chain as read (its policy or RETURN), or undefined. */
export function closingVerdict(s: ChainSource): number | undefined {
  if (!s.closed) return undefined;
  const { b, offsets, family } = s.table;
  const off = offsets[s.to]!;
  const t = off + u16(b, off + layoutOf(family).target_offset);
  return i32(b, t + EXT_HEADER);
}
