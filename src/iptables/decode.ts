// The kernel's table blob (IPT_SO_GET_ENTRIES) -> typed chains and rules,
// the way libiptc reads it: a built-in chain starts at a hook entry and
// ends with its policy at the underflow; a user chain starts with an ERROR
// target naming it and ends with a RETURN; a last ERROR entry closes the
// table. Jumps are offsets, turned back into chain names here.
//
// Hot on large tables (half a million entries): one pass checks and
// classifies the entries into typed arrays, a second builds the objects.
// Verdicts and option-less tcp/udp matches are shared, frozen objects;
// counters are only set when non-zero.
import { DecodeError } from '../nft/wire.js';
import { matchCodec, matchDecoder, targetCodec, targetDecoder, type Match } from './ext/index.js';
import type { DecodeContext, EncodeContext } from './ext/ext.js';
import { setIndexOf } from './ext/set.js';
import { decodeRuleHeader } from './entry.js';
import type { Chain, JumpTarget, Rule, TableData, TableName, Target } from './types.js';
import { LazyChain, TableSource, type ChainSource } from './lazy.js';
import {
  align8, CHAIN_NAME_LEN, EXT_HEADER, EXT_NAME_LEN, HOOK_NAMES, i32, layoutOf, readCString, STANDARD_TARGET_SIZE, u16, type Family,
} from './wire.js';

/** The kernel's struct ipt_getinfo, less the name. */
export interface TableInfo {
  validHooks: number;
  hookEntry: number[];
  underflow: number[];
  numEntries: number;
  size: number;
}

export interface DecodeOptions {
  /** Include each rule's counters (default true; they are only set when non-zero). */
  counters?: boolean;
  /** Decode each chain's rules when first read (LazyChain; default true), or all now. */
  lazy?: boolean;
  /** The generation the blob was read at (kept with the unread chains, for carrying their counters). */
  generation?: bigint;
}

const RULE = 0;
const HEAD = 1;
const POLICY = 2;
const RETURN = 3;
const END = 4;
const HOOK_START = 8; // flag: the entry is a hook entry (a built-in chain starts here)

const VERDICTS = new Map<number, Target>([[-1, 'DROP'], [-2, 'ACCEPT'], [-4, 'QUEUE'], [-5, 'RETURN']]
  .map(([v, name]) => [v as number, Object.freeze({ name }) as Target]));

// "ERROR\0" at the target name.
function isErrorTarget(b: Uint8Array, t: number): boolean {
  return b[t + 2] === 0x45 && b[t + 3] === 0x52 && b[t + 4] === 0x52 && b[t + 5] === 0x4f && b[t + 6] === 0x52 && b[t + 7] === 0;
}

function isReturn(b: Uint8Array, t: number): boolean {
  return b[t + 2] === 0 && u16(b, t) === STANDARD_TARGET_SIZE && i32(b, t + EXT_HEADER) === -5;
}

/** A blob's structure, checked: what scanTable() found. */
export interface Layout {
  offsets: Uint32Array;
  kinds: Uint8Array;
  /** The names jumps can land on (one per chain start), by ordinal. */
  names: string[];
  /** Offset of each chain's first rule -> the ordinal of its name (jump targets). */
  starts: Map<number, number>;
  /** The ordinal of each built-in chain's name, by hook. */
  hookNames: number[];
  /** The ipset indexes the set matches refer to. */
  sets: number[];
}

