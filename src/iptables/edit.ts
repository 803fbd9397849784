// Editing a table in memory, iptables command by command (-A, -I, -D,
// -R, -F, -N, -X, -E, -P, -Z): the transaction helper and the restore
// file player share it.
import type { Command } from './rule-parse.js';
import { saveRule } from './save.js';
import type { IptablesTable } from './table.js';
import { BUILTIN_CHAINS, type Chain, type Counters, type Rule, type TableName } from './types.js';
import { chainNameProblem } from './validate.js';
import { chainJumps } from './lazy.js';

/** Edits of one table in memory, iptables command by command. */
export class TableEdit {
  readonly #table: IptablesTable;
  readonly #checkJumps: boolean;
  // Chains by name (restore files add hundreds of thousands of rules to
  // a hundred thousand chains); rebuilt when the chains array was replaced
  // or resized behind our back.
  #index = new Map<string, Chain>();
  #indexed: Chain[] | undefined;
  #indexedLength = -1;

  /**
   * With `checkJumps`, a rule that jumps to a chain that does not exist (yet)
   * is refused when it is added, as iptables-restore refuses it; without, it
   * is only checked when the table is committed.
   */
  constructor(table: IptablesTable, options: { checkJumps?: boolean } = {}) {
    this.#table = table;
    this.#checkJumps = options.checkJumps === true;
  }

  #lookup(name: string): Chain | undefined {
    const chains = this.#table.chains;
    if (this.#indexed !== chains || this.#indexedLength !== chains.length) {
      this.#index = new Map();
      for (const c of chains) if (!this.#index.has(c.name)) this.#index.set(c.name, c);
      this.#indexed = chains;
      this.#indexedLength = chains.length;
    }
    const c = this.#index.get(name);
    return c !== undefined && c.name === name ? c : undefined;
  }

  #checkRule(rule: Rule, op: string): void {
    if (!this.#checkJumps || (rule.target?.name !== 'jump' && rule.target?.name !== 'goto')) return;
    const to = (rule.target as { chain: string }).chain;
    const c = this.#lookup(to);
    if (c === undefined) throw new RangeError(`${op}: ${rule.target.name} to ${JSON.stringify(to)}, which is not a chain`);
    if (this.#builtin(to)) throw new RangeError(`${op}: cannot ${rule.target.name} to the built-in chain ${to}`);
  }

  /** The table as edited so far. */
  get table(): IptablesTable {
    return this.#table;
  }

  get name(): TableName {
    return this.#table.name;
  }

  #chain(name: string, op: string): Chain {
    const c = this.#lookup(name);
    if (c === undefined) throw new RangeError(`${op}: no chain ${JSON.stringify(name)} in table ${this.#table.name}`);
    return c;
  }

  #builtin(name: string): boolean {
    return (BUILTIN_CHAINS[this.#table.name] as readonly string[]).includes(name);
  }

  #position(c: Chain, n: number, op: string, max = c.rules.length): number {
    if (!Number.isInteger(n) || n < 1 || n > max) throw new RangeError(`${op}: rule number ${n} is not in 1..${max} of ${c.name}`);
    return n - 1;
  }

  /** Appends a rule. Equivalent to: `iptables -A CHAIN RULE`. */
  append(chain: string, rule: Rule): this {
    const c = this.#chain(chain, 'append');
    this.#checkRule(rule, 'append');
    c.rules.push(rule);
    return this;
  }

