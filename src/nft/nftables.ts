// The nf_tables handle: one NETLINK_NETFILTER socket in a network
// namespace. Transactions commit as one batch; listings read the whole
// ruleset (or a filtered part) in one exchange and decode it into the same
// types a transaction takes.
import { randomInt } from 'node:crypto';

import type { NativeHandle } from '../binding.js';
import { isNotFound, NetlinkError, type NativeErrorInfo } from '../errors.js';
import { check, NetlinkHandle, type OpenOptions } from '../handle.js';
import { Rtnl } from '../rtnl.js';
import { decodeChainAt, type Chain } from './chain.js';
import { FAMILIES, type Family } from './enums.js';
import { decodeFlowtableAt, type Flowtable } from './flowtable.js';
import { checkFamily, checkName, NftValidationError } from './names.js';
import { plainObject, show } from '../check.js';
import { decodeObject, type NamedObject } from './object.js';
import { namesInterfaces, type Expr } from './expr/spec.js';
import { decodeRuleAt, type Rule, type RuleNames } from './rule.js';
import { decodeSet, decodeSetAt, fillElements, ShapeCache, type NftSet, type SetElement } from './set.js';
import { decodeTable, type Table } from './table.js';
import { describeOperation, setKey, Transaction, type SetRef } from './transaction.js';
import { Ruleset } from './ruleset.js';
import { decodeEvents, type NftEvent } from './monitor.js';
import * as U from './uapi.js';
import { be32, eachMessage, messages, messageAttrs, NameCache, Writer, type ConcatReplies, type NfMessage } from './wire.js';

const MSG = (m: number): number => (U.NFNL_SUBSYS_NFTABLES << 8) | m;
const PER_CHAIN_DUMP = 256;
// Requests per exchange when the rules and set elements are read.
const RULE_SLICE = 2048;
const ELEMENT_SLICE = 1024;

// Which parts of the ruleset a listing decodes and dumps (beyond the tables).
interface Parts {
  chains: boolean;
  rules: boolean;
  sets: boolean;
  /** Elements of every set (true), of the sets with this name, or none (false). */
  elements: boolean | string;
  objects: boolean;
  flowtables: boolean;
}
const ALL: Parts = { chains: true, rules: true, sets: true, elements: true, objects: true, flowtables: true };
const NONE: Parts = { chains: false, rules: false, sets: false, elements: false, objects: false, flowtables: false };

// Numbers for anonymous sets named by this process (`__map<n>`): from a
// random start in [2^30, 2^31), far above what the kernel's own `%d`
// allocator hands out (the lowest free numbers), and unlikely to meet
// another process's. A clash makes the optimized batch fail (the sets are
// created with NLM_F_EXCL) and commit() resends the plain one.
const ANON_FIRST = 2 ** 30;
const ANON_SPAN = 2 ** 30;
let anonNext = ANON_FIRST + randomInt(ANON_SPAN);
/** Where commit() takes anonymous set numbers from (replaceable in tests). */
export const anonymousSetNumbers = {
  next(): number {
    const v = anonNext;
    anonNext = v + 1 < ANON_FIRST + ANON_SPAN ? v + 1 : ANON_FIRST;
    return v;
  },
};

/** A commit the kernel refused: names the operation that failed and carries every error it reported. */
export class NftCommitError extends NetlinkError {
  /** Index of the failing operation in the transaction (-1 when the batch as a whole was refused). */
  readonly operationIndex: number;
  /** Every error the kernel reported for this batch, by operation. */
  readonly failures: { operationIndex: number; operation: string; error: NativeErrorInfo }[];

  constructor(operation: string, info: NativeErrorInfo, operationIndex: number, failures: NftCommitError['failures']) {
    super(operation, info);
    this.name = 'NftCommitError';
    this.operationIndex = operationIndex;
    this.failures = failures;
  }
}

export interface ListFilter {
  family?: Family;
  table?: string;
  chain?: string;
}

export interface CommitOptions {
  /** Fail with ERESTART (and change nothing) if the ruleset generation is no longer this one. */
  generation?: number;
}

