// Checks a whole table before anything is encoded or sent: chain names and
// policies, every rule's header, matches and target, jumps to chains that
// exist, no jump loops, entries that fit the kernel's 16-bit offsets.
// Throws TypeError/RangeError naming the chain and rule.
import { checkRuleHeader } from './entry.js';
import { ruleSize } from './encode.js';
import { JumpIndex, LazyChain, STRAY } from './lazy.js';
import { knownTargets, matchCodec, targetCodec, type Match } from './ext/index.js';
import { BUILTIN_CHAINS, TABLE_NAMES, type Chain, type Counters, type Rule, type TableData, type Target } from './types.js';
import type { Family } from './wire.js';

const VERDICTS: ReadonlySet<string> = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE']);
/** XT_EXTENSION_MAXNAMELEN - 1: what iptables-restore allows for a chain name. */
export const MAX_CHAIN_NAME = 28;

let targetSet: Set<string> | undefined;
const targetNames = (): Set<string> => (targetSet ??= new Set(knownTargets()));

/** Why `name` cannot be a user chain's name, or undefined. */
export function chainNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'must be a non-empty string';
  if (Buffer.byteLength(name, 'utf8') > MAX_CHAIN_NAME) return `is longer than ${MAX_CHAIN_NAME} bytes`;
  if (name.startsWith('-') || name.startsWith('!')) return `may not start with \`${name[0]}'`;
  if (/\s|\0/.test(name)) return 'may not contain whitespace';
  if (VERDICTS.has(name) || targetNames().has(name) || name === 'ERROR') return 'may not clash with a target name';
  return undefined;
}

function checkCounters(c: unknown, what: string): void {
  if (c === undefined) return;
  const x = c as Counters;
  if (typeof c !== 'object' || c === null || !Number.isSafeInteger(x.packets) || !Number.isSafeInteger(x.bytes) || x.packets < 0 || x.bytes < 0) {
    throw new TypeError(`${what}.counters must be { packets, bytes } of non-negative integers`);
  }
}

function checkRaw(v: { extension?: unknown; revision?: unknown; data?: unknown }, what: string): void {
  // The kernel finds extensions by these names: letters, digits, _ . - (no kernel extension has other characters).
  if (typeof v.extension !== 'string' || !/^[A-Za-z0-9_.-]{1,28}$/.test(v.extension)) throw new TypeError(`${what}.extension must be an extension name of at most 28 letters, digits, _ . -`);
  if (typeof v.revision !== 'number' || !Number.isInteger(v.revision) || v.revision < 0 || v.revision > 255) throw new RangeError(`${what}.revision must be 0..255`);
  if (!(v.data instanceof Uint8Array) || v.data.length % 8 !== 0) throw new TypeError(`${what}.data must be a Uint8Array whose length is a multiple of 8`);
}

function checkMatch(m: Match, family: Family, what: string): void {
  if (typeof m !== 'object' || m === null) throw new TypeError(`${what} must be an object`);
  if (m.name === 'raw') return checkRaw(m, what);
  const codec = matchCodec(m.name);
  if (codec === undefined) throw new TypeError(`${what}: unknown match ${JSON.stringify(m.name)} (use { name: 'raw', ... } for others)`);
  codec.check(m, family, what);
}

/** Checks a target; for a jump or goto, returns the position of the chain it lands on (else -1). */
function checkTarget(t: Target, family: Family, chains: Chains, what: string): number {
  if (typeof t !== 'object' || t === null) throw new TypeError(`${what} must be an object`);
  if (VERDICTS.has(t.name)) return -1;
  if (t.name === 'jump' || t.name === 'goto') {
    const i = chains.index.get((t as { chain: string }).chain);
    const target = i === undefined ? undefined : chains.list[i];
    if (target === undefined) throw new TypeError(`${what}: no chain ${JSON.stringify((t as { chain: string }).chain)} to ${t.name} to`);
    if (target.policy !== undefined) throw new TypeError(`${what}: cannot ${t.name} to the built-in chain ${target.name}`);
    return i!;
  }
  if (t.name === 'raw') {
    // A standard target that is neither a verdict nor a jump to a chain's start (read from a foreign blob):
    // its offset would not survive the new layout.
    if (t.extension === '' || t.extension === 'ERROR') throw new TypeError(`${what}: a raw ${t.extension === '' ? 'standard' : 'ERROR'} target cannot be written`);
    checkRaw(t, what);
    return -1;
  }
  const codec = targetCodec(t.name);
  if (codec === undefined) throw new TypeError(`${what}: unknown target ${JSON.stringify(t.name)} (use { name: 'raw', ... } for others)`);
  codec.check(t, family, what);
  return -1;
}

