// Chains read from the kernel decode their rules on first use. Until then
// a chain is the bytes it was read as: replace() copies them into the new
// blob (counters and the kernel's comefrom cleared, jump offsets moved to
// where their chains now are) without decoding or validating them again.
// So reading a table of half a million entries and changing one chain of
// it decodes and encodes that chain only, and a chain nobody looked at is
// written back exactly as it was.
import type { Chain, Counters, Rule } from './types.js';
import { EXT_HEADER, i32, layoutOf, put32, STANDARD_TARGET_SIZE, u16, u64, type Family } from './wire.js';

/** Where a chain's rules are in the blob it was read from. */
export interface ChainSource {
  b: Uint8Array;
  family: Family;
  /** Offsets of every entry of the table. */
  offsets: Uint32Array;
  /** The chain's rules are entries [from, to); entry `to` is its policy or RETURN. */
  from: number;
  to: number;
  /** Offset of each chain's first rule -> its name, in that blob. */
  firstRule: Map<number, string>;
  decode(offset: number): Rule;
}

/** A chain whose rules are decoded from the blob when first read. */
export class LazyChain implements Chain {
  name: string;
  // Declared only: set when the chain has them (no own properties holding undefined).
  declare policy?: 'ACCEPT' | 'DROP';
  declare counters?: Counters;
  declare rules: Rule[];
  #source: ChainSource | undefined;
  #rules: Rule[] | undefined;

  constructor(name: string, source: ChainSource) {
    this.name = name;
    this.#source = source;
    // An own, enumerable accessor: spreading, deepEqual and structuredClone see `rules` as data.
    Object.defineProperty(this, 'rules', {
      enumerable: true,
      configurable: true,
      get: (): Rule[] => {
        if (this.#rules === undefined) {
          const s = this.#source!;
          const rules: Rule[] = [];
          for (let i = s.from; i < s.to; i++) rules.push(s.decode(s.offsets[i]!));
          this.#rules = rules;
          this.#source = undefined;
        }
        return this.#rules;
      },
      set: (v: Rule[]) => {
        this.#rules = v;
        this.#source = undefined;
      },
    });
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

/** The standard target verdict of entry `off`, or undefined for an extension target. */
function standardVerdict(b: Uint8Array, off: number, family: Family): number | undefined {
  const t = off + u16(b, off + layoutOf(family).target_offset);
  if (b[t + 2] !== 0 || u16(b, t) !== STANDARD_TARGET_SIZE || b[t + 31] !== 0) return undefined;
  return i32(b, t + EXT_HEADER);
}

/** The chains a chain's rules jump or go to, without decoding them when they are unread. */
export function chainJumps(c: Chain): string[] {
  const s = c instanceof LazyChain ? c.source : undefined;
  if (s === undefined) {
    return c.rules.flatMap((r) => (r.target?.name === 'jump' || r.target?.name === 'goto' ? [(r.target as { chain: string }).chain] : []));
  }
  const out: string[] = [];
  const l = layoutOf(s.family);
  for (let i = s.from; i < s.to; i++) {
    const off = s.offsets[i]!;
    const v = standardVerdict(s.b, off, s.family);
    if (v === undefined || v < 0 || v === off + u16(s.b, off + l.next_offset)) continue;
    const name = s.firstRule.get(v);
    if (name !== undefined) out.push(name);
  }
  return out;
}

/** Whether an unread chain has a jump that does not land on a chain's first rule (only a foreign writer makes those; replace() refuses them). */
export function hasStrayJump(s: ChainSource): boolean {
  const l = layoutOf(s.family);
  for (let i = s.from; i < s.to; i++) {
    const off = s.offsets[i]!;
    const v = standardVerdict(s.b, off, s.family);
    if (v !== undefined && v >= 0 && v !== off + u16(s.b, off + l.next_offset) && !s.firstRule.has(v)) return true;
    if (v !== undefined && v < 0 && v !== -1 && v !== -2 && v !== -4 && v !== -5) return true;
  }
  return false;
}

/** The bytes an unread chain's rules take. */
export const sourceSize = (s: ChainSource): number => s.offsets[s.to]! - s.offsets[s.from]!;

/**
 * Copies an unread chain's rules to `at` (offset `off` in the new entries):
 * counters and comefrom cleared, jumps moved to their chains' new first
 * rules, fall-throughs to their new next entry. Fills `counters` (packets,
 * bytes per entry from `index`) with the counters they were read with.
 */
export function copySource(s: ChainSource, blob: Uint8Array, at: number, off: number, firstRule: Map<string, number>,
  counters: BigUint64Array, index: number): void {
  const l = layoutOf(s.family);
  const start = s.offsets[s.from]!;
  blob.set(s.b.subarray(start, s.offsets[s.to]!), at);
  for (let i = s.from; i < s.to; i++, index++) {
    const old = s.offsets[i]!;
    const rel = old - start;
    const next = u16(s.b, old + l.next_offset);
    const packets = u64(s.b, old + l.counters);
    const bytes = u64(s.b, old + l.counters + 8);
    if (packets !== 0 || bytes !== 0) {
      counters[2 * index] = BigInt(packets);
      counters[2 * index + 1] = BigInt(bytes);
    }
    blob.fill(0, at + rel + l.comefrom, at + rel + l.comefrom + 4);
    blob.fill(0, at + rel + l.counters, at + rel + l.counters + 16);
    const v = standardVerdict(s.b, old, s.family);
    if (v === undefined || v < 0) continue;
    const verdictAt = at + rel + u16(s.b, old + l.target_offset) + EXT_HEADER;
    if (v === old + next) put32(blob, verdictAt, off + rel + next);
    else put32(blob, verdictAt, firstRule.get(s.firstRule.get(v)!)!);
  }
}
