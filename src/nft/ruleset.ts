// A ruleset as listed from the kernel (or a fake): decoded objects, the
// generation they were read at, nft-syntax printing, and a transaction that
// recreates it.
import type { Chain } from './chain.js';
import { isVerdict } from './expr/data.js';
import type { Flowtable } from './flowtable.js';
import type { NamedObject } from './object.js';
import { printRuleset } from './print.js';
import type { Rule } from './rule.js';
import type { NftSet } from './set.js';
import type { Table } from './table.js';
import { recreateRule, type Expr } from './expr/spec.js';
import { recreateHints, type RuleContext } from './print/rule.js';
import { reread } from './print/reread.js';
import type { PrintEnv } from './print/value.js';
import { Transaction, type AnonymousSet } from './transaction.js';
import * as U from './uapi.js';

export interface RulesetData {
  generation: number;
  tables: Table[];
  chains: Chain[];
  rules: Rule[];
  sets: NftSet[];
  objects: NamedObject[];
  /** Flowtables (a listing always has them; older callers may leave them out). */
  flowtables?: Flowtable[];
  /**
   * Interface names by index in the listed namespace, for printing `iif`,
   * `oif` and the like by name as nft does (list() fills it when a rule or
   * set needs it).
   */
  interfaces?: ReadonlyMap<number, string>;
}

export class Ruleset implements RulesetData {
  generation: number;
  tables: Table[];
  chains: Chain[];
  rules: Rule[];
  sets: NftSet[];
  objects: NamedObject[];
  flowtables: Flowtable[];
  interfaces?: ReadonlyMap<number, string>;

  constructor(d: RulesetData) {
    this.generation = d.generation;
    this.tables = d.tables;
    this.chains = d.chains;
    this.rules = d.rules;
    this.sets = d.sets;
    this.objects = d.objects;
    this.flowtables = d.flowtables ?? [];
    if (d.interfaces !== undefined) this.interfaces = d.interfaces;
  }

  /**
   * The ruleset in nft syntax, laid out as `nft list ruleset` prints it.
   * Comments and strings that are not UTF-8 keep their bytes as U+DC80 +
   * (byte - 0x80): nftTextBytes(text) is then what nft writes, byte for byte.
   * Equivalent to: `nft list ruleset`.
   */
  toString(): string {
    return printRuleset(this);
  }

  /**
   * A transaction that creates this ruleset (e.g. in another namespace):
   * tables, chains, objects, sets with elements, flowtables, then rules.
   * Anonymous sets are recreated with the rules that use them. Flowtables,
   * like netdev chains, may need their devices to exist where the
   * transaction is committed (older kernels refuse a device they cannot find).
   * The kernel then holds the rules as listed, byte for byte. With
   * `{ asPrinted: true }` it sends instead what `nft -f` sends for the text
   * toString() prints, where that differs (see src/nft/print/reread.ts: a
   * dependency nft left out of the text is made again as nft makes it, which
   * matches the same packets but is not the listed rule).
   * Equivalent to: `nft list ruleset > f; nft -f f` (asPrinted).
   */
  toTransaction(tx = new Transaction(), options: { asPrinted?: boolean } = {}): Transaction {
    const strip = <T extends { handle?: number; use?: number }>(o: T): T => {
      const c = { ...o };
      delete c.handle;
      delete c.use;
      return c;
    };
    const key = (family: string, table: string, name: string): string => `${family}\0${table}\0${name}`;
    const sets = new Map<string, NftSet>();
    for (const s of this.sets) sets.set(key(s.family, s.table, s.name), s);
    const anonymous = (s: NftSet | undefined): boolean => s !== undefined && ((s.flagBits ?? 0) & U.NFT_SET_ANONYMOUS) !== 0;
    // nft's order: chains exist before verdict-map elements and rules name them.
    for (const t of this.tables) tx.addTable(strip(t));
    // A chain bound to a rule (`jump { ... }`) is made, with its rules, just before the rule that binds it.
    const bound = new Map<string, Chain>();
    for (const c of this.chains) {
      if (((c.flags ?? 0) & U.NFT_CHAIN_BINDING) !== 0) bound.set(key(c.family, c.table, c.name), c);
      else tx.addChain(strip(c));
    }
    for (const o of this.objects) tx.addObject(strip(o));
    for (const s of this.sets) if (!anonymous(s)) tx.addSet(strip(s));
    for (const f of this.flowtables) tx.addFlowtable(strip(f));
    const env: PrintEnv = this.interfaces !== undefined ? { ifname: (i) => this.interfaces!.get(i) } : {};
    const boundRules = new Map<string, Rule[]>();
    const anyBound = bound.size > 0;
    if (anyBound) {
      for (const r of this.rules) {
        const k = key(r.family, r.table, r.chain);
        if (bound.has(k)) boundRules.set(k, [...(boundRules.get(k) ?? []), r]);
      }
    }
    const addRule = (r: Rule): void => {
      if (anyBound) for (const e of r.expressions) {
        const v = e.type === 'immediate' ? (e as { data?: unknown }).data : undefined;
        const c = isVerdict(v) && v.chain !== undefined ? bound.get(key(r.family, r.table, v.chain)) : undefined;
        if (c === undefined) continue;
        bound.delete(key(c.family, c.table, c.name));
        tx.addChain(strip(c));
        for (const x of boundRules.get(key(c.family, c.table, c.name)) ?? []) addRule(x);
      }
      addOne(r);
    };
    const contextOf = (r: Rule): RuleContext => ({ family: r.family, table: r.table, sets: (n) => sets.get(key(r.family, r.table, n)), env });
    const addOne = (listed: Rule): void => {
      const again = options.asPrinted === true ? reread(listed, contextOf(listed)) : undefined;
      const r = again?.rule ?? listed;
      // What nft sends for the printed rule: the printer tells, for the few
      // expressions whose attributes depend on the statement they print as.
      const hints = needsHints(r.expressions as Expr[]) ? recreateHints(r, contextOf(r)) : undefined;
      let expressions = recreateRule(r.expressions as Expr[], hints, options.asPrinted === true) as typeof r.expressions;
      for (let i = 0; i < expressions.length; i++) {
        const x = expressions[i] as (typeof expressions)[number] & { set?: unknown; setId?: number };
        // An anonymous set goes inline: the transaction makes it again, as it was.
        if (typeof x.set !== 'string' || (x.type !== 'lookup' && x.type !== 'dynset' && x.type !== 'objref')) continue;
        const s = sets.get(key(r.family, r.table, x.set));
        if (!anonymous(s)) continue;
        const copy = { ...x, set: inlineSet(s!, again?.setUserdata.get(x.set)) } as Record<string, unknown>;
        delete copy.setId;
        if (expressions === r.expressions) expressions = expressions.slice();
        expressions[i] = copy as unknown as (typeof expressions)[number];
      }
      const rule: Rule = { ...r, expressions };
      const compat = r.compat ?? compatOf(r.expressions as Expr[]);
      if (compat !== undefined) rule.compat = compat;
      delete rule.handle;
      delete rule.position;
      delete (rule as { use?: number }).use;
      tx.addRule(rule);
    };
    for (const r of this.rules) if (!anyBound || !boundRules.has(key(r.family, r.table, r.chain))) addRule(r);
    return tx;
  }
}