/** Validates a listing's filter (family, table and chain names); shared with FakeNftables. */
export function checkListFilter(filter: unknown, what = 'list: filter'): ListFilter {
  const f = plainObject(filter, what);
  for (const k of Object.keys(f)) if (k !== 'family' && k !== 'table' && k !== 'chain') throw new NftValidationError(`${what}: unknown key ${show(k)} (family, table, chain)`);
  if (f.family !== undefined) checkFamily(f.family, `${what}.family`);
  if (f.table !== undefined) checkName(f.table, `${what}.table`);
  if (f.chain !== undefined) checkName(f.chain, `${what}.chain`);
  return f as ListFilter;
}

/** Validates commit()'s options and its transaction; shared with FakeNftables. */
export function checkCommit(tx: unknown, options: unknown): void {
  if (!(tx instanceof Transaction)) throw new TypeError(`commit: expected a Transaction, got ${show(tx)}`);
  const o = plainObject(options, 'commit: options');
  if (o.generation !== undefined && (typeof o.generation !== 'number' || !Number.isInteger(o.generation) || o.generation < 0 || o.generation > 0xffffffff)) {
    throw new NftValidationError(`commit: options.generation must be a 32-bit unsigned integer, got ${show(o.generation)}`);
  }
}

/** The interface Nftables and FakeNftables share. */
export interface NftablesInterface {
  transaction(): Transaction;
  commit(tx: Transaction, options?: CommitOptions): Promise<void>;
  list(filter?: ListFilter): Promise<Ruleset>;
  generation(): Promise<number>;
  close(): Promise<void>;
}

function request(type: number, flags: number, family: number, body?: (w: Writer) => void): Writer {
  const w = new Writer(256);
  const m = w.beginMessage(MSG(type), flags, family);
  body?.(w);
  w.endMessage(m);
  return w;
}

/**
 * nf_tables over nfnetlink, bound to one network namespace.
 *
 * ```ts
 * const nft = await Nftables.open({ netns: 'node1' });
 * const tx = nft.transaction();
 * tx.addTable({ family: 'ip', name: 'kube-proxy' });
 * await nft.commit(tx);                       // nft -f (one atomic batch)
 * console.log((await nft.list()).toString()); // nft list ruleset
 * ```
 */
export class Nftables extends NetlinkHandle implements NftablesInterface {
  readonly #options: OpenOptions;
  // A route-netlink handle in the same namespace, opened the first time a
  // listing prints an interface by its index (see #interfaces).
  #rtnl: Promise<Rtnl> | undefined;

  private constructor(native: NativeHandle, options: OpenOptions) {
    super(native);
    this.#options = options;
  }

  /** Opens a NETLINK_NETFILTER socket in `options.netns` (default: the caller's namespace). */
  static async open(options: OpenOptions = {}): Promise<Nftables> {
    return new Nftables(await NetlinkHandle.openNative('netfilter', options, 'nft.open'), options);
  }

  /** A new, empty transaction. */
  transaction(): Transaction {
    return new Transaction();
  }

  /** The ruleset generation id (NFT_MSG_GETGEN); it changes with every committed batch. */
  async generation(): Promise<number> {
    const [gen] = await this.#requests('nft.generation', [[request(U.NFT_MSG_GETGEN, 0, 0), false]]);
    return readGeneration(gen!);
  }

