// nft syntax from decoded objects, laid out as `nft list ruleset` prints
// them. Rules are rebuilt into nft's statements the way nft does it
// (print/rule.ts: each expression reads itself back, loads become named
// fields, implied protocol matches are left out); sets and maps print their
// elements merged and sorted as nft lists them (print/sets.ts); objects,
// chains and flowtables print their declarations.
import type { Chain } from './chain.js';
import { printDevices } from './devices.js';
import type { Family } from './enums.js';
import type { Verdict } from './expr/data.js';
import type { Flowtable } from './flowtable.js';
import type { NamedObject } from './object.js';
import { objectText } from './print/objects.js';
import { exprText, verdictText, type Out } from './print/ast.js';
import { ruleText, type RuleContext } from './print/rule.js';
import { setDeclaration } from './print/setdecl.js';
import { timeText, type PrintEnv } from './print/value.js';
import type { Rule } from './rule.js';
import type { RulesetData } from './ruleset.js';
import { setFlagBits, setUserdata, type NftSet } from './set.js';
import type { Table } from './table.js';

/** NFT_CHAIN_BINDING: a chain that belongs to the rule that jumps to it (`jump { ... }`). */
const CHAIN_BINDING = 4;

export function printVerdict(v: Verdict): string {
  return verdictText(v);
}

/** A time in ms as nft prints it: `1d2h3m4s5ms` (0 prints as 0s). */
export function formatTime(ms: number): string {
  return ms === 0 ? '0s' : timeText(ms);
}

/** What a printout needs from outside the ruleset. */
export interface PrintOptions {
  /** Interface names by index, for `meta iif "eth0"` (else the index prints as a number). */
  interfaces?: ReadonlyMap<number, string>;
}

function envOf(o: PrintOptions): PrintEnv {
  const names = o.interfaces;
  return names !== undefined ? { ifname: (i) => names.get(i) } : {};
}

function ruleContext(rule: Pick<Rule, 'family' | 'table'>, sets: (name: string) => NftSet | undefined, env: PrintEnv = {},
  boundChain?: (name: string) => Rule[] | undefined): RuleContext {
  return { family: rule.family, table: rule.table, sets, env, ...(boundChain !== undefined ? { boundChain } : {}) };
}

/** Prints a rule's expressions as nft statements. */
export function printExpressions(rule: Rule, sets: (name: string) => NftSet | undefined = () => undefined, options: PrintOptions = {}): string {
  const env = envOf(options);
  return ruleText(rule, ruleContext(rule, sets, env), { env });
}

/** A rule as `nft list` prints it (with its comment). */
export function printRule(r: Rule, sets?: (name: string) => NftSet | undefined, options: PrintOptions = {}): string {
  const body = printExpressions(r, sets, options);
  return r.comment !== undefined ? `${body} comment "${r.comment}"` : body;
}

// nft's named priorities, in the order it tries them, and where each name
// applies: a priority within 10 of the first name near it prints as that name
// (`filter + 5`) when the name fits the family and hook, else as a number.
const STD_PRIOS: [number, string][] = [[-300, 'raw'], [-150, 'mangle'], [-100, 'dstnat'], [0, 'filter'], [50, 'security'], [100, 'srcnat']];
const BRIDGE_PRIOS: [number, string][] = [[-300, 'dstnat'], [-200, 'filter'], [100, 'out'], [300, 'srcnat']];

function priorityFits(name: string, family: Family, hook: string | undefined): boolean {
  if (family === 'bridge') {
    return name === 'filter' || (name === 'dstnat' && hook === 'prerouting') || (name === 'out' && hook === 'output') || (name === 'srcnat' && hook === 'postrouting');
  }
  const inet = family === 'ip' || family === 'ip6' || family === 'inet';
  switch (name) {
    case 'filter': return inet || family === 'arp' || family === 'netdev';
    case 'raw': case 'mangle': case 'security': return inet;
    case 'dstnat': return inet && hook === 'prerouting';
    case 'srcnat': return inet && hook === 'postrouting';
    default: return false;
  }
}

/** A hook priority as nft prints it: `filter`, `dstnat - 5`, `-150`. Flowtables count as netdev ingress. */
export function priorityText(family: Family, hook: string | undefined, p: number): string {
  for (const [value, name] of family === 'bridge' ? BRIDGE_PRIOS : STD_PRIOS) {
    if (Math.abs(p - value) > 10) continue;
    if (!priorityFits(name, family, hook)) break;
    return p === value ? name : `${name} ${p > value ? '+' : '-'} ${Math.abs(p - value)}`;
  }
  return String(p);
}

/** `type T hook H [device(s) ...] priority P; [policy X;]`; listing false keeps the devices in the order given (for an nft script). */
export function printChainHeader(c: Chain, listing = true): string | undefined {
  if (c.hook === undefined) return undefined;
  const devices = c.devices !== undefined && c.devices.length > 1 ? c.devices : undefined;
  const one = c.device ?? (c.devices !== undefined && c.devices.length === 1 ? c.devices[0] : undefined);
  const dev = devices !== undefined ? ` devices = { ${printDevices(devices, listing).join(', ')} }` : one !== undefined ? ` device "${one}"` : '';
  // The kernel always reports a base chain's policy; a chain to be added may leave it to the default.
  return `type ${c.type} hook ${c.hook}${dev} priority ${priorityText(c.family, c.hook, c.priority ?? 0)};${c.policy !== undefined ? ` policy ${c.policy};` : ''}`;
}

