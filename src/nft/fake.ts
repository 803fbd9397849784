// FakeNftables: the same interface as Nftables, with the ruleset kept in
// memory. Commits are atomic and checked the way the kernel checks them (a
// rule in a missing chain, a jump to a missing chain, an element of a
// missing set, deleting what is in use, a flowtable device taken twice),
// failing with the same errno codes,
// so code that drives nftables can be unit-tested without privilege.
import { HandleClosedError, type NativeErrorInfo } from '../errors.js';
import type { Chain } from './chain.js';
import type { Verdict } from './expr/data.js';
import { checkCommit, checkListFilter, NftCommitError, type CommitOptions, type ListFilter, type NftablesInterface } from './nftables.js';
import type { Rule } from './rule.js';
import { Ruleset } from './ruleset.js';
import { setFlagBits, setUserdata, type NftSet, type SetElement } from './set.js';
import type { Table } from './table.js';
import { kindOf, setKey, type FakeContext, type FakeState } from './kinds/index.js';
import { clone } from './kinds/kind.js';
import { describeOperation, Transaction, type Operation } from './transaction.js';
import { encodeKey, keyLength, splitType } from './datatypes.js';
import { checkJumpDepth, checkRegisters } from './fake-checks.js';

const ERR: Record<string, NativeErrorInfo> = {
  ENOENT: { errno: 2, code: 'ENOENT', message: 'No such file or directory' },
  EEXIST: { errno: 17, code: 'EEXIST', message: 'File exists' },
  EBUSY: { errno: 16, code: 'EBUSY', message: 'Device or resource busy' },
  ERESTART: { errno: 85, code: 'ERESTART', message: 'Interrupted system call should be restarted' },
  EINVAL: { errno: 22, code: 'EINVAL', message: 'Invalid argument' },
  EOPNOTSUPP: { errno: 95, code: 'EOPNOTSUPP', message: 'Operation not supported' },
  ENODATA: { errno: 61, code: 'ENODATA', message: 'No data available' },
  EMLINK: { errno: 31, code: 'EMLINK', message: 'Too many links' },
};

class Refusal extends Error {
  constructor(readonly code: keyof typeof ERR, readonly why: string) {
    super(why);
  }
}

// The state a commit works on: new lists of shallow copies, so applying an
// operation (which replaces an object's fields or a list, never edits an
// element or a rule in place) leaves the committed state as it was, at a
// cost that does not grow with the number of elements.
function working(s: FakeState): FakeState {
  const copy = <T extends object>(xs: T[]): T[] => xs.map((x) => ({ ...x }));
  return {
    generation: s.generation, tables: copy(s.tables), chains: copy(s.chains), rules: copy(s.rules),
    sets: copy(s.sets), objects: copy(s.objects), flowtables: copy(s.flowtables),
  };
}

export class FakeNftables implements NftablesInterface {
  #state: FakeState = { generation: 1, tables: [], chains: [], rules: [], sets: [], objects: [], flowtables: [] };
  #handle = 1;
  #closed = false;
  // Which operation added each rule of the batch being applied, for error reports.
  #addedBy = new WeakMap<Rule, number>();
  // Rules of the batch whose references did not resolve when they were added.
  #addedEarly: { rule: Rule; index: number }[] = [];
  #opIndex = 0;

  transaction(): Transaction {
    return new Transaction();
  }

  async generation(): Promise<number> {
    this.#open('nft.generation');
    return this.#state.generation;
  }