  /**
   * Sends the transaction as one batch. The kernel applies all of it or none;
   * a refusal throws NftCommitError naming the operation. Equivalent to: `nft -f FILE`.
   */
  async commit(tx: Transaction, options: CommitOptions = {}): Promise<void> {
    checkCommit(tx, options);
    if (tx.error !== undefined) throw tx.error;
    await this.#learnSets(tx);
    // An optimized batch first (same effect, less kernel work: see plan.ts);
    // if the kernel refuses it, the plain one, whose errors are the ones a
    // plain commit reports.
    let batch = tx.encode({ reorder: true, anonymousId: () => anonymousSetNumbers.next() });
    if (batch.opOfMessage.length === 0) return;
    const send = (b: typeof batch) => this.run('nft.commit', (n) => n.nfnlBatch(b.bytes, U.NFNL_SUBSYS_NFTABLES, options.generation));
    let result = await send(batch);
    if (result.errors.length === 0) return;
    if (batch.optimized === true && result.errors.some((e) => e.index >= 0)) {
      batch = tx.encode();
      result = await send(batch);
      if (result.errors.length === 0) return;
    }
    const failures = result.errors.map((e) => {
      const operationIndex = e.index >= 0 && e.index < batch.opOfMessage.length ? batch.opOfMessage[e.index]! : -1;
      const operation = operationIndex >= 0 ? describeOperation(tx.operations[operationIndex]!) : 'nft.commit';
      return { operationIndex, operation, error: e.error };
    });
    const first = failures.find((f) => f.operationIndex >= 0) ?? failures[0]!;
    throw new NftCommitError(first.operation, first.error, first.operationIndex, failures);
  }