  /** Inserts a rule at `position` (1 = first). Equivalent to: `iptables -I CHAIN [N] RULE`. */
  insert(chain: string, rule: Rule, position = 1): this {
    const c = this.#chain(chain, 'insert');
    this.#checkRule(rule, 'insert');
    c.rules.splice(this.#position(c, position, 'insert', c.rules.length + 1), 0, rule);
    return this;
  }

  /** Replaces rule number `position`. Equivalent to: `iptables -R CHAIN N RULE`. */
  replaceRule(chain: string, position: number, rule: Rule): this {
    const c = this.#chain(chain, 'replaceRule');
    this.#checkRule(rule, 'replaceRule');
    c.rules[this.#position(c, position, 'replaceRule')] = rule;
    return this;
  }

  /**
   * Deletes rule number `rule`, or the first rule that reads the same as
   * `rule` in iptables-save form. Equivalent to: `iptables -D CHAIN N|RULE`.
   */
  delete(chain: string, rule: number | Rule): this {
    const c = this.#chain(chain, 'delete');
    if (typeof rule === 'number') {
      c.rules.splice(this.#position(c, rule, 'delete'), 1);
      return this;
    }
    const family = this.#table.family;
    const text = saveRule(chain, rule, family);
    const i = c.rules.findIndex((r) => saveRule(chain, r, family) === text);
    if (i < 0) throw new RangeError(`delete: no rule in ${chain} like "${text}"`);
    c.rules.splice(i, 1);
    return this;
  }

  /** Removes every rule of one chain, or of all chains. Equivalent to: `iptables -F [CHAIN]`. */
  flush(chain?: string): this {
    const chains = chain === undefined ? this.#table.chains : [this.#chain(chain, 'flush')];
    for (const c of chains) c.rules = [];
    return this;
  }

  /** Creates an empty user chain. Equivalent to: `iptables -N CHAIN`. */
  newChain(name: string): this {
    const problem = chainNameProblem(name);
    if (problem !== undefined) throw new TypeError(`newChain: chain name ${JSON.stringify(name)} ${problem}`);
    if (this.#lookup(name) !== undefined) throw new RangeError(`newChain: chain ${name} already exists`);
    const c: Chain = { name, rules: [] };
    this.#table.chains.push(c);
    this.#index.set(name, c);
    this.#indexedLength++;
    return this;
  }

  /** The chains some rule jumps to (unread chains are not decoded for it). */
  #referenced(): Set<string> {
    const out = new Set<string>();
    for (const c of this.#table.chains) for (const to of chainJumps(c)) out.add(to);
    return out;
  }

  /**
   * Deletes an empty, unreferenced user chain; without a name, every user
   * chain (each must be empty and unreferenced). Equivalent to: `iptables -X [CHAIN]`.
   */
  deleteChain(name?: string): this {
    const names = name !== undefined ? [name] : this.#table.chains.filter((c) => !this.#builtin(c.name)).map((c) => c.name);
    const referenced = this.#referenced();
    for (const n of names) {
      const c = this.#chain(n, 'deleteChain');
      if (this.#builtin(n)) throw new RangeError(`deleteChain: ${n} is a built-in chain`);
      if (c.rules.length > 0) throw new RangeError(`deleteChain: chain ${n} is not empty`);
      if (referenced.has(n)) throw new RangeError(`deleteChain: chain ${n} is still referenced`);
    }
    const gone = new Set(names);
    this.#table.chains = this.#table.chains.filter((c) => !gone.has(c.name));
    return this;
  }

  /** Renames a user chain, and every jump to it. Equivalent to: `iptables -E OLD NEW`. */
  renameChain(from: string, to: string): this {
    const c = this.#chain(from, 'renameChain');
    if (this.#builtin(from)) throw new RangeError(`renameChain: ${from} is a built-in chain`);
    const problem = chainNameProblem(to);
    if (problem !== undefined) throw new TypeError(`renameChain: chain name ${JSON.stringify(to)} ${problem}`);
    if (this.#lookup(to) !== undefined) throw new RangeError(`renameChain: chain ${to} already exists`);
    c.name = to;
    this.#index.delete(from);
    this.#index.set(to, c);
    for (const ch of this.#table.chains) {
      if (!chainJumps(ch).includes(from)) continue;
      for (const r of ch.rules) {
        if ((r.target?.name === 'jump' || r.target?.name === 'goto') && (r.target as { chain: string }).chain === from) {
          r.target = { ...r.target, chain: to } as Rule['target'];
        }
      }
    }
    return this;
  }

  /** Sets a built-in chain's policy (and its counters). Equivalent to: `iptables -P CHAIN ACCEPT|DROP`. */
  policy(chain: string, policy: 'ACCEPT' | 'DROP', counters?: Counters): this {
    const c = this.#chain(chain, 'policy');
    if (!this.#builtin(chain)) throw new RangeError(`policy: ${chain} is not a built-in chain`);
    if (policy !== 'ACCEPT' && policy !== 'DROP') throw new TypeError("policy must be 'ACCEPT' or 'DROP'");
    c.policy = policy;
    if (counters !== undefined) c.counters = counters;
    return this;
  }

  /** The edited table in iptables-save format. */
  toString(): string {
    return this.#table.toString();
  }

  /** Plays one parsed command (from parse()); rule counters are kept only when `withCounters`. */
  apply(cmd: Command, withCounters = false): void {
    const rule = 'rule' in cmd && cmd.rule !== undefined ? (withCounters ? cmd.rule : withoutCounters(cmd.rule)) : undefined;
    switch (cmd.op) {
      case 'append': this.append(cmd.chain, rule!); break;
      case 'insert': this.insert(cmd.chain, rule!, cmd.position); break;
      case 'replace': this.replaceRule(cmd.chain, cmd.position, rule!); break;
      case 'delete': this.delete(cmd.chain, 'position' in cmd ? cmd.position : rule!); break;
      case 'newChain': this.newChain(cmd.chain); break;
      case 'deleteChain': this.deleteChain(cmd.chain); break;
      case 'flush': this.flush(cmd.chain); break;
      case 'zero': this.zero(cmd.chain); break;
      case 'renameChain': this.renameChain(cmd.chain, cmd.to); break;
      case 'policy': this.policy(cmd.chain, cmd.policy, cmd.counters); break;
    }
  }

  /** Sets the counters of one chain's rules (or every chain's) to zero. Equivalent to: `iptables -Z [CHAIN]`. */
  zero(chain?: string): this {
    const chains = chain === undefined ? this.#table.chains : [this.#chain(chain, 'zero')];
    for (const c of chains) {
      for (const r of c.rules) if (r.counters !== undefined) r.counters = { packets: 0, bytes: 0 };
      if (c.counters !== undefined) c.counters = { packets: 0, bytes: 0 };
    }
    return this;
  }
}

function withoutCounters(r: Rule): Rule {
  if (r.counters === undefined) return r;
  const { counters: _dropped, ...rest } = r;
  return rest;
}

