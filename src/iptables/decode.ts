// The kernel's table blob (IPT_SO_GET_ENTRIES) -> typed chains and rules,
// the way libiptc reads it: a built-in chain starts at a hook entry and
// ends with its policy at the underflow; a user chain starts with an ERROR
// target naming it and ends with a RETURN; a last ERROR entry closes the
// table. Jumps are offsets, turned back into chain names here.
import { DecodeError } from '../nft/wire.js';
import { decoderFor, type Match } from './ext/index.js';
import type { DecodeContext } from './ext/ext.js';
import { setIndexOf } from './ext/set.js';
import { decodeRuleHeader } from './entry.js';
import type { Chain, Rule, TableData, TableName, Target } from './types.js';
import {
  CHAIN_NAME_LEN, EXT_HEADER, EXT_NAME_LEN, HOOK_NAMES, i32, layoutOf, readCString, STANDARD_TARGET_SIZE, u16, u64, type Family,
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
  /** Include each rule's counters (default true). */
  counters?: boolean;
}

const VERDICTS: Record<number, Target['name']> = { [-1]: 'DROP', [-2]: 'ACCEPT', [-4]: 'QUEUE', [-5]: 'RETURN' };

// "ERROR\0" at the target name.
function isErrorTarget(b: Uint8Array, t: number): boolean {
  return b[t + 2] === 0x45 && b[t + 3] === 0x52 && b[t + 4] === 0x52 && b[t + 5] === 0x4f && b[t + 6] === 0x52 && b[t + 7] === 0;
}

interface Layout {
  /** Offset of each chain's first rule -> its name (jump targets). */
  firstRule: Map<number, string>;
  /** Offsets where a chain starts: ERROR heads and hook entries. */
  starts: Set<number>;
  /** Offset of the closing ERROR entry. */
  end: number;
}

/** The entries' structure, checked: offsets inside the blob, sizes that add up. */
function scan(b: Uint8Array, info: TableInfo, family: Family): Layout {
  const l = layoutOf(family);
  const firstRule = new Map<number, string>();
  const starts = new Set<number>();
  for (let h = 0; h < 5; h++) {
    if ((info.validHooks & (1 << h)) === 0) continue;
    firstRule.set(info.hookEntry[h]!, HOOK_NAMES[h]!);
    starts.add(info.hookEntry[h]!);
  }
  let off = 0;
  let last = -1;
  let count = 0;
  while (off < info.size) {
    if (off + l.size + EXT_HEADER > info.size || off % 8 !== 0) throw new DecodeError(`entry at ${off} runs past the table`);
    const targetOffset = u16(b, off + l.target_offset);
    const next = u16(b, off + l.next_offset);
    if (next < l.size + EXT_HEADER || off + next > info.size || targetOffset < l.size || targetOffset + EXT_HEADER > next) {
      throw new DecodeError(`entry at ${off} has bad offsets (target ${targetOffset}, next ${next})`);
    }
    const t = off + targetOffset;
    const tsize = u16(b, t);
    if (tsize < EXT_HEADER || targetOffset + tsize > next) throw new DecodeError(`entry at ${off} has a bad target size`);
    if (off + next < info.size && isErrorTarget(b, t)) {
      firstRule.set(off + next, readCString(b, t + EXT_HEADER, CHAIN_NAME_LEN));
      starts.add(off);
    }
    last = off;
    off += next;
    count++;
  }
  if (off !== info.size || last < 0 || count !== info.numEntries) throw new DecodeError('entries do not add up to the table size');
  return { firstRule, starts, end: last };
}

function decodeExtension(b: Uint8Array, at: number, size: number, kind: 'match' | 'target', ctx: DecodeContext): Match | Target {
  const name = readCString(b, at + 2, EXT_NAME_LEN);
  const revision = b[at + 31]!;
  const decoder = decoderFor(kind, name);
  const typed = decoder?.decode(b, at + EXT_HEADER, size - EXT_HEADER, revision, ctx);
  if (typed !== undefined) return typed as Match | Target;
  return { name: 'raw', extension: name, revision, data: b.slice(at + EXT_HEADER, at + size) };
}

