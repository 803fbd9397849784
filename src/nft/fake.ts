// FakeNftables: the same interface as Nftables, with the ruleset kept in
// memory. Commits are atomic and checked the way the kernel checks them (a
// rule in a missing chain, a jump to a missing chain, an element of a
// missing set, deleting what is in use, a flowtable device taken twice),
// failing with the same errno codes,
// so code that drives nftables can be unit-tested without privilege.
import type { NativeErrorInfo } from '../errors.js';
import type { Chain } from './chain.js';
import type { Verdict } from './expr/data.js';
import { checkCommit, checkListFilter, NftCommitError, type CommitOptions, type ListFilter, type NftablesInterface } from './nftables.js';
import type { Rule } from './rule.js';
import { Ruleset } from './ruleset.js';
import { setFlagBits, setUserdata, type NftSet, type SetElement } from './set.js';
import type { Table } from './table.js';
import { kindOf, setKey, type FakeContext, type FakeState } from './kinds/index.js';
import { describeOperation, Transaction, type Operation } from './transaction.js';
import { encodeKey, keyLength, splitType } from './datatypes.js';

const ERR: Record<string, NativeErrorInfo> = {
  ENOENT: { errno: 2, code: 'ENOENT', message: 'No such file or directory' },
  EEXIST: { errno: 17, code: 'EEXIST', message: 'File exists' },
  EBUSY: { errno: 16, code: 'EBUSY', message: 'Device or resource busy' },
  ERESTART: { errno: 85, code: 'ERESTART', message: 'Interrupted system call should be restarted' },
  EINVAL: { errno: 22, code: 'EINVAL', message: 'Invalid argument' },
  EOPNOTSUPP: { errno: 95, code: 'EOPNOTSUPP', message: 'Operation not supported' },
};

class Refusal extends Error {
  constructor(readonly code: keyof typeof ERR, readonly why: string) {
    super(why);
  }
}

const clone = <T>(x: T): T => structuredClone(x);

export class FakeNftables implements NftablesInterface {
  #state: FakeState = { generation: 1, tables: [], chains: [], rules: [], sets: [], objects: [], flowtables: [] };
  #handle = 1;
  #closed = false;
  // Which operation added each rule of the batch being applied, for error reports.
  #addedBy = new WeakMap<Rule, number>();
  #opIndex = 0;

  transaction(): Transaction {
    return new Transaction();
  }

  async generation(): Promise<number> {
    return this.#state.generation;
  }

