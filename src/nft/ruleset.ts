// A ruleset as listed from the kernel (or a fake): decoded objects, the
// generation they were read at, nft-syntax printing, and a transaction that
// recreates it.
import type { Chain } from './chain.js';
import type { Flowtable } from './flowtable.js';
import type { NamedObject } from './object.js';
import { printRuleset } from './print.js';
import type { Rule } from './rule.js';
import type { NftSet } from './set.js';
import type { Table } from './table.js';
import { Transaction } from './transaction.js';

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

  /** The ruleset in nft syntax, laid out as `nft list ruleset` prints it. */
  toString(): string {
    return printRuleset(this);
  }

  /**
   * A transaction that creates this ruleset (e.g. in another namespace):
   * tables, chains, objects, sets with elements, flowtables, then rules.
   * Anonymous sets are recreated with the rules that use them. Flowtables,
   * like netdev chains, may need their devices to exist where the
   * transaction is committed (older kernels refuse a device they cannot find).
   */
  toTransaction(tx = new Transaction()): Transaction {
    const strip = <T extends { handle?: number; use?: number }>(o: T): T => {
      const c = { ...o };
      delete c.handle;
      delete c.use;
      return c;
    };
    const anon = new Map<string, NftSet>();
    for (const s of this.sets) if ((s.flagBits ?? 0) & 1) anon.set(`${s.family}\0${s.table}\0${s.name}`, s);
    // nft's order: chains exist before verdict-map elements and rules name them.
    for (const t of this.tables) tx.addTable(strip(t));
    for (const c of this.chains) tx.addChain(strip(c));
    for (const o of this.objects) tx.addObject(strip(o));
    for (const s of this.sets) if (!anon.has(`${s.family}\0${s.table}\0${s.name}`)) tx.addSet(strip(s));
    for (const f of this.flowtables) tx.addFlowtable(strip(f));
    for (const r of this.rules) {
      const expressions = r.expressions.map((e) => {
        // The kernel lists a dynset's timeout even when it is 0 (the set's own), but refuses
        // one for a set without `flags timeout`: 0 and none are the same, so none is sent.
        if (e.type === 'dynset' && e.timeout === 0) {
          const { timeout: _zero, ...rest } = e;
          return rest;
        }
        if (e.type !== 'lookup') return e;
        const s = anon.get(`${r.family}\0${r.table}\0${e.set}`);
        if (s === undefined) return e;
        const copy = { ...e } as Record<string, unknown>;
        delete copy.setId;
        copy.set = { type: s.type, ...(s.map !== undefined ? { map: s.map } : {}), flags: (s.flags ?? []).filter((f) => f !== 'anonymous' && f !== 'constant'), elements: s.elements ?? [] };
        return copy as unknown as typeof e;
      });
      const rule = strip(r);
      delete rule.position;
      tx.addRule({ ...rule, expressions });
    }
    return tx;
  }
}