/** The target of an entry, or undefined for a rule that falls through (no -j). */
function decodeTarget(b: Uint8Array, off: number, t: number, next: number, layout: Layout, goto: boolean, ctx: DecodeContext): Target | undefined {
  const size = u16(b, t);
  if (b[t + 2] !== 0 || size !== STANDARD_TARGET_SIZE || b[t + 31] !== 0) return decodeExtension(b, t, size, 'target', ctx) as Target;
  const verdict = i32(b, t + EXT_HEADER);
  if (verdict >= 0) {
    if (verdict === off + next && !goto) return undefined;
    const chain = layout.firstRule.get(verdict);
    if (chain !== undefined) return { name: goto ? 'goto' : 'jump', chain };
  } else if (VERDICTS[verdict] !== undefined && !goto) {
    return { name: VERDICTS[verdict] } as Target;
  }
  return decodeExtension(b, t, size, 'target', ctx) as Target;
}

/** Decodes a table read from the kernel (its info and entries). Throws DecodeError for malformed bytes. */
export function decodeTable(name: TableName, family: Family, info: TableInfo, b: Uint8Array, ctx: DecodeContext,
  options: DecodeOptions = {}): TableData {
  const l = layoutOf(family);
  const layout = scan(b, info, family);
  const withCounters = options.counters !== false;
  const chains: Chain[] = [];
  const hookAt = new Map<number, number>();
  const policyAt = new Set<number>();
  for (let h = 0; h < 5; h++) {
    if ((info.validHooks & (1 << h)) === 0) continue;
    hookAt.set(info.hookEntry[h]!, h);
    policyAt.add(info.underflow[h]!);
  }
  let chain: Chain | undefined;
  let builtin = false;
  for (let off = 0; off < layout.end;) {
    const targetOffset = u16(b, off + l.target_offset);
    const next = u16(b, off + l.next_offset);
    const t = off + targetOffset;
    if (isErrorTarget(b, t)) {
      chain = { name: readCString(b, t + EXT_HEADER, CHAIN_NAME_LEN), rules: [] };
      chains.push(chain);
      builtin = false;
      off += next;
      continue;
    }
    const hook = hookAt.get(off);
    if (hook !== undefined) {
      chain = { name: HOOK_NAMES[hook]!, rules: [] };
      chains.push(chain);
      builtin = true;
    }
    if (chain === undefined) throw new DecodeError(`entry at ${off} is outside any chain`);
    if (builtin && policyAt.has(off)) {
      chain.policy = i32(b, t + EXT_HEADER) === -1 ? 'DROP' : 'ACCEPT';
      chain.counters = { packets: u64(b, off + l.counters), bytes: u64(b, off + l.counters + 8) };
    } else if (!builtin && (layout.starts.has(off + next) || off + next === layout.end) && isReturn(b, t)) {
      // a user chain's closing RETURN
    } else {
      chain.rules.push(decodeRule(b, off, targetOffset, next, family, layout, withCounters, ctx));
    }
    off += next;
  }
  return { name, family, chains };
}

function isReturn(b: Uint8Array, t: number): boolean {
  return b[t + 2] === 0 && u16(b, t) === STANDARD_TARGET_SIZE && i32(b, t + EXT_HEADER) === -5;
}

function decodeRule(b: Uint8Array, off: number, targetOffset: number, next: number, family: Family, layout: Layout,
  withCounters: boolean, ctx: DecodeContext): Rule {
  const l = layoutOf(family);
  const { rule, goto } = decodeRuleHeader(b, off, family, withCounters);
  let m = off + l.size;
  const end = off + targetOffset;
  if (m < end) {
    const matches: Match[] = [];
    while (m < end) {
      const size = u16(b, m);
      if (size < EXT_HEADER || m + size > end) throw new DecodeError(`entry at ${off} has a bad match size`);
      matches.push(decodeExtension(b, m, size, 'match', ctx) as Match);
      m += size;
    }
    rule.matches = matches;
  }
  const target = decodeTarget(b, off, end, next, layout, goto, ctx);
  if (target !== undefined) rule.target = target;
  return rule;
}

/** The ipset indexes the set matches of a blob refer to (to resolve their names before decoding). */
export function setIndexes(b: Uint8Array, size: number, family: Family): number[] {
  const l = layoutOf(family);
  const found = new Set<number>();
  for (let off = 0; off + l.size <= size;) {
    const targetOffset = u16(b, off + l.target_offset);
    const next = u16(b, off + l.next_offset);
    if (next === 0) break;
    for (let m = off + l.size; m + EXT_HEADER <= off + targetOffset;) {
      const msize = u16(b, m);
      if (msize < EXT_HEADER) break;
      if (b[m + 2] === 0x73 && b[m + 3] === 0x65 && b[m + 4] === 0x74 && b[m + 5] === 0) {
        const index = setIndexOf(b, m + EXT_HEADER, b[m + 31]!);
        if (index !== undefined) found.add(index);
      }
      m += msize;
    }
    off += next;
  }
  return [...found];
}
