// FakeNftables: the same interface as Nftables, with the ruleset kept in
// memory. Commits are atomic and checked the way the kernel checks them (a
// rule in a missing chain, a jump to a missing chain, an element of a
// missing set, deleting what is in use, a flowtable device taken twice),
// failing with the same errno codes,
// so code that drives nftables can be unit-tested without privilege.
import type { NativeErrorInfo } from '../errors.js';
import type { Chain } from './chain.js';
import type { Verdict } from './expr/data.js';
import type { Flowtable, FlowtableRef } from './flowtable.js';
import type { NamedObject } from './object.js';
import { NftCommitError, type CommitOptions, type ListFilter, type NftablesInterface } from './nftables.js';
import type { Rule } from './rule.js';
import { Ruleset, type RulesetData } from './ruleset.js';
import { setFlagBits, setUserdata, type NftSet, type SetElement } from './set.js';
import type { Table } from './table.js';
import { describeOperation, isInline, setKey, Transaction, type InlineLookup, type Operation } from './transaction.js';
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
  #state: Required<Omit<RulesetData, 'interfaces'>> = { generation: 1, tables: [], chains: [], rules: [], sets: [], objects: [], flowtables: [] };
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

  #table(s: Required<Omit<RulesetData, 'interfaces'>>, family: string, name: string): Table | undefined {
    return s.tables.find((t) => t.family === family && t.name === name);
  }

  #needTable(s: Required<Omit<RulesetData, 'interfaces'>>, family: string, name: string): void {
    if (this.#table(s, family, name) === undefined) throw new Refusal('ENOENT', `table ${family} ${name} does not exist`);
  }

  #apply(s: Required<Omit<RulesetData, 'interfaces'>>, op: Operation): void {
    const adding = op.verb === 'add' || op.verb === 'create' || op.verb === 'insert' || op.verb === 'replace';
    switch (op.kind) {
      case 'ruleset':
        for (const k of ['tables', 'chains', 'rules', 'sets', 'objects', 'flowtables'] as const) {
          (s[k] as { family: string }[]) = (s[k] as { family: string }[]).filter((x) => op.family !== undefined && x.family !== op.family);
        }
        return;
      case 'table': {
        const t = op.table;
        const have = this.#table(s, t.family, t.name);
        if (op.verb === 'flush') {
          if (!have) throw new Refusal('ENOENT', 'no such table');
          s.rules = s.rules.filter((r) => !(r.family === t.family && r.table === t.name));
          return;
        }
        if (adding) {
          if (have && op.verb === 'create') throw new Refusal('EEXIST', 'table exists');
          if (!have) s.tables.push({ ...clone(t), handle: this.#handle++ });
          else if (t.comment !== undefined) have.comment = t.comment;
          return;
        }
        if (!have) {
          if (op.verb === 'destroy') return;
          throw new Refusal('ENOENT', 'no such table');
        }
        const other = <T extends { family: string; table: string }>(x: T) => !(x.family === t.family && x.table === t.name);
        s.tables = s.tables.filter((x) => x !== have);
        s.chains = s.chains.filter(other); s.rules = s.rules.filter(other); s.sets = s.sets.filter(other); s.objects = s.objects.filter(other);
        s.flowtables = s.flowtables.filter(other);
        return;
      }
      case 'chain': {
        const c = op.chain;
        this.#needTable(s, c.family, c.table);
        const same = (x: Chain) => x.family === c.family && x.table === c.table && x.name === c.name;
        const have = s.chains.find(same);
        if (op.verb === 'flush') {
          if (!have) throw new Refusal('ENOENT', 'no such chain');
          s.rules = s.rules.filter((r) => !(r.family === c.family && r.table === c.table && r.chain === c.name));
          return;
        }
        if (adding) {
          if (have && op.verb === 'create') throw new Refusal('EEXIST', 'chain exists');
          if (have && c.hook !== undefined && have.hook !== c.hook) throw new Refusal('EBUSY', 'cannot change a chain\'s hook');
          if (!have) s.chains.push({ ...clone(c), handle: this.#handle++, ...(c.hook !== undefined && c.policy === undefined ? { policy: 'accept' as const } : {}) });
          else if (c.policy !== undefined) have.policy = c.policy;
          return;
        }
        if (!have) {
          if (op.verb === 'destroy') return;
          throw new Refusal('ENOENT', 'no such chain');
        }
        if (s.rules.some((r) => r.family === c.family && r.table === c.table && r.chain === c.name)) throw new Refusal('EBUSY', 'chain is not empty');
        if (this.#chainReferenced(s, c)) throw new Refusal('EBUSY', 'chain is in use');
        s.chains = s.chains.filter((x) => !same(x));
        return;
      }
      case 'rule': return this.#applyRule(s, op);
      case 'set': {
        const x = op.set;
        this.#needTable(s, x.family, x.table);
        const have = s.sets.find((y) => setKey(y) === setKey(x));
        if (op.verb === 'flush') {
          if (!have) throw new Refusal('ENOENT', 'no such set');
          have.elements = [];
          return;
        }
        if (adding) {
          if (have && op.verb === 'create') throw new Refusal('EEXIST', 'set exists');
          if (!have) s.sets.push(this.#newSet(x));
          else if (x.elements) have.elements = mergeElements(have.elements ?? [], this.#typed(x, x.elements));
          return;
        }
        if (!have) {
          if (op.verb === 'destroy') return;
          throw new Refusal('ENOENT', 'no such set');
        }
        if (s.rules.some((r) => r.family === x.family && r.table === x.table && r.expressions.some((e) => (e as { set?: unknown }).set === x.name))) {
          throw new Refusal('EBUSY', 'set is in use');
        }
        s.sets = s.sets.filter((y) => y !== have);
        return;
      }
      case 'elements': {
        const have = s.sets.find((y) => setKey(y) === setKey(op.set));
        if (!have) throw new Refusal('ENOENT', `set ${op.set.name} does not exist`);
        const els = this.#typed(have, op.elements);
        for (const e of els) if (e.verdict?.chain !== undefined) this.#needChain(s, have, e.verdict);
        if (adding) {
          if (op.verb === 'create' && els.some((e) => (have.elements ?? []).some((h) => sameKey(h, e)))) throw new Refusal('EEXIST', 'element exists');
          have.elements = mergeElements(have.elements ?? [], els);
        } else {
          for (const e of els) {
            const i = (have.elements ?? []).findIndex((h) => sameKey(h, e));
            if (i < 0) {
              if (op.verb === 'destroy') continue;
              throw new Refusal('ENOENT', 'no such element');
            }
            have.elements!.splice(i, 1);
          }
        }
        return;
      }
      case 'object': {
        const o = op.object;
        this.#needTable(s, o.family, o.table);
        const same = (x: NamedObject) => x.family === o.family && x.table === o.table && x.name === o.name;
        const have = s.objects.find(same);
        if (adding) {
          if (have && op.verb === 'create') throw new Refusal('EEXIST', 'object exists');
          if (!have) s.objects.push({ ...clone(o), handle: this.#handle++ });
          return;
        }
        if (!have) {
          if (op.verb === 'destroy') return;
          throw new Refusal('ENOENT', 'no such object');
        }
        s.objects = s.objects.filter((x) => !same(x));
        return;
      }
      case 'flowtable':
        if (op.verb === 'add' || op.verb === 'create') this.#addFlowtable(s, op.flowtable as Flowtable, op.verb === 'create');
        else this.#deleteFlowtable(s, op.flowtable, op.verb === 'destroy');
    }
  }

  // What nf_tables_newflowtable does: create it, or (add on one that exists)
  // hook the devices it does not have yet.
  #addFlowtable(s: Required<Omit<RulesetData, 'interfaces'>>, f: Flowtable, exclusive: boolean): void {
    this.#needTable(s, f.family, f.table);
    const have = s.flowtables.find((x) => x.family === f.family && x.table === f.table && x.name === f.name);
    if (have !== undefined && exclusive) throw new Refusal('EEXIST', `flowtable ${f.name} exists`);
    const others = s.flowtables.filter((x) => x !== have && x.family === f.family && x.table === f.table);
    for (const d of f.devices ?? []) {
      const taken = others.find((x) => x.devices?.includes(d));
      if (taken !== undefined) throw new Refusal('EEXIST', `device ${d} is already in flowtable ${taken.name}`);
    }
    if (have === undefined) {
      s.flowtables.push({
        family: f.family, table: f.table, name: f.name, hook: 'ingress', priority: f.priority ?? 0,
        devices: [...(f.devices ?? [])], flags: [...(f.flags ?? [])], handle: this.#handle++,
      });
      return;
    }
    if ((f.priority ?? 0) !== (have.priority ?? 0)) throw new Refusal('EOPNOTSUPP', `cannot change the priority of flowtable ${f.name}`);
    if ((f.flags ?? []).includes('offload') !== (have.flags ?? []).includes('offload')) throw new Refusal('EOPNOTSUPP', `cannot change flags offload of flowtable ${f.name}`);
    // The kernel appends the new hooks; read back (last sent first) they come before the old ones.
    have.devices = [...(f.devices ?? []).filter((d) => !(have.devices ?? []).includes(d)), ...(have.devices ?? [])];
    have.flags = [...(f.flags ?? [])];
  }

  // What nf_tables_delflowtable does: by name or handle; with devices, unhook only those.
  #deleteFlowtable(s: Required<Omit<RulesetData, 'interfaces'>>, f: FlowtableRef, destroy: boolean): void {
    this.#needTable(s, f.family, f.table);
    const have = s.flowtables.find((x) => x.family === f.family && x.table === f.table && (f.name !== undefined ? x.name === f.name : x.handle === f.handle));
    if (have === undefined) {
      if (destroy) return;
      throw new Refusal('ENOENT', `no such flowtable ${f.name ?? `handle ${f.handle}`}`);
    }
    if (f.devices !== undefined && f.devices.length > 0) {
      const missing = f.devices.find((d) => !(have.devices ?? []).includes(d));
      if (missing !== undefined) throw new Refusal('ENOENT', `flowtable ${have.name} has no device ${missing}`);
      have.devices = (have.devices ?? []).filter((d) => !f.devices!.includes(d));
      return;
    }
    if (s.rules.some((r) => r.family === have.family && r.table === have.table && r.expressions.some((e) => e.type === 'flow_offload' && e.flowtable === have.name))) {
      throw new Refusal('EBUSY', `flowtable ${have.name} is in use`);
    }
    s.flowtables = s.flowtables.filter((x) => x !== have);
  }

  #applyRule(s: Required<Omit<RulesetData, 'interfaces'>>, op: Extract<Operation, { kind: 'rule' }>): void {
    const r = op.rule;
    this.#needTable(s, r.family, r.table);
    if (!s.chains.some((c) => c.family === r.family && c.table === r.table && c.name === r.chain)) {
      throw new Refusal('ENOENT', `chain ${r.chain} does not exist`);
    }
    const inChain = (x: Rule) => x.family === r.family && x.table === r.table && x.chain === r.chain;
    const at = r.handle !== undefined ? s.rules.findIndex((x) => inChain(x) && x.handle === r.handle) : -1;
    if (op.verb === 'delete' || op.verb === 'destroy') {
      if (at < 0) {
        if (op.verb === 'destroy') return;
        throw new Refusal('ENOENT', 'no such rule');
      }
      s.rules.splice(at, 1);
      return;
    }
    const expressions = r.expressions.map((e) => {
      const inline = e as unknown as InlineLookup;
      if (!isInline(e)) return clone(e);
      const { name: meter, elements, flags, ...given } = inline.set;
      const name = meter ?? `__${inline.set.map !== undefined ? 'map' : 'set'}${this.#handle}`;
      const anon = this.#newSet({ ...given, family: r.family, table: r.table, name, flags: ['anonymous', 'constant', ...(flags ?? [])], elements });
      s.sets.push(anon);
      return { ...clone(inline), set: name } as unknown as typeof e;
    });
    const rule: Rule = { ...clone(r), expressions, handle: op.verb === 'replace' ? r.handle! : this.#handle++ };
    this.#addedBy.set(rule, this.#opIndex);
    delete rule.position;
    if (op.verb === 'replace') {
      if (at < 0) throw new Refusal('ENOENT', 'no such rule');
      s.rules[at] = rule;
      return;
    }
    const pos = r.position !== undefined ? s.rules.findIndex((x) => inChain(x) && x.handle === r.position) : -1;
    if (r.position !== undefined && pos < 0) throw new Refusal('ENOENT', 'no rule at that position');
    if (op.verb === 'insert') {
      const first = pos >= 0 ? pos : s.rules.findIndex(inChain);
      s.rules.splice(first >= 0 ? first : s.rules.length, 0, rule);
    } else {
      let last = -1;
      s.rules.forEach((x, i) => { if (inChain(x)) last = i; });
      s.rules.splice(pos >= 0 ? pos + 1 : last >= 0 ? last + 1 : s.rules.length, 0, rule);
    }
  }

  // Jumps, gotos, set lookups, object and flowtable references must name
  // things that exist; `flow add` works in forward chains only.
  #checkRule(s: Required<Omit<RulesetData, 'interfaces'>>, r: Rule): void {
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

  #needChain(s: Required<Omit<RulesetData, 'interfaces'>>, where: { family: string; table: string }, v: Verdict): void {
    if (!s.chains.some((c) => c.family === where.family && c.table === where.table && c.name === v.chain)) {
      throw new Refusal('ENOENT', `${v.kind} to chain ${v.chain}, which does not exist`);
    }
  }

  #chainReferenced(s: Required<Omit<RulesetData, 'interfaces'>>, c: Chain): boolean {
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

function sameKey(a: SetElement, b: SetElement): boolean {
  return JSON.stringify(a.key) === JSON.stringify(b.key);
}

function mergeElements(have: SetElement[], add: SetElement[]): SetElement[] {
  const out = [...have];
  for (const e of add) {
    const i = out.findIndex((h) => sameKey(h, e));
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}
