// FakeNftables against the kernel: the same seeded random transactions go
// to a fresh netns and to a fake; both must accept or refuse each one alike
// and list the same ruleset afterwards. Also the element bugs of issue 15
// (an empty element list, a concatenated set with a size) against nft.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';

import { FakeNftables, NftCommitError, Nftables, nft, type Transaction } from '../../src/index.js';
import { freshNetnsPerTest, sh } from '../helpers.js';

// mulberry32: a small seeded generator, so a failure names a reproducible case.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Op = (tx: Transaction) => void;

// One random operation over a small universe of names, so that operations
// meet: adds of what exists, deletes of what does not, references to
// missing chains and sets, elements of the wrong shape.
function randomOp(r: () => number): Op {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const table = pick(['t0', 't1']);
  const T = { family: 'ip', table } as const;
  const chain = pick(['c0', 'c1', 'base']);
  const sets = {
    s4: { type: 'ipv4_addr' },
    sc: { type: 'ipv4_addr . inet_service', size: 64 },
    si: { type: 'ipv4_addr', flags: ['interval'] },
    mv: { type: 'ipv4_addr', map: 'verdict' },
    md: { type: 'inet_service', map: 'ipv4_addr' },
  } as const;
  const setName = pick(Object.keys(sets) as (keyof typeof sets)[]);
  const ip = () => `10.0.0.${1 + Math.floor(r() * 4)}`;
  const element = (name: keyof typeof sets): Record<string, unknown> => {
    const roll = r();
    // A raw key, any width (not in the interval set: there the kernel takes
    // one as the start of a range up to the next element, which the fake
    // does not model).
    if (roll < 0.06 && name !== 'si') return { key: new Uint8Array(Math.floor(r() * 6)) };
    switch (name) {
      case 's4': return { key: ip() };
      case 'sc': return { key: [ip(), pick([80, 443])] };
      case 'si': return r() < 0.5 ? { key: `${ip()}/32` } : { key: ip() };
      case 'mv': return roll < 0.15 ? { key: ip() } : { key: ip(), verdict: r() < 0.5 ? { kind: 'accept' } : { kind: 'jump', chain: pick(['c0', 'c1', 'nochain']) } };
      case 'md': return roll < 0.15 ? { key: pick([80, 443]) } : { key: pick([80, 443]), value: ip() };
    }
  };
  const verb = r();
  switch (Math.floor(r() * 7)) {
    case 0:
      return verb < 0.7 ? (tx) => tx.addTable({ family: 'ip', name: table }) : verb < 0.85 ? (tx) => tx.createTable({ family: 'ip', name: table }) : (tx) => tx.deleteTable({ family: 'ip', name: table });
    case 1: {
      const c = chain === 'base' ? { ...T, name: chain, type: 'filter', hook: 'input', priority: 0, policy: 'accept' } as const : { ...T, name: chain };
      return verb < 0.6 ? (tx) => tx.addChain(c) : verb < 0.75 ? (tx) => tx.createChain(c) : verb < 0.9 ? (tx) => tx.deleteChain({ ...T, name: chain }) : (tx) => tx.flushChain({ ...T, name: chain });
    }
    case 2: {
      const s = { ...T, name: setName, ...sets[setName] };
      return verb < 0.6 ? (tx) => tx.addSet(s as never) : verb < 0.75 ? (tx) => tx.createSet(s as never) : verb < 0.9 ? (tx) => tx.deleteSet({ ...T, name: setName }) : (tx) => tx.flushSet({ ...T, name: setName });
    }
    case 3:
    case 4: {
      const els = Array.from({ length: Math.floor(r() * 3) }, () => element(setName));
      const ref = { ...T, name: setName };
      return verb < 0.55 ? (tx) => tx.addElements(ref, els as never) : verb < 0.7 ? (tx) => tx.createElements(ref, els as never) : (tx) => tx.deleteElements(ref, els as never);
    }
    case 5: {
      const body = pick([
        () => [nft.accept()],
        () => [nft.jump(pick(['c0', 'c1', 'nochain']))],
        () => [nft.inSet('ip daddr', pick(['s4', 'si', 'noset'])), nft.accept()],
        () => [nft.match('ip daddr', ip()), nft.counter(), nft.drop()],
        () => [nft.vmap('ip saddr', 'mv')],
        () => [{ type: 'payload', base: 'network_header', offset: 12, len: 4 }],                 // no register
        () => [{ type: 'cmp', sreg: 1, op: 'eq', data: new Uint8Array(4) }],                     // reads an unset register
        () => [{ type: 'immediate', dreg: 0 }],                                                  // no data
      ]);
      const parts = body() as never[];
      return (tx) => tx.addRule(nft.rule('ip', table, chain, ...parts));
    }
    default:
      return verb < 0.5 ? (tx) => tx.destroyChain({ ...T, name: chain }) : (tx) => tx.destroySet({ ...T, name: setName });
  }
}

const outcome = (p: Promise<void>): Promise<string> =>
  p.then(() => 'ok', (e: unknown) => (e instanceof NftCommitError ? `refused ${e.code}` : `threw ${(e as Error).name}: ${(e as Error).message}`));

