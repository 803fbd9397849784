// The commit plan: which order commit() sends a transaction in (src/nft/plan.ts)
// and the optimized encoding of anonymous sets. The kernel side (same
// ruleset, errors naming the right operation) is in test/host/nft.test.ts.
import assert from 'node:assert/strict';

import { nft, Transaction } from '../../src/index.js';
import { commitOrder, planLimits } from '../../src/nft/plan.js';
import type { Operation } from '../../src/nft/transaction.js';
import * as U from '../../src/nft/uapi.js';
import { attrList, attrTable, messages, str } from '../../src/nft/wire.js';
import { ep, services, svc, T } from '../fixtures/nft/services.js';

const sample = services;

const isBinder = (op: Operation) => op.kind === 'rule' && op.rule.expressions.some((e) => e.type === 'lookup' && typeof (e as { set: unknown }).set === 'object');

/** Chains an operation jumps to or names in verdicts (rules, inline sets, elements). */
function chainTargets(op: Operation): string[] {
  const out: string[] = [];
  const verdict = (v: unknown) => {
    const x = v as { kind?: string; chain?: string } | undefined;
    if (x !== undefined && (x.kind === 'jump' || x.kind === 'goto') && x.chain !== undefined) out.push(x.chain);
  };
  if (op.kind === 'rule') {
    for (const e of op.rule.expressions) {
      const x = e as { type: string; data?: unknown; set?: unknown };
      if (x.type === 'immediate') verdict(x.data);
      if (x.type === 'lookup' && typeof x.set === 'object') for (const el of (x.set as { elements: { verdict?: unknown }[] }).elements) verdict(el.verdict);
    }
  }
  if (op.kind === 'elements') for (const el of op.elements) verdict(el.verdict);
  return out;
}

/** Checks, independently of plan.ts, that `order` keeps every pair of operations whose order can matter. */
function assertSafe(ops: readonly Operation[], order: number[]): void {
  assert.deepEqual([...order].sort((a, b) => a - b), ops.map((_, i) => i), 'a permutation');
  const pos: number[] = [];
  order.forEach((op, at) => { pos[op] = at; });
  const before = (a: number, b: number, why: string) => assert.ok(pos[a]! < pos[b]!, `${why}: op ${a} must stay before op ${b}`);
  const chainOf = (op: Operation) => (op.kind === 'chain' ? op.chain.name : undefined);
  for (let j = 0; j < ops.length; j++) {
    const b = ops[j]!;
    for (let i = 0; i < j; i++) {
      const a = ops[i]!;
      if (a.kind === 'table') before(i, j, 'table first');
      if (a.kind === 'chain' && b.kind === 'chain') before(i, j, 'chains keep their creation order');
      const createsSet = (op: Operation) => op.kind === 'set' || isBinder(op);
      if (createsSet(a) && createsSet(b)) before(i, j, 'sets keep their creation order');
      if (a.kind === 'rule' && b.kind === 'rule' && a.rule.chain === b.rule.chain) before(i, j, 'rules of a chain keep their order');
      if (a.kind === 'elements' && b.kind === 'elements' && a.set.name === b.set.name) before(i, j, 'elements of a set keep their order');
      const ca = chainOf(a);
      if (ca !== undefined && ((b.kind === 'rule' && b.rule.chain === ca) || chainTargets(b).includes(ca))) before(i, j, 'a chain before its users');
      const cb = chainOf(b);
      if (cb !== undefined && ((a.kind === 'rule' && a.rule.chain === cb) || chainTargets(a).includes(cb))) before(i, j, 'a user of a chain created later stays first');
      if (a.kind === 'set' && b.kind === 'elements' && b.set.name === a.set.name) before(i, j, 'a set before its elements');
      if (a.kind === 'rule' && b.kind === 'elements' && a.rule.expressions.some((e) => (e as { set?: unknown }).set === b.set.name)) before(i, j, 'a lookup before the elements that follow it');
    }
  }
}