/** Checks the entries' structure and classifies each (rule, chain head, policy, closing RETURN, end). */
export function scanTable(b: Uint8Array, info: TableInfo, family: Family): Layout {
  const l = layoutOf(family);
  const n = info.numEntries;
  if (!Number.isInteger(n) || n < 1 || n * (l.size + EXT_HEADER) > info.size) throw new DecodeError('entry count does not fit the table size');
  const offsets = new Uint32Array(n);
  const kinds = new Uint8Array(n);
  const names: string[] = [];
  const starts = new Map<number, number>();
  const hookNames: number[] = [];
  const sets = new Set<number>();
  const hooks: number[] = [];
  const policies: number[] = [];
  for (let h = 0; h < 5; h++) {
    if ((info.validHooks & (1 << h)) === 0) continue;
    hooks.push(info.hookEntry[h]!);
    policies.push(info.underflow[h]!);
    hookNames[h] = names.length;
    starts.set(info.hookEntry[h]!, names.length);
    names.push(HOOK_NAMES[h]!);
  }
  let off = 0;
  let i = 0;
  let user = false;
  for (; off < info.size; i++) {
    if (i >= n || off + l.size + EXT_HEADER > info.size || off % 8 !== 0) throw new DecodeError(`entry at ${off} runs past the table`);
    const targetOffset = u16(b, off + l.target_offset);
    const next = u16(b, off + l.next_offset);
    if (next < l.size + EXT_HEADER || off + next > info.size || targetOffset < l.size || targetOffset + EXT_HEADER > next) {
      throw new DecodeError(`entry at ${off} has bad offsets (target ${targetOffset}, next ${next})`);
    }
    const t = off + targetOffset;
    const tsize = u16(b, t);
    if (tsize < EXT_HEADER || targetOffset + tsize > next) throw new DecodeError(`entry at ${off} has a bad target size`);
    for (let m = off + l.size; m < t;) {
      const msize = u16(b, m);
      if (msize < EXT_HEADER || m + msize > t) throw new DecodeError(`entry at ${off} has a bad match size`);
      // "set\0": an ipset match, whose set's name get() looks up before anything is decoded.
      if (b[m + 2] === 0x73 && b[m + 3] === 0x65 && b[m + 4] === 0x74 && b[m + 5] === 0) {
        const index = msize >= EXT_HEADER + 2 ? setIndexOf(b, m + EXT_HEADER, b[m + 31]!) : undefined;
        if (index !== undefined) sets.add(index);
      }
      m += msize;
    }
    offsets[i] = off;
    const last = off + next === info.size;
    const hook = hooks.includes(off);
    let kind = RULE;
    if (last) kind = END;
    else if (isErrorTarget(b, t)) kind = HEAD;
    else if (policies.includes(off)) kind = POLICY;
    // The entry before a chain start (or the end) closes a user chain with a RETURN.
    if ((kind === HEAD || kind === END || hook) && user && i > 0 && kinds[i - 1] === RULE && isReturn(b, offsets[i - 1]! + u16(b, offsets[i - 1]! + l.target_offset))) {
      kinds[i - 1] = RETURN;
    }
    if (kind === HEAD) {
      starts.set(off + next, names.length);
      names.push(readCString(b, t + EXT_HEADER, CHAIN_NAME_LEN));
      user = true;
    }
    if (hook) user = false;
    kinds[i] = kind | (hook ? HOOK_START : 0);
    off += next;
  }
  if (off !== info.size || i !== n) throw new DecodeError('entries do not add up to the table size');
  return { offsets, kinds, names, starts, hookNames, sets: [...sets] };
}

/** Recently seen extension names, compared byte for byte, so each is one string. */
class NameCache {
  readonly #bytes: Uint8Array[] = [];
  readonly #names: string[] = [];

  get(b: Uint8Array, at: number): string {
    let len = 0;
    while (len < EXT_NAME_LEN && b[at + len] !== 0) len++;
    outer: for (let k = 0; k < this.#bytes.length; k++) {
      const c = this.#bytes[k]!;
      if (c.length !== len) continue;
      for (let j = 0; j < len; j++) if (c[j] !== b[at + j]) continue outer;
      return this.#names[k]!;
    }
    const name = readCString(b, at, EXT_NAME_LEN);
    if (this.#bytes.length < 64) {
      this.#bytes.push(b.slice(at, at + len));
      this.#names.push(name);
    }
    return name;
  }
}

class Decoder {
  readonly names = new NameCache();
  scratch = new Uint8Array(512);
  readonly encodeCtx: EncodeContext;

  constructor(readonly b: Uint8Array, readonly family: Family, readonly layout: Layout, readonly ctx: DecodeContext, readonly counters: boolean) {
    this.encodeCtx = { family, setIndex: ctx.setIndex };
  }

  extension(at: number, size: number, kind: 'match' | 'target'): Match | Target {
    const b = this.b;
    const name = this.names.get(b, at + 2);
    const revision = b[at + 31]!;
    const decoder = kind === 'match' ? matchDecoder(name) : targetDecoder(name);
    const typed = decoder?.decode(b, at + EXT_HEADER, size - EXT_HEADER, revision, this.ctx) as Match | Target | undefined;
    if (typed !== undefined && this.reencodes(typed, kind, at, size)) return typed;
    return { name: 'raw', extension: name, revision, data: b.slice(at + EXT_HEADER, at + size) };
  }

  /**
   * Whether the typed form writes back the very bytes it was read from (name,
   * revision, size and data): anything it cannot represent is kept raw, so a
   * rule read and written again is never changed.
   */
  reencodes(v: Match | Target, kind: 'match' | 'target', at: number, size: number): boolean {
    const codec = kind === 'match' ? matchCodec(v.name) : targetCodec(v.name);
    if (codec === undefined) return false;
    const wire = codec.wire(v, this.family);
    if (EXT_HEADER + align8(wire.size) !== size || this.b[at + 31] !== wire.revision) return false;
    const len = size - EXT_HEADER;
    if (this.scratch.length < len) this.scratch = new Uint8Array(Math.max(len, 2 * this.scratch.length));
    const s = this.scratch;
    s.fill(0, 0, len);
    try {
      codec.encode(v, s, 0, this.encodeCtx);
    } catch {
      return false;
    }
    const b = this.b;
    const from = at + EXT_HEADER;
    for (let i = 0; i < len; i++) if (s[i] !== b[from + i]) return false;
    return this.names.get(b, at + 2) === wire.kernel;
  }

