// The x_tables handle: ip_tables or ip6_tables of one network namespace,
// read with IPT_SO_GET_INFO/IPT_SO_GET_ENTRIES and replaced whole and
// atomically with IPT_SO_SET_REPLACE, on a raw socket made inside the
// namespace. The tables are encoded and decoded here in TypeScript; each
// call crosses into the addon once with one buffer.
import { AsyncLocalStorage } from 'node:async_hooks';

import { binding, type NativeXtHandle } from '../binding.js';
import { fromSystemError } from '../errors.js';
import { netnsWire, SerialHandle, type NetnsOption } from '../handle.js';
import { decodeTable, scanTable } from './decode.js';
import { LazyChain } from './lazy.js';
import { encodeTable } from './encode.js';
import { IptablesConflictError, IptablesError } from './errors.js';
import type { SetMatch } from './ext/set.js';
import { applyScript, parse } from './restore.js';
import { IptablesTable } from './table.js';
import { IptablesTransaction, type CommitOptions } from './transaction.js';
import { TABLE_NAMES, type Chain, type IptablesFamily, type TableData, type TableName } from './types.js';
import { checkChains, checkRules } from './validate.js';

export interface IptablesOpenOptions {
  netns?: NetnsOption;
  /** 4: ip_tables (iptables), 6: ip6_tables (ip6tables). Default 4. */
  family?: IptablesFamily;
  /**
   * The lock file writers hold while replacing a table, shared with
   * iptables-legacy (default $XTABLES_LOCKFILE or /run/xtables.lock); false: no lock.
   */
  lock?: string | false;
  /** How long to wait for the lock, in ms (default 5000). */
  lockWait?: number;
}

export type CounterMode = 'zero' | 'set' | 'keep';

export interface ReplaceOptions {
  /**
   * Where the new table's counters start: 'zero' (default), 'set' (each rule's
   * and built-in chain's `counters`, as iptables-restore --counters), or 'keep'
   * (a rule equal to one of the old table, in the same chain, keeps its counters).
   */
  counters?: CounterMode;
  /** Fail with IptablesConflictError, changing nothing, unless the table is still at this generation. */
  generation?: bigint;
}

export interface GetOptions {
  /** Decode each rule's counters (default true). */
  counters?: boolean;
  /**
   * Decode each chain's rules when they are first read (default true); the
   * structure of the whole table is checked either way. Chains nobody read
   * are written back by replace() as the bytes they were read as.
   */
  lazy?: boolean;
}

/** The interface Iptables and FakeIptables share. */
export interface IptablesInterface {
  readonly family: IptablesFamily;
  tables(): Promise<TableName[]>;
  get(table: TableName, options?: GetOptions): Promise<IptablesTable>;
  replace(table: TableName, chains: Chain[], options?: ReplaceOptions): Promise<void>;
  transaction(table: TableName): Promise<IptablesTransaction>;
  update<T>(table: TableName, edit: (tx: IptablesTransaction) => T | Promise<T>, options?: UpdateOptions): Promise<T>;
  restore(text: string, options?: RestoreOptions): Promise<void>;
  close(): Promise<void>;
}

export interface UpdateOptions extends CommitOptions {
  /** How many times to read, edit and commit when other writers keep coming in between (default 5). */
  attempts?: number;
}

const COUNTER_MODES: Record<CounterMode, 0 | 1 | 2> = { zero: 0, set: 1, keep: 2 };

export function checkTableName(table: unknown): TableName {
  if (!TABLE_NAMES.includes(table as TableName)) throw new TypeError(`table must be one of ${TABLE_NAMES.join(', ')}`);
  return table as TableName;
}

export function checkReplaceOptions(o: ReplaceOptions): void {
  if (typeof o !== 'object' || o === null) throw new TypeError('options must be an object');
  if (o.counters !== undefined && !(o.counters in COUNTER_MODES)) throw new TypeError("counters must be 'zero', 'set' or 'keep'");
  if (o.generation !== undefined && typeof o.generation !== 'bigint') throw new TypeError('generation must be a bigint');
}