/** The chains of a table and their positions by name. */
export interface Chains {
  list: readonly Chain[];
  index: Map<string, number>;
}

function hasRaw(matches: readonly Match[]): boolean {
  for (let i = 0; i < matches.length; i++) if (matches[i]!.name === 'raw') return true;
  return false;
}

/** Checks a rule; returns the position of the chain it jumps or goes to, else -1. */
function checkRule(r: Rule, family: Family, chains: Chains, what: string): number {
  if (typeof r !== 'object' || r === null) throw new TypeError(`${what} must be an object`);
  checkRuleHeader(r, family, what);
  const matches = r.matches;
  if (matches !== undefined) {
    if (!Array.isArray(matches)) throw new TypeError(`${what}.matches must be an array`);
    for (let i = 0; i < matches.length; i++) checkMatch(matches[i]!, family, what === '' ? '' : `${what}.matches[${i}]`);
  }
  const to = r.target !== undefined ? checkTarget(r.target, family, chains, `${what}.target`) : -1;
  if (r.counters !== undefined) checkCounters(r.counters, what);
  // Only a rule with many matches (at most 320 bytes each) or raw data can pass 64 KiB: size only those.
  if (matches !== undefined && (matches.length > 150 || hasRaw(matches) || r.target?.name === 'raw') && ruleSize(r, family) > 0xffff) {
    throw new RangeError(`${what} is larger than the kernel's 64 KiB per rule`);
  }
  return to;
}

/** Throws RangeError when jumps go round in a loop (the kernel would refuse it with ELOOP). */
function checkLoops(table: TableData, checked: TableCheck, jumps: JumpIndex): void {
  // The edges of every chain, one chain after the other: chain i's are edges[from[i]] .. edges[from[i + 1] - 1].
  const n = table.chains.length;
  const from = new Int32Array(n + 1);
  const edges: number[] = [];
  for (let ci = 0; ci < n; ci++) {
    from[ci] = edges.length;
    const c = table.chains[ci]!;
    const s = c instanceof LazyChain ? c.source : undefined;
    if (s === undefined) {
      const first = checked.first[ci]!;
      for (let i = first; i < first + c.rules.length; i++) if (checked.jumps[i]! >= 0) edges.push(checked.jumps[i]!);
      continue;
    }
    const targets = s.table.targets();
    const at = jumps.of(s.table);
    for (let i = s.from; i < s.to; i++) if (targets[i]! >= 0) edges.push(at[targets[i]!]!);
  }
  from[n] = edges.length;
  // Iterative depth-first search: 0 unseen, 1 on the path, 2 done.
  const state = new Uint8Array(table.chains.length);
  const next = new Uint32Array(table.chains.length);
  const path: number[] = [];
  for (let root = 0; root < state.length; root++) {
    if (state[root] !== 0) continue;
    path.push(root);
    state[root] = 1;
    while (path.length > 0) {
      const at = path[path.length - 1]!;
      if (next[at]! < from[at + 1]! - from[at]!) {
        const to = edges[from[at]! + next[at]++]!;
        if (state[to] === 1) {
          const loop = [...path.slice(path.indexOf(to)), to].map((i) => table.chains[i]!.name);
          throw new RangeError(`jump loop: ${loop.join(' -> ')}`);
        }
        if (state[to] === 0) {
          state[to] = 1;
          path.push(to);
        }
      } else {
        state[at] = 2;
        path.pop();
      }
    }
  }
}

/**
 * A table whose chains passed checkChains, for checking (checkTypedRule,
 * checkNoLoops) and encoding: the chains by name, and where every jump of
 * a typed rule lands once that rule is checked.
 */
export interface TableCheck {
  chains: Chains;
  /** Where the jumps of unread chains land, per read. */
  unread: JumpIndex;
  /** For every rule of the typed chains, one chain after the other: the position in `chains` of the chain it jumps or goes to, or -1. */
  jumps: Int32Array;
  /** For each position in `chains`, where its rules start in `jumps` (-1 for an unread chain). */
  first: Int32Array;
  /** False until every typed rule was checked (checkTypedRule) and loops ruled out (checkNoLoops). */
  done: boolean;
}

/** Checks a typed rule of chain position `ci` (its `ri`-th), and where it jumps. */
export function checkTypedRule(check: TableCheck, ci: number, ri: number, r: Rule, family: Family): void {
  // Checked first without naming where (no strings built for half a million rules); a rule that
  // fails is checked again with its name, for the message.
  try {
    check.jumps[check.first[ci]! + ri] = checkRule(r, family, check.chains, '');
  } catch {
    const name = check.chains.list[ci]!.name;
    checkRule(r, family, check.chains, `chain ${name} rule ${ri + 1}`);
    throw new Error(`chain ${name} rule ${ri + 1}: check failed without a message`);
  }
}