  async commit(tx: Transaction, options: CommitOptions = {}): Promise<void> {
    this.#open('nft.commit');
    checkCommit(tx, options);
    if (tx.error !== undefined) throw tx.error;
    for (const ref of tx.unknownSets()) {
      const s = this.#state.sets.find((x) => setKey(x) === setKey(ref));
      if (s !== undefined) tx.knowSet({ ...ref, type: s.type, ...(s.map !== undefined ? { map: s.map } : {}), ...(s.flags !== undefined ? { flags: s.flags } : {}) });
    }
    const sends = tx.encode().opOfMessage.length > 0;  // the same encoding checks the real handle makes
    if (options.generation !== undefined && options.generation !== this.#state.generation) {
      throw new NftCommitError('nft.commit', { ...ERR.ERESTART!, detail: 'ruleset generation changed' }, -1, []);
    }
    const next = working(this.#state);
    const refuse = (e: unknown, i: number): never => {
      if (!(e instanceof Refusal)) throw e;
      const op = tx.operations[i]!;
      const info = { ...ERR[e.code]!, detail: e.why };
      throw new NftCommitError(describeOperation(op), info, i, [{ operationIndex: i, operation: describeOperation(op), error: info }]);
    };
    this.#addedEarly = [];
    tx.operations.forEach((op, i) => {
      this.#opIndex = i;
      try {
        this.#apply(next, op);
      } catch (e) {
        refuse(e, i);
      }
    });
    // Like the kernel, references are checked once the whole batch is in place;
    // a rule the batch added and deleted again, against what existed when it
    // was added or exists at the end (commit() may send the batch reordered).
    const kept = new Set(next.rules);
    for (const { rule, index } of this.#addedEarly.splice(0)) {
      if (kept.has(rule)) continue;
      try {
        this.#checkRule(next, rule);
      } catch (e) {
        refuse(e, index);
      }
    }
    for (const r of next.rules) {
      try {
        this.#checkRule(next, r);
      } catch (e) {
        refuse(e, this.#addedBy.get(r) ?? 0);
      }
    }
    try {
      checkJumpDepth(next, (code, why) => { throw new Refusal(code, why); });
    } catch (e) {
      refuse(e, tx.operations.length - 1);
    }
    if (sends) next.generation++;  // a batch with no message is not sent
    this.#state = next;
  }

  async list(filter: ListFilter = {}): Promise<Ruleset> {
    this.#open('nft.list');
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

  /** Later commit(), list() and generation() calls fail with ERR_HANDLE_CLOSED; dump() still shows the state. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #open(operation: string): void {
    if (this.#closed) throw new HandleClosedError(operation);
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
    typed: (set, els, deleting) => this.#typed(set, els, deleting),
    added: (rule, s) => {
      // Checked as the kernel checks it, when the rule is added (a later operation may delete it).
      checkRegisters(rule.expressions as unknown as Record<string, unknown>[], (code, why) => { throw new Refusal(code, why); });
      this.#addedBy.set(rule, this.#opIndex);
      try {
        this.#checkRule(s, rule);
      } catch (e) {
        if (!(e instanceof Refusal)) throw e;
        this.#addedEarly.push({ rule, index: this.#opIndex });
      }
    },
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
  // A deletion needs keys only.
  #typed(set: NftSet, els: SetElement[], deleting = false): SetElement[] {
    let parts: ReturnType<typeof splitType> | undefined;
    try { parts = splitType(set.type); } catch { parts = undefined; }
    // The kernel's checks of each element: a raw key of the set's key length, data for a map's element.
    const keyLen = set.keyLen ?? (parts === undefined ? undefined : keyLength(parts));
    return els.map((e) => {
      const c = clone(e);
      if (c.key instanceof Uint8Array && keyLen !== undefined && c.key.length !== keyLen) throw new Refusal('EINVAL', `key of ${c.key.length} bytes, the set's keys have ${keyLen}`);
      // A raw key of a one-part type is the value the kernel lists back.
      if (c.key instanceof Uint8Array && parts?.length === 1 && c.key.length === keyLen && (parts[0]!.fits?.(c.key) ?? true)) c.key = parts[0]!.format(c.key);
      if (!deleting && set.map !== undefined && c.intervalEnd !== true && c.value === undefined && c.verdict === undefined && c.objref === undefined) throw new Refusal('EINVAL', 'map element without data');
      if (parts !== undefined && !(c.key instanceof Uint8Array)) {
        const values = Array.isArray(c.key) ? c.key : [c.key];
        const prefix = values.length === 1 && typeof values[0] === 'string' ? /^(.*)\/(\d+)$/.exec(values[0]) : null;
        if (prefix !== null) {
          // An interval set's prefix: the kernel lists a full-length one as the address alone.
          const bytes = parts[0]!.parse(prefix[1]!);
          const bits = Number(prefix[2]);
          c.key = bits === bytes.length * 8 ? parts[0]!.format(bytes) : `${parts[0]!.format(bytes)}/${bits}`;
        } else {
          encodeKey(parts, values);  // throws on a value of the wrong type or width
          // Stored as the kernel would give them back: '10.0.0.1', 80, 'tcp'.
          c.key = values.length === 1 ? parts[0]!.format(parts[0]!.parse(values[0]!)) : values.map((v, i) => parts![i]!.format(parts![i]!.parse(v)));
        }
      }
      if (set.timeout !== undefined && c.timeout === undefined) c.timeout = set.timeout;
      return c;
    });
  }
}