describe('FakeNftables agrees with the kernel', () => {
  const ns = freshNetnsPerTest();

  it('on 2,000 seeded random transactions: same accept/refuse, same listing', async function () {
    this.timeout(600000);
    const count = Number(process.env.DP_AGREEMENT_COUNT ?? 2000);
    const seed = Number(process.env.DP_AGREEMENT_SEED ?? 15);
    const r = rng(seed);
    const kernel = await Nftables.open({ netns: ns.name });
    let fake = new FakeNftables();
    const disagreements: string[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const ops = Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomOp(r));
        const build = (tx: Transaction): Transaction | string => {
          try {
            for (const op of ops) op(tx);
            return tx;
          } catch (e) {
            return `threw ${(e as Error).name}`;
          }
        };
        const kt = build(kernel.transaction());
        const ft = build(fake.transaction());
        if (typeof kt === 'string' || typeof ft === 'string') {
          if (kt !== ft) disagreements.push(`#${i} building: kernel ${String(kt)}, fake ${String(ft)}`);
          continue;
        }
        const text = kt.toString();
        const [k, f] = [await outcome(kernel.commit(kt)), await outcome(fake.commit(ft))];
        const accepted = (o: string) => o === 'ok';
        if (accepted(k) !== accepted(f) || (k.startsWith('threw') !== f.startsWith('threw'))) {
          disagreements.push(`#${i}: kernel ${k}, fake ${f}:\n${text}`);
        }
        const [kl, fl] = [(await kernel.list()).toString(), fake.dump()];
        if (kl !== fl) {
          disagreements.push(`#${i} listing after:\n${text}\n--- kernel\n${kl}\n--- fake\n${fl}`);
          // Go on from the kernel's state, so one difference is counted once.
          fake = new FakeNftables();
          await fake.commit((await kernel.list()).toTransaction());
        }
      }
    } finally {
      await kernel.close();
    }
    const cases = new Set(disagreements.map((d) => d.split(/[ :]/)[0]));
    console.log(`      ${cases.size} of ${count} transactions disagreed (seed ${seed}): ${disagreements.length} outcomes or listings`);
    if (process.env.DP_AGREEMENT_LOG !== undefined) writeFileSync(process.env.DP_AGREEMENT_LOG, disagreements.join('\n\n'));
    assert.equal(disagreements.length, 0, `${disagreements.length} disagreements in ${count} transactions (seed ${seed}); the first 5:\n${disagreements.slice(0, 5).join('\n\n')}`);
  });
});

describe('nft element bugs of issue 15, against nft', () => {
  const ns = freshNetnsPerTest();
  const nftList = () => sh('ip', ['netns', 'exec', ns.name, 'nft', 'list', 'ruleset']);

  it('addElements/deleteElements with no elements send nothing: the commit passes and the set keeps its elements', async () => {
    const h = await Nftables.open({ netns: ns.name });
    try {
      const set = { family: 'ip', table: 't', name: 's' } as const;
      await h.commit(h.transaction().addTable({ family: 'ip', name: 't' }).addSet({ ...set, type: 'ipv4_addr', elements: [{ key: '10.0.0.1' }] }));
      const gen = await h.generation();
      await h.commit(h.transaction().addElements(set, []));
      await h.commit(h.transaction().deleteElements(set, []));   // DELSETELEM without a list would flush the set
      assert.equal(await h.generation(), gen, 'nothing was sent');
      await h.commit(h.transaction().addElements(set, []).addElements(set, [{ key: '10.0.0.2' }]).deleteElements(set, []));
      assert.match(nftList(), /elements = \{ 10\.0\.0\.1, 10\.0\.0\.2 \}/);
      const fake = new FakeNftables();
      const fgen = await fake.generation();
      await fake.commit(fake.transaction().addElements(set, []));
      assert.equal(await fake.generation(), fgen);
    } finally {
      await h.close();
    }
  });

  it('a concatenated set with a size is created as nft creates `set s { typeof ip saddr . tcp dport; size 100; }`', async () => {
    const h = await Nftables.open({ netns: ns.name });
    try {
      sh('ip', ['netns', 'exec', ns.name, 'nft', 'add table ip n; add set ip n s { type ipv4_addr . inet_service; size 100; }; add set ip n d { type ipv4_addr . inet_service; size 100; flags dynamic; }']);
      const theirs = nftList();
      sh('ip', ['netns', 'exec', ns.name, 'nft', 'delete table ip n']);
      await h.commit(h.transaction().addTable({ family: 'ip', name: 'n' })
        .addSet({ family: 'ip', table: 'n', name: 's', type: 'ipv4_addr . inet_service', size: 100 })
        .addSet({ family: 'ip', table: 'n', name: 'd', type: 'ipv4_addr . inet_service', size: 100, flags: ['dynamic'] }));
      assert.equal(nftList(), theirs);
      assert.match(theirs, /size 100/);
      // And what nft made lists, reloads and commits back identically.
      const listed = await h.list();
      await h.commit(h.transaction().deleteTable({ family: 'ip', name: 'n' }));
      await h.commit(listed.toTransaction());
      assert.equal(nftList(), theirs);
    } finally {
      await h.close();
    }
  });
});