/**
 * The statements of a flowtable's block, one per line as `nft list` prints
 * them (`hook ingress priority filter`, `devices = { ... }`, `flags offload`,
 * `counter`); with withHook false, only the devices line; listing false
 * keeps the devices in the order given (for an nft script).
 */
export function printFlowtableBody(f: Flowtable, withHook = true, listing = true): string[] {
  const lines: string[] = [];
  if (withHook) lines.push(`hook ${f.hook ?? 'ingress'} priority ${priorityText('netdev', 'ingress', f.priority ?? 0)}`);
  if (f.devices !== undefined && f.devices.length > 0) lines.push(`devices = { ${printDevices(f.devices, listing).join(', ')} }`);
  if (!withHook) return lines;
  if (f.flags?.includes('offload')) lines.push('flags offload');
  if (f.flags?.includes('counter')) lines.push('counter');
  return lines;
}

/** A flowtable as it appears inside `table ... { }`. */
export function printFlowtable(f: Flowtable, indent: string): string[] {
  return [`${indent}flowtable ${f.name} {`, ...printFlowtableBody(f).map((l) => `${indent}\t${l}`), `${indent}}`];
}

/** A set or map as `nft list set` prints it, one line per entry. */
export function printSet(s: NftSet, indent: string, env: PrintEnv = {}): string[] {
  return setDeclaration(s, indent, { env }, ruleContext(s, () => undefined, env));
}

/** Elements as nft writes them inside `{ ... }`. */
export function printElements(s: NftSet, env: PrintEnv = {}): string {
  // Printed as an anonymous set of the same kind (a set given by the caller keeps the flags and userdata it would be sent with).
  const userdata = s.userdata ?? (s.flagBits === undefined ? safeUserdata(s) : undefined);
  const lines = setDeclaration({ ...s, flagBits: setFlagBits(s) | 1, ...(userdata !== undefined ? { userdata } : {}) }, '', { env }, ruleContext(s, () => undefined, env), true);
  const t = lines[0] ?? '{  }';
  return t.slice(2, -2);
}

function safeUserdata(s: NftSet): Uint8Array | undefined {
  try { return setUserdata(s); } catch { return undefined; }
}

/** A named object (`counter c { packets 0 bytes 0 }`, `ct helper h { ... }`) as nft lists it. */
export function printObject(o: NamedObject, indent: string): string[] {
  return objectText(o, indent);
}

/** One table with everything in it, as `nft list table` prints it. */
export function printTable(t: Table, r: RulesetData): string {
  const mine = <T extends { family: string; table: string }>(xs: T[]): T[] => xs.filter((x) => x.family === t.family && x.table === t.name);
  const env = envOf(r);
  const sets = mine(r.sets);
  const setsByName = new Map(sets.map((s) => [s.name, s]));
  const find = (name: string) => setsByName.get(name);
  const rulesByChain = new Map<string, Rule[]>();
  for (const rule of mine(r.rules)) {
    const list = rulesByChain.get(rule.chain);
    if (list === undefined) rulesByChain.set(rule.chain, [rule]);
    else list.push(rule);
  }
  const chains = mine(r.chains);
  const bound = new Set(chains.filter((c) => ((c.flags ?? 0) & CHAIN_BINDING) !== 0).map((c) => c.name));
  const ctx = ruleContext({ family: t.family, table: t.name }, find, env, (name) => (bound.has(name) ? rulesByChain.get(name) ?? [] : undefined));
  const o: Out = { env };
  const blocks: string[][] = [];
  for (const obj of mine(r.objects)) blocks.push(printObject(obj, '\t'));
  for (const s of sets) if (!((s.flagBits ?? 0) & 1)) blocks.push(setDeclaration(s, '\t', o, ctx));
  for (const f of mine(r.flowtables ?? [])) blocks.push(printFlowtable(f, '\t'));
  for (const c of chains) {
    if (bound.has(c.name)) continue;
    const lines = [`\tchain ${c.name} {`];
    if (c.comment !== undefined) lines.push(`\t\tcomment "${c.comment}"`);
    const h = printChainHeader(c);
    if (h !== undefined) lines.push(`\t\t${h}`);
    for (const rule of rulesByChain.get(c.name) ?? []) {
      const body = ruleText(rule, ctx, o);
      lines.push(`\t\t${rule.comment !== undefined ? `${body} comment "${rule.comment}"` : body}`);
    }
    lines.push('\t}');
    blocks.push(lines);
  }
  const head = [`table ${t.family} ${t.name} {`];
  if (t.flags !== undefined && t.flags & 1) head.push('\tflags dormant');
  if (t.comment !== undefined) head.push(`\tcomment "${t.comment}"`);
  return [...head, blocks.map((b) => b.join('\n')).join('\n\n'), '}'].filter((x) => x !== '').join('\n');
}

/** The whole ruleset as `nft list ruleset` prints it. */
export function printRuleset(r: RulesetData): string {
  return r.tables.map((t) => `${printTable(t, r)}\n`).join('');
}

export { exprText };