/** Throws RangeError when jumps go round in a loop (once every typed rule was checked). */
export function checkNoLoops(table: TableData, check: TableCheck): void {
  checkLoops(table, check, check.unread);
  check.done = true;
}

/**
 * Checks what is not in the typed rules: the table's name and family, the
 * chains' names and policies, the built-in chains, where the jumps of
 * unread chains land.
 */
export function checkChains(table: TableData): TableCheck {
  if (typeof table !== 'object' || table === null) throw new TypeError('table must be an object');
  if (!TABLE_NAMES.includes(table.name)) throw new TypeError(`table must be one of ${TABLE_NAMES.join(', ')}`);
  if (table.family !== 4 && table.family !== 6) throw new TypeError('family must be 4 or 6');
  if (!Array.isArray(table.chains)) throw new TypeError('chains must be an array');
  const builtins: readonly string[] = BUILTIN_CHAINS[table.name];
  const chains: Chains = { list: table.chains, index: new Map() };
  table.chains.forEach((c, i) => {
    if (typeof c !== 'object' || c === null || !(c instanceof LazyChain || Array.isArray(c.rules))) throw new TypeError(`chains[${i}] must be { name, rules: [...] }`);
    if (chains.index.has(c.name)) throw new TypeError(`chain ${JSON.stringify(c.name)} appears twice`);
    if (builtins.includes(c.name)) {
      if (c.policy !== 'ACCEPT' && c.policy !== 'DROP') throw new TypeError(`chain ${c.name}: a built-in chain needs policy 'ACCEPT' or 'DROP'`);
    } else {
      const problem = chainNameProblem(c.name);
      if (problem !== undefined) throw new TypeError(`chains[${i}]: chain name ${JSON.stringify(c.name)} ${problem}`);
      if (c.policy !== undefined) throw new TypeError(`chain ${c.name}: only the built-in chains of ${table.name} (${builtins.join(', ')}) have a policy`);
    }
    if (c.counters !== undefined) checkCounters(c.counters, `chain ${c.name}`);
    chains.index.set(c.name, i);
  });
  const missing = builtins.filter((b) => !chains.index.has(b));
  if (missing.length > 0) throw new TypeError(`the ${table.name} table needs its built-in chains: missing ${missing.join(', ')}`);
  const jumps = new JumpIndex(table.chains);
  let typed = 0;
  const first = new Int32Array(table.chains.length).fill(-1);
  table.chains.forEach((c, ci) => {
    if (c instanceof LazyChain && c.source !== undefined) return;
    first[ci] = typed;
    typed += c.rules.length;
  });
  const check: TableCheck = { chains, unread: jumps, jumps: new Int32Array(typed), first, done: false };
  for (let ci = 0; ci < table.chains.length; ci++) {
    const c = table.chains[ci]!;
    const source = c instanceof LazyChain ? c.source : undefined;
    if (source === undefined) continue;
    // Unread since read from the kernel: written back as it is; only where it jumps is checked.
    const targets = source.table.targets();
    const at = jumps.of(source.table);
    for (let i = source.from; i < source.to; i++) {
      const t = targets[i]!;
      if (t === STRAY) throw new TypeError(`chain ${c.name}: a jump into the middle of a chain (as read) cannot be written`);
      if (t < 0) continue;
      const to = at[t]!;
      if (to < 0) throw new TypeError(`chain ${c.name}: no chain ${JSON.stringify(source.table.names[t])} to jump to`);
      if (chains.list[to]!.policy !== undefined) throw new TypeError(`chain ${c.name}: cannot jump to the built-in chain ${chains.list[to]!.name}`);
    }
  }
  return check;
}

/** Validates a table; throws TypeError/RangeError for the first problem. */
export function validateTable(table: TableData): TableCheck {
  const check = checkChains(table);
  checkRules(table, check);
  return check;
}

/** Checks every typed rule and the jumps for loops, after checkChains (what validateTable adds to it). */
export function checkRules(table: TableData, check: TableCheck): void {
  for (let ci = 0; ci < table.chains.length; ci++) {
    if (check.first[ci]! < 0) continue;
    const rules = table.chains[ci]!.rules;
    for (let ri = 0; ri < rules.length; ri++) checkTypedRule(check, ci, ri, rules[ri]!, table.family);
  }
  checkNoLoops(table, check);
}