// Whether what nft sends for a rule depends on how it prints (RecreateHint),
// which takes rebuilding its statements: a mask compared (a prefix or a flag
// list print without the operation nft otherwise sends), or a NAT address
// from a map (whose port may come from the map too). Other bitwise and NAT
// expressions are sent as they are listed.
function needsHints(exprs: Expr[]): boolean {
  for (let i = 0; i < exprs.length; i++) {
    const e = exprs[i] as Expr & { dreg?: number; regAddrMin?: number };
    if (e.type === 'bitwise') {
      for (let j = i + 1; j < exprs.length; j++) {
        const x = exprs[j] as Expr & { sreg?: number; dreg?: number };
        if (x.sreg === e.dreg) { if (x.type === 'cmp' || x.type === 'lookup' || x.type === 'bitwise') return true; break; }
        if (x.dreg === e.dreg) break;
      }
    } else if (e.type === 'nat' && e.regAddrMin !== undefined) {
      for (let j = i - 1; j >= 0; j--) {
        const x = exprs[j] as Expr & { dreg?: number };
        if (x.dreg === e.regAddrMin) { if (x.type !== 'immediate') return true; break; }
      }
    }
  }
  return false;
}

// The kernel keeps a rule's NFTA_RULE_COMPAT to itself (it does not list it),
// but the xtables matches of an iptables-nft rule need it to be created again
// (`-m udp` checks the rule is `-p udp`): it is what iptables-nft sends, the
// protocol of the rule's `meta l4proto` match (flag 2 when negated).
function compatOf(exprs: Expr[]): Rule['compat'] {
  if (!exprs.some((e) => e.type === 'raw' && ((e as unknown as { name: string }).name === 'match' || (e as unknown as { name: string }).name === 'target'))) return undefined;
  for (let i = 0; i + 1 < exprs.length; i++) {
    const m = exprs[i] as Expr & { key?: string; dreg?: number }, c = exprs[i + 1] as Expr & { sreg?: number; op?: string; data?: unknown };
    if (m.type === 'meta' && m.key === 'l4proto' && c.type === 'cmp' && c.sreg === m.dreg && c.data instanceof Uint8Array && c.data.length === 1) {
      return { proto: c.data[0]!, flags: c.op === 'neq' ? U.NFT_RULE_COMPAT_F_INV : 0 };
    }
  }
  return undefined;
}

// A listed anonymous set as a rule gives it inline (AnonymousSet), with what the kernel holds of it.
function inlineSet(s: NftSet, userdata?: Uint8Array): AnonymousSet {
  const { family: _f, table: _t, name, handle: _h, id: _i, comment: _c, flags, elements, ...rest } = s as NftSet & { use?: number };
  delete (rest as { use?: number }).use;
  if (userdata !== undefined) rest.userdata = userdata;
  const out: AnonymousSet = { ...rest, flags: (flags ?? []).filter((f) => f !== 'anonymous' && f !== 'constant'), elements: elements ?? [] };
  // A meter keeps the name the rule gave it.
  if (((s.flagBits ?? 0) & U.NFT_SET_EVAL) !== 0) out.name = name;
  return out;
}