// The handles whose update() or restore() the current async context runs inside (see #locked).
const holding = new AsyncLocalStorage<ReadonlySet<object>>();

// The buffer of the last replace, for the next one of any handle: a fresh buffer of a hundred
// megabytes per replace costs a page fault per 4 KiB, and its external size makes V8 collect the
// whole heap. Let go a minute after its last use.
let spare: Buffer | undefined;
let spareTimer: NodeJS.Timeout | undefined;
const SPARE_MS = 60_000;

function replaceBuffer(size: number): Buffer {
  const b = spare;
  // Too small, or far larger than needed (a small table, or the tables shrank): left for another.
  if (b === undefined || b.length < size || b.length > 4 * size + (1 << 20)) return Buffer.alloc(size);
  spare = undefined;
  b.fill(0, 0, size);
  return b;
}

function keepSpare(b: Buffer): void {
  if (spare !== undefined && spare.length >= b.length) return;
  spare = b;
  if (spareTimer === undefined) {
    spareTimer = setTimeout(() => {
      spare = undefined;
      spareTimer = undefined;
    }, SPARE_MS);
    spareTimer.unref();
  } else spareTimer.refresh();
}

/** Reads, edits and commits with `edit`, again while other writers come in between. */
export async function updateTable<T>(ipt: IptablesInterface, table: TableName, edit: (tx: IptablesTransaction) => T | Promise<T>,
  options: UpdateOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError('attempts must be a positive integer');
  for (let i = 1; ; i++) {
    const tx = await ipt.transaction(table);
    const result = await edit(tx);
    try {
      await tx.commit(options);
      return result;
    } catch (e) {
      if (!(e instanceof IptablesConflictError) || i >= attempts) throw e;
    }
  }
}

/**
 * ip_tables (or ip6_tables) of one network namespace.
 *
 * ```ts
 * const ipt = await Iptables.open({ netns: 'node1' });      // family 4
 * const nat = await ipt.get('nat');                        // iptables-legacy-save -t nat
 * console.log(nat.toString());
 * await ipt.update('filter', (tx) => tx.append('INPUT', { protocol: 'tcp', matches: [{ name: 'tcp', destinationPort: 22 }], target: { name: 'ACCEPT' } }));
 * ```
 */
export class Iptables extends SerialHandle<NativeXtHandle> implements IptablesInterface {
  readonly family: IptablesFamily;
  readonly #lock: string | undefined;
  readonly #lockWait: number;
  // Settles when the last update() or restore() of this handle let the xtables lock go.
  #turn: Promise<void> = Promise.resolve();

  private constructor(native: NativeXtHandle, family: IptablesFamily, lock: string | undefined, lockWait: number) {
    super(native);
    this.family = family;
    this.#lock = lock;
    this.#lockWait = lockWait;
  }

  /** Opens a raw socket for ip_tables (family 4) or ip6_tables (6) inside `options.netns`. */
  static async open(options: IptablesOpenOptions = {}): Promise<Iptables> {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const family = options.family ?? 4;
    if (family !== 4 && family !== 6) throw new TypeError('family must be 4 or 6');
    const where = netnsWire(options.netns);
    if (options.lock !== undefined && options.lock !== false && (typeof options.lock !== 'string' || !options.lock.startsWith('/'))) {
      throw new TypeError('lock must be an absolute path or false');
    }
    const lockWait = options.lockWait ?? 5000;
    if (!Number.isInteger(lockWait) || lockWait < 0 || lockWait > 0x7fffffff) throw new RangeError('lockWait must be a number of milliseconds');
    const lock = options.lock === false ? undefined : options.lock ?? (process.env['XTABLES_LOCKFILE'] || '/run/xtables.lock');
    const b = binding();
    const native = new b.XtHandle(family);
    try {
      await native.open(where);
    } catch (e) {
      throw fromSystemError('iptables.open', e);
    }
    return new Iptables(native, family, lock, lockWait);
  }

  /**
   * The tables the kernel has instantiated in this namespace (a table appears
   * on first use, e.g. the first get()). Equivalent to: `cat /proc/net/ip_tables_names`.
   */
  tables(): Promise<TableName[]> {
    return this.run('iptables.tables', async (n) => (await n.tables()).filter((t): t is TableName => TABLE_NAMES.includes(t as TableName)));
  }