  // Element operations with typed keys on sets the transaction did not define: read their types.
  async #learnSets(tx: Transaction): Promise<void> {
    const unknown = tx.unknownSets();
    if (unknown.length === 0) return;
    const replies = await this.#requests('nft.commit', unknown.map((s) => [request(U.NFT_MSG_GETSET, 0, FAMILIES.number(s.family), (w) => {
      w.strz(U.NFTA_SET_TABLE, s.table);
      w.strz(U.NFTA_SET_NAME, s.name);
    }), false] as [Writer, boolean]), true);
    replies.forEach((r, i) => {
      const s = unknown[i]!;
      if (r.error !== undefined) throw new NetlinkError(`nft.commit: set ${s.family} ${s.table} ${s.name}`, r.error);
      const [m] = messages(r.data);
      if (m !== undefined) tx.knowSet({ ...s, ...pickType(decodeSet(m)) });
    });
  }

  async #requests(operation: string, reqs: [Writer, boolean][], keepErrors = false): Promise<{ error?: NativeErrorInfo; data: Buffer }[]> {
    const bytes = Buffer.concat(reqs.map(([w]) => w.bytes()));
    const dumps = Uint8Array.from(reqs.map(([, d]) => (d ? 1 : 0)));
    const replies = await this.run(operation, (n) => n.nfnl(bytes, dumps));
    if (!keepErrors) for (const r of replies) check(operation, r);
    return replies;
  }

  /**
   * Reads the ruleset (or the part the filter names) at one generation:
   * tables, chains, rules, sets with their elements, named objects and
   * flowtables.
   * Equivalent to: `nft list ruleset` / `nft list table FAMILY NAME`.
   */
  async list(filter: ListFilter = {}): Promise<Ruleset> {
    return this.#read(checkListFilter(filter), ALL);
  }

  // What list() reads, minus the parts a narrower listing does not return:
  // the same first exchange (so the same kernel errors), then only the rule
  // and element dumps that are needed. `elements` names one set, or is true
  // for every set.
  async #read(filter: ListFilter, parts: Parts): Promise<Ruleset> {
    const family = filter.family === undefined ? 0 : FAMILIES.number(filter.family);
    for (let attempt = 0; ; attempt++) {
      // The kernel filters dumps by table only within one family.
      const byTable = filter.table !== undefined && filter.family !== undefined;
      const dump = (type: number, body?: (w: Writer) => void): [Writer, boolean] => [request(type, 0, family, byTable ? body : undefined), true];
      const replies = await this.#requests('nft.list', [
        [request(U.NFT_MSG_GETGEN, 0, 0), false],
        dump(U.NFT_MSG_GETTABLE),
        dump(U.NFT_MSG_GETCHAIN),
        dump(U.NFT_MSG_GETSET, (w) => w.strz(U.NFTA_SET_TABLE, filter.table!)),
        dump(U.NFT_MSG_GETOBJ, (w) => w.strz(U.NFTA_OBJ_TABLE, filter.table!)),
        dump(U.NFT_MSG_GETFLOWTABLE, (w) => w.strz(U.NFTA_FLOWTABLE_TABLE, filter.table!)),
      ]);
      const generation = readGeneration(replies[0]!);
      const keep = (o: { family: Family; table?: string; name?: string }, isTable = false): boolean =>
        (filter.family === undefined || o.family === filter.family) &&
        (filter.table === undefined || (isTable ? o.name : o.table) === filter.table);
      const tableNames = new NameCache();
      const tables = messages(replies[1]!.data).map(decodeTable).filter((t) => keep(t, true));
      const chains: Chain[] = [];
      if (parts.chains || parts.rules) {
        eachMessage(replies[2]!.data, 0, replies[2]!.data.length, (at, end, fam) => {
          const c = decodeChainAt(replies[2]!.data, at, end, fam, tableNames);
          if (keep(c) && (filter.chain === undefined || c.name === filter.chain)) chains.push(c);
        });
      }
      const sets: NftSet[] = [];
      if (parts.sets) {
        eachMessage(replies[3]!.data, 0, replies[3]!.data.length, (at, end, fam) => {
          const st = decodeSetAt(replies[3]!.data, at, end, fam, tableNames);
          if (keep(st)) sets.push(st);
        });
      }
      const objects = parts.objects ? messages(replies[4]!.data).map(decodeObject).filter((o) => keep(o)) : [];
      const flowtables: Flowtable[] = [];
      if (parts.flowtables) {
        eachMessage(replies[5]!.data, 0, replies[5]!.data.length, (at, end, fam) => {
          const f = decodeFlowtableAt(replies[5]!.data, at, end, fam);
          if (keep(f)) flowtables.push(f);
        });
      }
      // Every remaining dump is queued now, in slices, so the socket's worker
      // thread reads the next slice while this one is decoded; the closing
      // generation check goes out after them.
      const ruleSlices = parts.rules ? this.#queue(this.#ruleRequests(chains, filter), RULE_SLICE) : [];
      const withElements = parts.elements === true ? sets : sets.filter((st) => st.name === parts.elements);
      const elementSlices = this.#queue(withElements.map((st) => (w: Writer) => {
        const m = w.beginMessage(MSG(U.NFT_MSG_GETSETELEM), 0, FAMILIES.number(st.family));
        w.strz(U.NFTA_SET_ELEM_LIST_TABLE, st.table);
        w.strz(U.NFTA_SET_ELEM_LIST_SET, st.name);
        w.endMessage(m);
      }), ELEMENT_SLICE);
      const after = attempt < 5 ? this.generation() : undefined;
      after?.catch(() => undefined);
      const rules: Rule[] = [];
      const names: RuleNames = { table: tableNames, chain: new NameCache() };
      try {
        for (const slice of ruleSlices) {
          const { data } = await settled(slice);
          eachMessage(data, 0, data.length, (at, end, fam) => {
            const r = decodeRuleAt(data, at, end, fam, names);
            if (keep(r) && (filter.chain === undefined || r.chain === filter.chain)) rules.push(r);
          });
        }
        const shapes = new ShapeCache();
        let first = 0;
        for (const slice of elementSlices) {
          const r = await settled(slice);
          fillElements(withElements, first, r, shapes);
          first += r.ends.length;
        }
      } catch (e) {
        // A chain or set deleted after the first dump: read again, if the
        // ruleset did change (else the error is real).
        if (after !== undefined && isNotFound(e) && (await after.catch(() => generation)) !== generation) continue;
        throw e;
      }
      if (after !== undefined && (await after) !== generation) continue;  // changed while reading
      const interfaces = await this.#interfaces(rules, sets);
      return new Ruleset({ generation, tables, chains, rules, sets, objects, flowtables, ...(interfaces !== undefined ? { interfaces } : {}) });
    }
  }

  // nft prints an interface index by its name (`meta iif "eth0"`, a set of
  // type iface_index): when a rule or set holds one, the names of the
  // namespace's links, read once per listing. Undefined if none is needed
  // (or the links cannot be read: the indexes then print as numbers).
  async #interfaces(rules: Rule[], sets: NftSet[]): Promise<ReadonlyMap<number, string> | undefined> {
    if (!rules.some((r) => r.expressions.some((e) => namesInterfaces(e as Expr))) && !sets.some(holdsIfindex)) return undefined;
    try {
      this.#rtnl ??= Rtnl.open(this.#options);
      const links = await (await this.#rtnl).listLinks();
      return new Map(links.map((l) => [l.index, l.name]));
    } catch {
      this.#rtnl = undefined;
      return undefined;
    }
  }

  /** Closes the socket (and the route-netlink one a listing may have opened). */
  override async close(): Promise<void> {
    const rtnl = this.#rtnl;
    this.#rtnl = undefined;
    await super.close();
    if (rtnl !== undefined) await (await rtnl.catch(() => undefined))?.close();
  }

  // One rule dump resumes by walking every rule already sent, so on big
  // rulesets it costs rules x chunks in the kernel; past a few hundred chains
  // the rules are dumped chain by chain instead.
  #ruleRequests(chains: Chain[], filter: ListFilter): ((w: Writer) => void)[] {
    const perChain = chains.length > PER_CHAIN_DUMP || (filter.chain !== undefined && filter.family === undefined);
    if (perChain) {
      return chains.map((c) => (w: Writer) => {
        const m = w.beginMessage(MSG(U.NFT_MSG_GETRULE), 0, FAMILIES.number(c.family));
        w.strz(U.NFTA_RULE_TABLE, c.table);
        w.strz(U.NFTA_RULE_CHAIN, c.name);
        w.endMessage(m);
      });
    }
    return [(w: Writer) => {
      const m = w.beginMessage(MSG(U.NFT_MSG_GETRULE), 0, filter.family === undefined ? 0 : FAMILIES.number(filter.family));
      if (filter.table !== undefined && filter.family !== undefined) {
        w.strz(U.NFTA_RULE_TABLE, filter.table);
        if (filter.chain !== undefined) w.strz(U.NFTA_RULE_CHAIN, filter.chain);
      }
      w.endMessage(m);
    }];
  }

  // Queues the dump requests in slices of `size`, one exchange each, every
  // reply of a slice in one buffer. The promises are marked handled: a
  // failure is thrown where the slice is awaited, and a slice after a failed
  // one is not left rejected and unobserved.
  #queue(reqs: ((w: Writer) => void)[], size: number): Promise<ConcatReplies>[] {
    const out: Promise<ConcatReplies>[] = [];
    for (let i = 0; i < reqs.length; i += size) {
      const n = Math.min(size, reqs.length - i);
      const w = new Writer(64 * n);
      for (let j = 0; j < n; j++) reqs[i + j]!(w);
      const p = this.run('nft.list', (native) => native.nfnlConcat(w.bytes(), new Uint8Array(n).fill(1))).then((r) => {
        if (r.errors.length > 0) throw new NetlinkError('nft.list', r.errors[0]!.error);
        return r;
      });
      p.catch(() => undefined);
      out.push(p);
    }
    return out;
  }

  /** Tables only. Equivalent to: `nft list tables`. */
  async listTables(filter: Pick<ListFilter, 'family'> = {}): Promise<Table[]> {
    return (await this.#read(checkListFilter(filter, 'listTables: filter'), NONE)).tables;
  }

  /** Chains, optionally of one family/table. Equivalent to: `nft list chains`. */
  async listChains(filter: ListFilter = {}): Promise<Chain[]> {
    return (await this.#read(checkListFilter(filter, 'listChains: filter'), { ...NONE, chains: true })).chains;
  }

  /** Rules, optionally of one family/table/chain. Equivalent to: `nft -a list chain FAMILY TABLE CHAIN`. */
  async listRules(filter: ListFilter = {}): Promise<Rule[]> {
    return (await this.#read(checkListFilter(filter, 'listRules: filter'), { ...NONE, rules: true })).rules;
  }

  /**
   * Sets and maps with their elements (`elements: false`: their definitions
   * only, one dump instead of one more per set). Equivalent to: `nft list sets`.
   */
  async listSets(filter: ListFilter = {}, options: { elements?: boolean } = {}): Promise<NftSet[]> {
    const o = plainObject(options, 'listSets: options');
    if (o.elements !== undefined && typeof o.elements !== 'boolean') throw new TypeError(`listSets: options.elements must be true or false, got ${show(o.elements)}`);
    return (await this.#read(checkListFilter(filter, 'listSets: filter'), { ...NONE, sets: true, elements: options.elements ?? true })).sets;
  }

  /** The elements of one set. Equivalent to: `nft list set FAMILY TABLE NAME`. */
  async listElements(set: SetRef): Promise<SetElement[]> {
    plainObject(set, 'listElements: set');
    checkFamily(set.family, 'listElements: set.family');
    checkName(set.table, 'listElements: set.table');
    checkName(set.name, 'listElements: set.name');
    // The sets of the table as list() reads them, but only this one's elements.
    const s = (await this.#read({ family: set.family, table: set.table }, { ...NONE, sets: true, elements: set.name })).sets.find((x) => x.name === set.name);
    if (s === undefined) throw new NetlinkError('nft.listElements', { errno: 2, code: 'ENOENT', message: 'No such file or directory', detail: `set ${setKey(set).replace(/\0/g, ' ')}` });
    return s.elements ?? [];
  }

  /** Named counters and quotas. Equivalent to: `nft list counters` / `nft list quotas`. */
  async listObjects(filter: ListFilter = {}): Promise<NamedObject[]> {
    return (await this.#read(checkListFilter(filter, 'listObjects: filter'), { ...NONE, objects: true })).objects;
  }

  /** Flowtables, optionally of one family/table. Equivalent to: `nft list flowtables`. */
  async listFlowtables(filter: Pick<ListFilter, 'family' | 'table'> = {}): Promise<Flowtable[]> {
    return (await this.#read(checkListFilter(filter, 'listFlowtables: filter'), { ...NONE, flowtables: true })).flowtables;
  }

  /**
   * Ruleset change events (new/deleted tables, chains, rules, sets,
   * elements, objects, flowtables, and each new generation), as an async iterator.
   * Break out of the loop to stop. Equivalent to: `nft monitor`.
   */
  async *monitor(options: { pollMs?: number } = {}): AsyncGenerator<NftEvent, void, undefined> {
    const native = await NetlinkHandle.openNative('netfilter', this.#options, 'nft.monitor');
    try {
      native.subscribe(U.NFNLGRP_NFTABLES);
      for (;;) {
        const { data, lost } = await native.receive(options.pollMs ?? 200);
        if (lost) yield { type: 'lost' };
        if (data.length > 0) for (const e of decodeEvents(data)) yield e;
      }
    } finally {
      native.close();
    }
  }
}

// Waits for a queued slice, then lets the microtasks run (the next slice's
// exchange starts in one of them) before the caller decodes this one.
async function settled<T>(p: Promise<T>): Promise<T> {
  const v = await p;
  await new Promise<void>((resolve) => setImmediate(resolve));
  return v;
}

function readGeneration(reply: { data: Buffer }): number {
  const [m] = messages(reply.data);
  const id = m === undefined ? undefined : messageAttrs(m as NfMessage)[U.NFTA_GEN_ID];
  if (id === undefined) throw new NetlinkError('nft.generation', { errno: 74, code: 'EBADMSG', message: 'Bad message', detail: 'no generation id in reply' });
  return be32(id, 'generation');
}

// A set whose key or data is (or has a part of) type iface_index (20; concatenations use 6 bits a part).
function holdsIfindex(s: NftSet): boolean {
  for (const id of [s.keyTypeId, s.dataTypeId]) {
    if (id === undefined || id === 0xffffff00) continue;
    for (let t = id; t !== 0; t = Math.floor(t / 64)) if (t % 64 === 20) return true;
  }
  return false;
}

function pickType(s: NftSet): Pick<NftSet, 'type' | 'map' | 'flags'> {
  return { type: s.type, ...(s.map !== undefined ? { map: s.map } : {}), ...(s.flags !== undefined ? { flags: s.flags } : {}) };
}