describe('nft commit plan', () => {
  // Reorder from 16 anonymous sets on (commit() waits for 1,024) so the samples stay small.
  let saved = 0;
  before(() => { saved = planLimits.minBinders; planLimits.minBinders = 16; });
  after(() => { planLimits.minBinders = saved; });

  it('sends the rules binding anonymous sets, and what they need, before everything else', () => {
    const tx = sample(40);
    const ops = tx.operations;
    const order = commitOrder(ops);
    assert.ok(order !== undefined);
    assertSafe(ops, order);
    const lastBinder = Math.max(...order.map((op, at) => (isBinder(ops[op]!) ? at : -1)));
    // Nothing a binding rule does not need comes before the last one: no endpoint rule, no map element.
    for (let at = 0; at < lastBinder; at++) {
      const op = ops[order[at]!]!;
      assert.ok(!(op.kind === 'rule' && op.rule.chain.startsWith('ep-')), `endpoint rule at ${at}`);
      assert.ok(op.kind !== 'elements', `element at ${at}`);
    }
  });

  it('places each binding rule right after its own chains and rules', () => {
    const ops = sample(20).operations;
    const order = commitOrder(ops)!;
    // The first service (ops 8..17): ep chains 8, 9, service chain 10, its rules 11, 12.
    assert.deepEqual(order.slice(0, 5), [0, 1, 2, 3, 4]);
    assert.deepEqual(order.slice(5, 10), [8, 9, 10, 11, 12]);
    // The second one follows at once.
    assert.deepEqual(order.slice(10, 15), [18, 19, 20, 21, 22]);
  });

  it('keeps a rule before the chain it names when the transaction has them in that order', () => {
    const tx = sample(20);
    tx.addRule(nft.rule('ip', 'kp', 'services', nft.jump('late')));
    tx.addRule(nft.rule('ip', 'kp', svc(25), nft.numgenVmap([{ kind: 'goto', chain: 'late' }, { kind: 'goto', chain: 'late' }])));
    tx.addChain({ ...T, name: 'late' });
    tx.addChain({ ...T, name: svc(25) });
    const order = commitOrder(tx.operations)!;
    assertSafe(tx.operations, order);
  });

  it('leaves alone transactions it cannot reason about, or with few anonymous sets', () => {
    assert.equal(commitOrder(sample(15).operations), undefined);
    for (const extra of [
      (tx: Transaction) => tx.deleteChain({ ...T, name: ep(0, 0) }),
      (tx: Transaction) => tx.flushChain({ ...T, name: 'services' }),
      (tx: Transaction) => tx.replaceRule({ ...nft.rule('ip', 'kp', 'services', nft.accept()), handle: 4 }),
      (tx: Transaction) => tx.addRule({ ...T, chain: 'services', expressions: [{ type: 'raw', name: 'counter', data: Buffer.alloc(0) } as never] }),
    ]) {
      const tx = sample(20);
      extra(tx);
      assert.equal(tx.error, undefined);
      assert.equal(commitOrder(tx.operations), undefined);
    }
  });

  it('encodes the same messages per operation, each still tagged with its operation', () => {
    const tx = sample(20);
    const plain = tx.encode();
    const fast = tx.encode({ reorder: true });
    assert.equal(fast.optimized, true);
    assert.equal(plain.optimized, false);
    assert.equal(fast.bytes.length, plain.bytes.length);
    const count = (tags: number[]) => tags.reduce((m, op) => m.set(op, (m.get(op) ?? 0) + 1), new Map<number, number>());
    assert.deepEqual(count(fast.opOfMessage), count(plain.opOfMessage));
    const types = (b: Buffer) => messages(b).map((m) => m.type).sort();
    assert.deepEqual(types(fast.bytes), types(plain.bytes));
    // Message k of the fast batch is of the operation at order[k]'s place.
    const order = commitOrder(tx.operations)!;
    assert.deepEqual([...new Set(fast.opOfMessage)], order);
  });

  it('names anonymous sets, creates them exclusively and adds their elements by id', () => {
    const tx = new Transaction();
    tx.addRule(nft.rule('ip', 'kp', 'svc', nft.numgenVmap([{ kind: 'goto', chain: 'a' }, { kind: 'goto', chain: 'b' }])));
    let next = 1234567890;
    const fast = tx.encode({ anonymousId: () => next++ });
    assert.equal(fast.optimized, true);
    const [set, elems, rule] = messages(fast.bytes);
    assert.equal(set!.type & 0xff, U.NFT_MSG_NEWSET);
    assert.equal(set!.flags & (0x400 | 0x200), 0x400 | 0x200, 'NLM_F_CREATE | NLM_F_EXCL');
    const sa = attrTable(set!.raw, set!.attrs);
    assert.equal(str(sa[U.NFTA_SET_NAME]!), '__map1234567890');
    const id = sa[U.NFTA_SET_ID]!.readUInt32BE(0);
    const ea = attrTable(elems!.raw, elems!.attrs);
    assert.equal(ea[U.NFTA_SET_ELEM_LIST_SET], undefined, 'no set name: the kernel finds it by id');
    assert.equal(ea[U.NFTA_SET_ELEM_LIST_SET_ID]!.readUInt32BE(0), id);
    // The rule's lookup names the template, as nft does, and the id.
    const exprs = attrList(attrTable(rule!.raw, rule!.attrs)[U.NFTA_RULE_EXPRESSIONS]!);
    const lookup = exprs.map((e) => attrTable(e.data)).find((e) => str(e[U.NFTA_EXPR_NAME]!) === 'lookup')!;
    const la = attrTable(lookup[U.NFTA_EXPR_DATA]!);
    assert.equal(str(la[U.NFTA_LOOKUP_SET]!), '__map%d');
    assert.equal(la[U.NFTA_LOOKUP_SET_ID]!.readUInt32BE(0), id);
    // Without the option: the kernel's template and NLM_F_CREATE only, as nft sends.
    const [pset, pelems] = messages(tx.encode().bytes);
    assert.equal(str(attrTable(pset!.raw, pset!.attrs)[U.NFTA_SET_NAME]!), '__map%d');
    assert.equal(pset!.flags & 0x200, 0);
    assert.equal(str(attrTable(pelems!.raw, pelems!.attrs)[U.NFTA_SET_ELEM_LIST_SET]!), '__map%d');
  });
});