  /**
   * Reads and decodes a table. A table not yet instantiated in the namespace
   * is instantiated by the kernel on this first read (empty, policies ACCEPT),
   * as `iptables-legacy -t TABLE -L` does. Equivalent to: `iptables-legacy-save -t TABLE`.
   */
  async get(table: TableName, options: GetOptions = {}): Promise<IptablesTable> {
    checkTableName(table);
    return this.run('iptables.get', async (n) => {
      const r = await n.get(table);
      if (r.error !== undefined) throw new IptablesError('iptables.get', table, r.error);
      const layout = scanTable(r.entries, r.info, this.family);
      const indexes = layout.sets;
      const names = new Map<number, string>();
      const byName = new Map<string, number>();
      if (indexes.length > 0) {
        const found = await n.ipset({ indexes });
        indexes.forEach((index, i) => {
          if (typeof found.names[i] !== 'string') return;
          names.set(index, found.names[i] as string);
          byName.set(found.names[i] as string, index);
        });
      }
      const ctx = { family: this.family, setName: (i: number) => names.get(i), setIndex: (s: string) => byName.get(s) ?? 0xffff };
      const data = decodeTable(table, this.family, r.info, r.entries, ctx, { ...options, generation: r.generation }, layout);
      return new IptablesTable(data, r.generation);
    });
  }

