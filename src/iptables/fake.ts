// FakeIptables: the Iptables interface over tables kept in memory, for
// unit tests without privilege. replace() makes the same checks as the real
// handle before anything would be sent, plus the ones the kernel makes that
// matter to callers (an ipset must exist; a generation must still hold), and
// applies counters the same three ways.
import { IptablesConflictError, IptablesError } from './errors.js';
import {
  checkReplaceOptions, checkTableName, restoreTables, setNames, updateTable,
  type GetOptions, type IptablesInterface, type ReplaceOptions, type RestoreOptions, type UpdateOptions,
} from './iptables.js';
import { saveRule } from './save.js';
import { IptablesTable } from './table.js';
import { IptablesTransaction } from './transaction.js';
import type { Chain, IptablesFamily, TableName } from './types.js';
import { validateTable } from './validate.js';

export interface FakeIptablesOptions {
  family?: IptablesFamily;
  /** The ipsets that exist (set matches must name one of these). */
  ipsets?: string[];
}

interface Stored {
  chains: Chain[];
  generation: bigint;
}

/**
 * In-memory ip_tables for tests: tables appear on first use as the kernel
 * makes them, replace() is all-or-nothing, dump() prints every table as
 * iptables-save would. Generations count replaces (the real handle hashes
 * the table instead).
 */
export class FakeIptables implements IptablesInterface {
  readonly family: IptablesFamily;
  readonly #tables = new Map<TableName, Stored>();
  readonly #ipsets: Set<string>;
  #generation = 0n;
  #closed = false;

  constructor(options: FakeIptablesOptions = {}) {
    this.family = options.family ?? 4;
    if (this.family !== 4 && this.family !== 6) throw new TypeError('family must be 4 or 6');
    this.#ipsets = new Set(options.ipsets ?? []);
  }

  #open(op: string): void {
    if (this.#closed) throw new Error(`${op}: handle is closed`);
  }

  #table(name: TableName): Stored {
    let t = this.#tables.get(name);
    if (t === undefined) {
      t = { chains: IptablesTable.empty(name, this.family).chains, generation: ++this.#generation };
      this.#tables.set(name, t);
    }
    return t;
  }

  async tables(): Promise<TableName[]> {
    this.#open('iptables.tables');
    return [...this.#tables.keys()].reverse();
  }

  async get(table: TableName, options: GetOptions = {}): Promise<IptablesTable> {
    this.#open('iptables.get');
    checkTableName(table);
    const t = this.#table(table);
    const chains = structuredClone(t.chains);
    if (options.counters === false) for (const c of chains) for (const r of c.rules) delete r.counters;
    return new IptablesTable({ name: table, family: this.family, chains }, t.generation);
  }

  async replace(table: TableName, chains: Chain[], options: ReplaceOptions = {}): Promise<void> {
    this.#open('iptables.replace');
    checkTableName(table);
    checkReplaceOptions(options);
    validateTable({ name: table, family: this.family, chains });
    for (const s of setNames(chains)) {
      if (!this.#ipsets.has(s)) throw new IptablesError('iptables.replace', table, { errno: 2, code: 'ENOENT', message: `no ipset named ${JSON.stringify(s)}` });
    }
    const old = this.#table(table);
    if (options.generation !== undefined && options.generation !== old.generation) throw new IptablesConflictError('iptables.replace', table);
    const next = structuredClone(chains);
    this.#applyCounters(old.chains, next, options.counters ?? 'zero');
    this.#tables.set(table, { chains: next, generation: ++this.#generation });
  }

  #applyCounters(old: Chain[], next: Chain[], mode: 'zero' | 'set' | 'keep'): void {
    const zero = { packets: 0, bytes: 0 };
    const kept = new Map<string, { packets: number; bytes: number }[]>();
    if (mode === 'keep') {
      for (const c of old) {
        for (const r of c.rules) {
          const key = `${c.name}\n${saveRule(c.name, r, this.family)}`;
          kept.set(key, [...(kept.get(key) ?? []), r.counters ?? zero]);
        }
      }
    }
    for (const c of next) {
      const before = old.find((o) => o.name === c.name);
      if (c.policy !== undefined) {
        c.counters = mode === 'set' ? c.counters ?? zero : mode === 'keep' && before?.policy === c.policy ? before.counters ?? zero : zero;
      }
      for (const r of c.rules) {
        if (mode === 'set') r.counters = r.counters ?? zero;
        else if (mode === 'zero') r.counters = zero;
        else r.counters = kept.get(`${c.name}\n${saveRule(c.name, r, this.family)}`)?.shift() ?? zero;
      }
    }
  }

  async transaction(table: TableName): Promise<IptablesTransaction> {
    return new IptablesTransaction(this, await this.get(table));
  }

  update<T>(table: TableName, edit: (tx: IptablesTransaction) => T | Promise<T>, options: UpdateOptions = {}): Promise<T> {
    return updateTable(this, table, edit, options);
  }

  restore(text: string, options: RestoreOptions = {}): Promise<void> {
    return restoreTables(this, text, options);
  }

  /** Every table as iptables-save prints it, newest table first (as /proc/net/ip_tables_names lists them). */
  dump(options: { counters?: boolean } = {}): string {
    return [...this.#tables.entries()].reverse()
      .map(([name, t]) => new IptablesTable({ name, family: this.family, chains: t.chains }).toString(options)).join('');
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