  async commit(tx: Transaction, options: CommitOptions = {}): Promise<void> {
    if (this.#closed) throw new Error('nft.commit: handle is closed');
    checkCommit(tx, options);
    if (tx.error !== undefined) throw tx.error;
    for (const ref of tx.unknownSets()) {
      const s = this.#state.sets.find((x) => setKey(x) === setKey(ref));
      if (s !== undefined) tx.knowSet({ ...ref, type: s.type, ...(s.map !== undefined ? { map: s.map } : {}), ...(s.flags !== undefined ? { flags: s.flags } : {}) });
    }
    tx.encode();  // the same encoding checks the real handle makes
    if (options.generation !== undefined && options.generation !== this.#state.generation) {
      throw new NftCommitError('nft.commit', { ...ERR.ERESTART!, detail: 'ruleset generation changed' }, -1, []);
    }
    const next = clone(this.#state);
    const refuse = (e: unknown, i: number): never => {
      if (!(e instanceof Refusal)) throw e;
      const op = tx.operations[i]!;
      const info = { ...ERR[e.code]!, detail: e.why };
      throw new NftCommitError(describeOperation(op), info, i, [{ operationIndex: i, operation: describeOperation(op), error: info }]);
    };
    tx.operations.forEach((op, i) => {
      this.#opIndex = i;
      try {
        this.#apply(next, op);
      } catch (e) {
        refuse(e, i);
      }
    });
    // Like the kernel, references are checked once the whole batch is in place.
    for (const r of next.rules) {
      try {
        this.#checkRule(next, r);
      } catch (e) {
        refuse(e, this.#addedBy.get(r) ?? 0);
      }
    }
    if (tx.operations.length > 0) next.generation++;
    this.#state = next;
  }

  async list(filter: ListFilter = {}): Promise<Ruleset> {
    checkListFilter(filter);
    const s = clone(this.#state);
    const keep = (o: { family: string; table?: string; name?: string }, isTable = false) =>
      (filter.family === undefined || o.family === filter.family) && (filter.table === undefined || (isTable ? o.name : o.table) === filter.table);
    return new Ruleset({
      generation: s.generation,
      tables: s.tables.filter((t) => keep(t, true)),
      chains: s.chains.filter((c) => keep(c) && (filter.chain === undefined || c.name === filter.chain)),
      rules: s.rules.filter((r) => keep(r) && (filter.chain === undefined || r.chain === filter.chain)),
      sets: s.sets.filter((x) => keep(x)),
      objects: s.objects.filter((o) => keep(o)),
      flowtables: s.flowtables.filter((f) => keep(f)),
    });
  }

  /** The state in nft syntax (`nft list ruleset`). */
  dump(): string {
    return new Ruleset(clone(this.#state)).toString();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #table(s: FakeState, family: string, name: string): Table | undefined {
    return s.tables.find((t) => t.family === family && t.name === name);
  }

  #needTable(s: FakeState, family: string, name: string): void {
    if (this.#table(s, family, name) === undefined) throw new Refusal('ENOENT', `table ${family} ${name} does not exist`);
  }

  // Each kind of operation applies itself (kinds/), with what the fake knows.
  #apply(s: FakeState, op: Operation): void {
    kindOf(op).apply(s, op as never, this.#context);
  }

  readonly #context: FakeContext = {
    handle: () => this.#handle++,
    nextHandle: () => this.#handle,
    refuse: (code, why) => { throw new Refusal(code, why); },
    table: (s, family, name) => this.#table(s, family, name),
    needTable: (s, family, name) => this.#needTable(s, family, name),
    needChain: (s, where, v) => this.#needChain(s, where, v),
    chainReferenced: (s, c) => this.#chainReferenced(s, c),
    newSet: (x) => this.#newSet(x),
    typed: (set, els) => this.#typed(set, els),
    added: (rule) => { this.#addedBy.set(rule, this.#opIndex); },
  };

  // Jumps, gotos, set lookups, object and flowtable references must name
  // things that exist; `flow add` works in forward chains only.
  #checkRule(s: FakeState, r: Rule): void {
    for (const e of r.expressions as unknown as Record<string, unknown>[]) {
      const v = e.data as Verdict | undefined;
      if (e.type === 'immediate' && v !== undefined && 'kind' in v && v.chain !== undefined) this.#needChain(s, r, v);
      if ((e.type === 'lookup' || e.type === 'dynset') && !s.sets.some((x) => x.family === r.family && x.table === r.table && x.name === e.set)) {
        throw new Refusal('ENOENT', `set ${String(e.set)} does not exist`);
      }
      if (e.type === 'objref' && e.name !== undefined && !s.objects.some((o) => o.family === r.family && o.table === r.table && o.name === e.name)) {
        throw new Refusal('ENOENT', `object ${String(e.name)} does not exist`);
      }
      if (e.type === 'flow_offload') {
        if (!s.flowtables.some((f) => f.family === r.family && f.table === r.table && f.name === e.flowtable)) {
          throw new Refusal('ENOENT', `flowtable ${String(e.flowtable)} does not exist`);
        }
        const chain = s.chains.find((c) => c.family === r.family && c.table === r.table && c.name === r.chain);
        if (chain?.hook !== undefined && chain.hook !== 'forward') throw new Refusal('EOPNOTSUPP', `flow add works in forward chains, not at hook ${chain.hook}`);
      }
    }
  }

  #needChain(s: FakeState, where: { family: string; table: string }, v: Verdict): void {
    if (!s.chains.some((c) => c.family === where.family && c.table === where.table && c.name === v.chain)) {
      throw new Refusal('ENOENT', `${v.kind} to chain ${v.chain}, which does not exist`);
    }
  }

  #chainReferenced(s: FakeState, c: Chain): boolean {
    const refers = (v: unknown) => typeof v === 'object' && v !== null && (v as Verdict).chain === c.name;
    return s.rules.some((r) => r.family === c.family && r.table === c.table && r.expressions.some((e) => refers((e as { data?: unknown }).data))) ||
      s.sets.some((x) => x.family === c.family && x.table === c.table && (x.elements ?? []).some((e) => refers(e.verdict)));
  }

  // What the kernel fills in: flag bits, key length, 65535 as the size of dynamic sets.
  #newSet(x: NftSet): NftSet {
    // The userdata the library sends with a set (key and data byte orders), as the kernel lists it back.
    const set: NftSet = { ...clone(x), flagBits: setFlagBits(x), handle: this.#handle++ };
    try { set.userdata ??= setUserdata(x); } catch { /* raw types: no userdata */ }
    try { set.keyLen ??= keyLength(splitType(x.type)); } catch { /* raw type */ }
    if (x.flags?.includes('dynamic') && x.size === undefined) set.size = 65535;
    set.elements = this.#typed(x, x.elements ?? []);
    return set;
  }

  // Elements are kept typed, as a listing from the kernel returns them.
  #typed(set: NftSet, els: SetElement[]): SetElement[] {
    let parts: ReturnType<typeof splitType> | undefined;
    try { parts = splitType(set.type); } catch { parts = undefined; }
    return els.map((e) => {
      const c = clone(e);
      if (parts !== undefined && !(c.key instanceof Uint8Array)) {
        const values = Array.isArray(c.key) ? c.key : [c.key];
        encodeKey(parts, values);  // throws on a value of the wrong type or width
        // Stored as the kernel would give them back: '10.0.0.1', 80, 'tcp'.
        c.key = values.length === 1 ? parts[0]!.format(parts[0]!.parse(values[0]!)) : values.map((v, i) => parts![i]!.format(parts![i]!.parse(v)));
      }
      if (set.timeout !== undefined && c.timeout === undefined) c.timeout = set.timeout;
      return c;
    });
  }
}
