// Checks a whole table before anything is encoded or sent: chain names and
// policies, every rule's header, matches and target, jumps to chains that
// exist, no jump loops, entries that fit the kernel's 16-bit offsets.
// Throws TypeError/RangeError naming the chain and rule.
import { checkRuleHeader } from './entry.js';
import { ruleSize } from './encode.js';
import { knownTargets, matchCodec, targetCodec, type Match } from './ext/index.js';
import { BUILTIN_CHAINS, TABLE_NAMES, type Chain, type Counters, type Rule, type TableData, type Target } from './types.js';
import type { Family } from './wire.js';

const VERDICTS = ['ACCEPT', 'DROP', 'RETURN', 'QUEUE'];
/** XT_EXTENSION_MAXNAMELEN - 1: what iptables-restore allows for a chain name. */
export const MAX_CHAIN_NAME = 28;

/** Why `name` cannot be a user chain's name, or undefined. */
export function chainNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'must be a non-empty string';
  if (Buffer.byteLength(name, 'utf8') > MAX_CHAIN_NAME) return `is longer than ${MAX_CHAIN_NAME} bytes`;
  if (name.startsWith('-') || name.startsWith('!')) return `may not start with \`${name[0]}'`;
  if (/\s|\0/.test(name)) return 'may not contain whitespace';
  if (VERDICTS.includes(name) || knownTargets().includes(name) || name === 'ERROR') return 'may not clash with a target name';
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

function checkTarget(t: Target, family: Family, chains: Map<string, Chain>, what: string): void {
  if (typeof t !== 'object' || t === null) throw new TypeError(`${what} must be an object`);
  if (VERDICTS.includes(t.name)) return;
  if (t.name === 'jump' || t.name === 'goto') {
    const target = chains.get((t as { chain: string }).chain);
    if (target === undefined) throw new TypeError(`${what}: no chain ${JSON.stringify((t as { chain: string }).chain)} to ${t.name} to`);
    if (target.policy !== undefined) throw new TypeError(`${what}: cannot ${t.name} to the built-in chain ${target.name}`);
    return;
  }
  if (t.name === 'raw') {
    // A standard target that is neither a verdict nor a jump to a chain's start (read from a foreign blob):
    // its offset would not survive the new layout.
    if (t.extension === '' || t.extension === 'ERROR') throw new TypeError(`${what}: a raw ${t.extension === '' ? 'standard' : 'ERROR'} target cannot be written`);
    return checkRaw(t, what);
  }
  const codec = targetCodec(t.name);
  if (codec === undefined) throw new TypeError(`${what}: unknown target ${JSON.stringify(t.name)} (use { name: 'raw', ... } for others)`);
  codec.check(t, family, what);
}

function checkRule(r: Rule, family: Family, chains: Map<string, Chain>, what: string): void {
  if (typeof r !== 'object' || r === null) throw new TypeError(`${what} must be an object`);
  checkRuleHeader(r, family, what);
  if (r.matches !== undefined) {
    if (!Array.isArray(r.matches)) throw new TypeError(`${what}.matches must be an array`);
    r.matches.forEach((m, i) => checkMatch(m, family, `${what}.matches[${i}]`));
  }
  if (r.target !== undefined) checkTarget(r.target, family, chains, `${what}.target`);
  checkCounters(r.counters, what);
  if (ruleSize(r, family) > 0xffff) throw new RangeError(`${what} is larger than the kernel's 64 KiB per rule`);
}

/** Throws RangeError when jumps go round in a loop (the kernel would refuse it with ELOOP). */
function checkLoops(table: TableData): void {
  const edges = new Map<string, string[]>();
  for (const c of table.chains) {
    edges.set(c.name, c.rules.flatMap((r) => (r.target?.name === 'jump' || r.target?.name === 'goto' ? [(r.target as { chain: string }).chain] : [])));
  }
  const state = new Map<string, 1 | 2>();
  const path: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 1);
    path.push(name);
    for (const next of edges.get(name) ?? []) {
      const s = state.get(next);
      if (s === 1) throw new RangeError(`jump loop: ${[...path.slice(path.indexOf(next)), next].join(' -> ')}`);
      if (s === undefined) visit(next);
    }
    path.pop();
    state.set(name, 2);
  };
  for (const c of table.chains) if (!state.has(c.name)) visit(c.name);
}

/** Validates a table; throws TypeError/RangeError for the first problem. */
export function validateTable(table: TableData): void {
  if (typeof table !== 'object' || table === null) throw new TypeError('table must be an object');
  if (!TABLE_NAMES.includes(table.name)) throw new TypeError(`table must be one of ${TABLE_NAMES.join(', ')}`);
  if (table.family !== 4 && table.family !== 6) throw new TypeError('family must be 4 or 6');
  if (!Array.isArray(table.chains)) throw new TypeError('chains must be an array');
  const builtins: readonly string[] = BUILTIN_CHAINS[table.name];
  const chains = new Map<string, Chain>();
  table.chains.forEach((c, i) => {
    if (typeof c !== 'object' || c === null || !Array.isArray(c.rules)) throw new TypeError(`chains[${i}] must be { name, rules: [...] }`);
    if (chains.has(c.name)) throw new TypeError(`chain ${JSON.stringify(c.name)} appears twice`);
    if (builtins.includes(c.name)) {
      if (c.policy !== 'ACCEPT' && c.policy !== 'DROP') throw new TypeError(`chain ${c.name}: a built-in chain needs policy 'ACCEPT' or 'DROP'`);
    } else {
      const problem = chainNameProblem(c.name);
      if (problem !== undefined) throw new TypeError(`chains[${i}]: chain name ${JSON.stringify(c.name)} ${problem}`);
      if (c.policy !== undefined) throw new TypeError(`chain ${c.name}: only the built-in chains of ${table.name} (${builtins.join(', ')}) have a policy`);
    }
    checkCounters(c.counters, `chain ${c.name}`);
    chains.set(c.name, c);
  });
  const missing = builtins.filter((b) => !chains.has(b));
  if (missing.length > 0) throw new TypeError(`the ${table.name} table needs its built-in chains: missing ${missing.join(', ')}`);
  for (const c of table.chains) c.rules.forEach((r, i) => checkRule(r, table.family, chains, `chain ${c.name} rule ${i + 1}`));
  checkLoops(table);
}