  /** The target of an entry, or undefined for a rule that falls through (no -j). */
  target(off: number, t: number, next: number, goto: boolean): Target | undefined {
    const b = this.b;
    const size = u16(b, t);
    if (b[t + 2] !== 0 || size !== STANDARD_TARGET_SIZE || b[t + 31] !== 0) return this.extension(t, size, 'target') as Target;
    const verdict = i32(b, t + EXT_HEADER);
    if (verdict >= 0) {
      if (verdict === off + next && !goto) return undefined;
      const ord = this.layout.starts.get(verdict);
      if (ord !== undefined) return { name: goto ? 'goto' : 'jump', chain: this.layout.names[ord]! } as JumpTarget;
    } else if (!goto) {
      const v = VERDICTS.get(verdict);
      if (v !== undefined) return v;
    }
    return this.extension(t, size, 'target') as Target;
  }

  rule(off: number): Rule {
    const b = this.b;
    const l = layoutOf(this.family);
    const targetOffset = u16(b, off + l.target_offset);
    const next = u16(b, off + l.next_offset);
    const { rule, goto } = decodeRuleHeader(b, off, this.family, this.counters);
    const end = off + targetOffset;
    let m = off + l.size;
    if (m < end) {
      const matches: Match[] = [];
      while (m < end) {
        const size = u16(b, m);
        if (size < EXT_HEADER || m + size > end) throw new DecodeError(`entry at ${off} has a bad match size`);
        matches.push(this.extension(m, size, 'match') as Match);
        m += size;
      }
      rule.matches = matches;
    }
    const target = this.target(off, end, next, goto);
    if (target !== undefined) rule.target = target;
    return rule;
  }
}

/**
 * Decodes a table read from the kernel (its info and entries). The
 * structure is checked now (DecodeError for malformed bytes); with `lazy`
 * (the default) each chain's rules are decoded when first read.
 */
export function decodeTable(name: TableName, family: Family, info: TableInfo, b: Uint8Array, ctx: DecodeContext,
  options: DecodeOptions = {}, scanned?: Layout): TableData {
  const l = layoutOf(family);
  const layout = scanned ?? scanTable(b, info, family);
  const d = new Decoder(b, family, layout, ctx, options.counters !== false);
  const { offsets, kinds, names } = layout;
  const source = new TableSource(b, family, offsets, names, layout.starts, (off: number): Rule => d.rule(off), options.generation);
  const chains: Chain[] = [];
  let chain: LazyChain | undefined;
  let open: ChainSource | undefined;
  const start = (ordinal: number, at: number, from: number): void => {
    // A chain that did not end with its policy or RETURN (only a foreign writer leaves one) ends at entry `at`.
    if (open !== undefined) open.to = at;
    open = { table: source, ordinal, from, to: from, closed: false };
    // The same string the jumps to this chain use (read once, in scan).
    chain = new LazyChain(names[ordinal]!, open);
    chains.push(chain);
  };
  for (let i = 0; i < offsets.length; i++) {
    const off = offsets[i]!;
    const kind = kinds[i]! & 7;
    if (kind === END) {
      if (open !== undefined) open.to = i;
      break;
    }
    if (kind === HEAD) {
      start(layout.starts.get(off + u16(b, off + l.next_offset))!, i, i + 1);
      continue;
    }
    if (kinds[i]! & HOOK_START) {
      let h = 0;
      while (!(info.validHooks & (1 << h) && info.hookEntry[h] === off)) h++;
      start(layout.hookNames[h]!, i, i);
    }
    if (chain === undefined || open === undefined) throw new DecodeError(`entry at ${off} is outside any chain`);
    if (kind === POLICY || kind === RETURN) {
      open.to = i;
      open.closed = true;
      if (kind === POLICY) {
        const t = off + u16(b, off + l.target_offset);
        chain.policy = i32(b, t + EXT_HEADER) === -1 ? 'DROP' : 'ACCEPT';
        if (d.counters) chain.counters = decodeRuleHeader(b, off, family, true).rule.counters ?? { packets: 0, bytes: 0 };
      }
      chain = undefined;
      open = undefined;
    }
  }
  if (options.lazy === false) for (const c of chains) void c.rules;
  return { name, family, chains };
}