  /**
   * Replaces a whole table atomically with `chains` (which must include the
   * table's built-in chains with their policies): every check is made before
   * anything is sent, and the kernel swaps the table in one step or not at
   * all. Equivalent to: `iptables-legacy-restore` of the table (with
   * `--counters` for counters: 'set').
   */
  async replace(table: TableName, chains: Chain[], options: ReplaceOptions = {}): Promise<void> {
    checkTableName(table);
    checkReplaceOptions(options);
    const data: TableData = { name: table, family: this.family, chains };
    const mode = options.counters ?? 'zero';
    const encodeOptions = { counters: mode === 'set', map: mode === 'keep', alloc: replaceBuffer };
    // The table and its chains first (so what follows walks well-formed chains), then the rules:
    // checked and encoded in one pass, unless ipset indexes must be looked up first (then checked
    // now and encoded once they are known).
    const check = checkChains(data);
    const sets = setNames(chains);
    const now = sets.length === 0 ? encodeTable(data, { family: this.family, setIndex: () => 0 }, encodeOptions, check) : undefined;
    if (now === undefined) checkRules(data, check);
    return this.run('iptables.replace', async (n) => {
      let enc = now;
      if (enc === undefined) {
        const indexes = new Map<string, number>();
        const found = await n.ipset({ names: sets });
        sets.forEach((s, i) => {
          const v = found.indexes[i]!;
          if (v < 0) throw new IptablesError('iptables.replace', table, { errno: -v, code: v === -2 ? 'ENOENT' : 'EINVAL', message: `no ipset named ${JSON.stringify(s)}` });
          indexes.set(s, v);
        });
        enc = encodeTable(data, { family: this.family, setIndex: (s) => indexes.get(s)! }, encodeOptions);
      }
      const r = await n.replace({
        table, ...enc.info, counters: COUNTER_MODES[mode], ...(mode === 'set' ? { set: enc.counters } : {}),
        ...(enc.map !== undefined ? { map: enc.map, mapGeneration: enc.mapGeneration! } : {}),
        ...(options.generation !== undefined ? { generation: options.generation } : {}),
        ...(this.#lock !== undefined ? { lockPath: this.#lock, lockWaitMs: this.#lockWait } : {}),
      }, enc.blob);
      keepSpare(enc.storage);
      if (r.conflict) throw new IptablesConflictError('iptables.replace', table);
      if (r.error !== undefined) throw new IptablesError('iptables.replace', table, r.error, r.step);
    });
  }

  /** Reads the table and starts an edit of it; commit() replaces it if no other writer came in between. */
  async transaction(table: TableName): Promise<IptablesTransaction> {
    return new IptablesTransaction(this, await this.get(table));
  }

  /**
   * Reads, edits with `edit` and commits, retrying (up to `attempts`) when
   * another writer changed the table in between; returns what `edit` returned.
   * Holds the xtables lock from the read to the commit, as iptables-restore
   * does, so writers that take it wait, and the commit need not read the
   * table again to check its generation (a writer that ignores the lock and
   * changes the entry count is still caught: the kernel refuses the replace).
   */
  update<T>(table: TableName, edit: (tx: IptablesTransaction) => T | Promise<T>, options: UpdateOptions = {}): Promise<T> {
    checkTableName(table);
    return this.#locked(table, () => updateTable(this, table, edit, options));
  }

  /**
   * Applies iptables-restore input (see restoreTables), holding the xtables
   * lock throughout as iptables-restore does. Equivalent to:
   * `iptables-legacy-restore [--noflush] [--counters]`.
   */
  restore(text: string, options: RestoreOptions = {}): Promise<void> {
    return this.#locked(undefined, () => restoreTables(this, text, options));
  }

  // Runs fn holding the xtables lock (when this handle uses one): one such call of this handle at a
  // time, the others waiting their turn; one started from inside another's fn would wait for itself.
  async #locked<T>(table: TableName | undefined, fn: () => Promise<T>): Promise<T> {
    const path = this.#lock;
    if (path === undefined) return fn();
    const inside = holding.getStore();
    if (inside?.has(this)) {
      throw new IptablesError('iptables.lock', table ?? 'all',
        { errno: 35, code: 'EDEADLK', message: 'called from inside an update() or restore() of the same handle, which holds the lock it would wait for' }, 'lock');
    }
    const before = this.#turn;
    let done!: () => void;
    this.#turn = new Promise<void>((r) => { done = r; });
    try {
      await before;
      await this.run('iptables.lock', async (n) => {
        const r = await n.lock({ path, waitMs: this.#lockWait });
        if (r.error !== undefined) throw new IptablesError('iptables.lock', table ?? 'all', r.error, 'lock');
      });
      try {
        return await holding.run(new Set([...(inside ?? []), this]), fn);
      } finally {
        await this.run('iptables.unlock', async (n) => n.unlock()).catch(() => undefined);
      }
    } finally {
      done();
    }
  }
}

/** The ipset names the set matches of `chains` use (chains unread since read from the kernel keep their indexes as they are). */
export function setNames(chains: readonly Chain[]): string[] {
  const out = new Set<string>();
  for (const c of chains) {
    if (c instanceof LazyChain && c.source !== undefined) continue;
    for (const r of c.rules) {
      // Malformed rules are left to the check, which names them.
      if (typeof r !== 'object' || r === null || !Array.isArray(r.matches)) continue;
      for (const m of r.matches) if (typeof m === 'object' && m !== null && m.name === 'set' && typeof (m as SetMatch).set === 'string') out.add((m as SetMatch).set);
    }
  }
  return [...out];
}

export interface RestoreOptions {
  /** iptables-restore --noflush: add to the tables instead of replacing their content. */
  noflush?: boolean;
  /** iptables-restore --counters: counters from `[p:b]` (else rules left as they were keep theirs). */
  counters?: boolean;
}

/**
 * Applies an iptables-restore file table by table: each table is read,
 * the file's block played onto it (applyScript) and the result replaced
 * atomically with the generation it was read at. Tables before a failing
 * one stay replaced, as with iptables-restore. Equivalent to:
 * `iptables-legacy-restore [--noflush] [--counters] < FILE`.
 */
export async function restoreTables(ipt: IptablesInterface, text: string, options: RestoreOptions = {}): Promise<void> {
  const script = parse(text, { family: ipt.family });
  for (const t of script.tables) {
    const current = await ipt.get(t.name);
    const next = applyScript(current, t, ipt.family, options);
    await ipt.replace(t.name, next.chains, {
      counters: options.counters ? 'set' : 'keep',
      ...(current.generation !== undefined ? { generation: current.generation } : {}),
    });
  }
}
