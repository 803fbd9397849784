// nftables against the real host kernel, each test in a fresh netns, with
// `nft` as the oracle both ways.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { unlinkSync, writeFileSync } from 'node:fs';

import { FakeNftables, NftCommitError, Nftables, nft as build, type NftEvent } from '../../src/index.js';
import { freshNetnsPerTest, makeNetns, sh } from '../helpers.js';
import { kubeProxySample } from '../fixtures/nft/kube-proxy-sample.js';
import { services, svc, T as KP } from '../fixtures/nft/services.js';
import { anonymousSetNumbers } from '../../src/nft/nftables.js';
import { commitOrder, planLimits } from '../../src/nft/plan.js';

const fixture = (name: string) => new URL(`../fixtures/nft/${name}`, import.meta.url).pathname;
const nftList = (ns: string) => sh('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset']);
// Element expiry counts down between two listings.
const stable = (s: string) => s.replace(/ expires [0-9dhms]+/g, '');

describe('nftables on the host kernel', () => {
  const ns = freshNetnsPerTest();
  let nft: Nftables;
  beforeEach(async () => { nft = await Nftables.open({ netns: ns.name }); });
  afterEach(async () => { await nft.close(); });

  for (const corpus of ['kube-proxy.nft', 'expressions.nft', 'stateful.nft']) {
    it(`decodes what \`nft -f ${corpus}\` wrote and re-encodes it into an identical ruleset`, async () => {
      sh('ip', ['netns', 'exec', ns.name, 'nft', '-f', fixture(corpus)]);
      const listed = await nft.list();
      assert.ok(listed.rules.length > 0);
      const other = makeNetns();
      try {
        const nft2 = await Nftables.open({ netns: other.name });
        await nft2.commit(listed.toTransaction());
        await nft2.close();
        assert.equal(stable(nftList(other.name)), stable(nftList(ns.name)));
      } finally {
        other.remove();
      }
    });
  }

  it('prints the kube-proxy sample exactly as `nft list ruleset` does', async () => {
    sh('ip', ['netns', 'exec', ns.name, 'nft', '-f', fixture('kube-proxy.nft')]);
    assert.equal((await nft.list()).toString(), nftList(ns.name));
  });

  it('our builder-made kube-proxy sample reads back through nft as the same text as the nft script', async () => {
    await nft.commit(kubeProxySample());
    const ours = nftList(ns.name);
    const other = makeNetns();
    try {
      sh('ip', ['netns', 'exec', other.name, 'nft', '-f', fixture('kube-proxy.nft')]);
      assert.equal(ours, nftList(other.name));
      const json = JSON.parse(sh('ip', ['netns', 'exec', ns.name, 'nft', '-j', 'list', 'ruleset'])) as { nftables: Record<string, unknown>[] };
      assert.equal(json.nftables.filter((o) => 'rule' in o).length, 16);
    } finally {
      other.remove();
    }
  });

  it('a transaction prints as an nft script that nft -f turns into the same ruleset', async () => {
    const tx = kubeProxySample();
    await nft.commit(tx);
    const other = makeNetns();
    try {
      const file = `/tmp/dp-tx-${process.pid}.nft`;
      writeFileSync(file, tx.toString());
      sh('ip', ['netns', 'exec', other.name, 'nft', '-f', file]);
      unlinkSync(file);
      assert.equal(nftList(other.name), nftList(ns.name));
    } finally {
      other.remove();
    }
  });

  it('writes interval sets (prefixes, ranges, concatenated ranges) that nft reads back as given', async () => {
    const tx = nft.transaction();
    tx.addTable({ family: 'ip', name: 't' });
    tx.addSet({ family: 'ip', table: 't', name: 's', type: 'ipv4_addr', flags: ['interval'],
      elements: [{ key: '10.0.0.0/8' }, { key: '192.168.1.1' }, { key: '172.16.0.1', keyEnd: '172.16.0.9' }] });
    tx.addSet({ family: 'ip', table: 't', name: 'c', type: 'ipv4_addr . inet_service', flags: ['interval'],
      elements: [{ key: ['10.0.0.1', 80], keyEnd: ['10.0.0.9', 90] }, { key: ['10.1.1.1', 22] }] });
    await nft.commit(tx);
    await nft.commit(nft.transaction().addElements({ family: 'ip', table: 't', name: 's' }, [{ key: '8.8.8.0/24' }]));
    const text = nftList(ns.name);
    assert.match(text, /elements = \{ 8\.8\.8\.0\/24, 10\.0\.0\.0\/8,\n\t\t\t     172\.16\.0\.1-172\.16\.0\.9, 192\.168\.1\.1 \}/);
    assert.match(text, /elements = \{ 10\.0\.0\.1-10\.0\.0\.9 \. 80-90,\n\t\t\t     10\.1\.1\.1 \. 22 \}/);
    assert.equal((await nft.list()).toString(), text);
  });

  it('a transaction whose last operation fails changes nothing and names that operation', async () => {
    sh('ip', ['netns', 'exec', ns.name, 'nft', '-f', fixture('kube-proxy.nft')]);
    const before = nftList(ns.name);
    const tx = nft.transaction();
    tx.addChain({ family: 'ip', table: 'kube-proxy', name: 'svc2' });
    tx.addElements({ family: 'ip', table: 'kube-proxy', name: 'service-ips' }, [{ key: ['10.96.0.11', 'tcp', 443], verdict: { kind: 'goto', chain: 'svc2' } }]);
    tx.flushChain({ family: 'ip', table: 'kube-proxy', name: 'ep1' });
    tx.addRule({ family: 'ip', table: 'kube-proxy', chain: 'svc2', expressions: [{ type: 'immediate', dreg: 0, data: { kind: 'jump', chain: 'no-such-chain' } }] });
    await assert.rejects(nft.commit(tx), (e: unknown) => {
      assert.ok(e instanceof NftCommitError);
      assert.equal(e.code, 'ENOENT');
      assert.equal(e.operationIndex, 3);
      assert.match(e.operation, /add rule ip kube-proxy svc2/);
      return true;
    });
    assert.equal(nftList(ns.name), before);
  });

  describe('with reordering from 16 anonymous sets on (commit() waits for 1,024)', () => {
    let saved = 0;
    before(() => { saved = planLimits.minBinders; planLimits.minBinders = 16; });
    after(() => { planLimits.minBinders = saved; });

    it('a transaction commit() reorders ends in the ruleset nft -f makes of it', async function () {
      this.timeout(60000);
      const tx = services(60);
      assert.ok(commitOrder(tx.operations) !== undefined, 'the sample is reordered');
      await nft.commit(tx);
      const other = makeNetns();
      try {
        const file = `/tmp/dp-reorder-${process.pid}.nft`;
        writeFileSync(file, tx.toString());
        sh('ip', ['netns', 'exec', other.name, 'nft', '-f', file]);
        unlinkSync(file);
        assert.equal(nftList(ns.name), nftList(other.name));
      } finally {
        other.remove();
      }
      // The anonymous maps carry the numbers commit() gave them.
      const anon = (await nft.list()).sets.filter((s) => s.flags?.includes('anonymous') === true || /^__map\d+$/.test(s.name));
      assert.equal(anon.length, 60);
      assert.ok(anon.every((s) => Number(s.name.slice(5)) >= 2 ** 30), anon.map((s) => s.name).join(' '));
    });

    it('a reordered transaction that fails changes nothing and names the operation a plain commit names', async function () {
      this.timeout(60000);
      await nft.commit(services(1));
      const before = nftList(ns.name);
      const tx = services(40);
      tx.addRule(build.rule('ip', 'kp', svc(7), build.jump('no-such-chain')));
      const bad = tx.operations.length - 1;
      for (let i = 0; i < 5; i++) tx.addChain({ ...KP, name: `later-${i}` });
      assert.ok(commitOrder(tx.operations) !== undefined);
      await assert.rejects(nft.commit(tx), (e: unknown) => {
        assert.ok(e instanceof NftCommitError);
        assert.equal(e.code, 'ENOENT');
        assert.equal(e.operationIndex, bad);
        assert.match(e.operation, /add rule ip kp svc-7/);
        return true;
      });
      assert.equal(nftList(ns.name), before);
    });
    it('a loop found only when the kernel validates the reordered batch is reported on the operation that closes it', async function () {
      this.timeout(60000);
      const tx = services(30);
      tx.addRule(build.rule('ip', 'kp', 'ep-3-0', build.jump(svc(3))));
      const loop = tx.operations.length - 1;
      tx.addChain({ ...KP, name: 'after-the-loop' });
      assert.ok(commitOrder(tx.operations) !== undefined);
      await assert.rejects(nft.commit(tx), (e: unknown) => {
        assert.ok(e instanceof NftCommitError);
        assert.equal(e.operationIndex, loop, `${e.operationIndex}: ${e.message}`);
        return true;
      });
      assert.equal(nftList(ns.name), '');
    });
  });

  it('an anonymous set number that is taken makes commit() fall back to the plain batch', async () => {
    const taken = 2 ** 30 + 12345;
    const tx0 = nft.transaction();
    tx0.addTable({ family: 'ip', name: 'kp' });
    for (const name of ['a', 'b', 'svc']) tx0.addChain({ ...KP, name });
    tx0.addSet({ ...KP, name: `__map${taken}`, type: 'inet_service', map: 'verdict' });
    await nft.commit(tx0);
    const saved = anonymousSetNumbers.next;
    anonymousSetNumbers.next = () => taken;
    try {
      await nft.commit(nft.transaction().addRule(build.rule('ip', 'kp', 'svc', build.numgenVmap([{ kind: 'goto', chain: 'a' }, { kind: 'goto', chain: 'b' }]))));
    } finally {
      anonymousSetNumbers.next = saved;
    }
    assert.match(nftList(ns.name), /numgen random mod 2 vmap \{ 0 : goto a, 1 : goto b \}/);
    const sets = (await nft.list()).sets;
    const named = sets.find((s) => s.name === `__map${taken}`);
    assert.ok(named !== undefined && named.type === 'inet_service' && (named.elements ?? []).length === 0, 'the named map is untouched');
    // The anonymous map got the kernel's own number (the plain batch's template).
    assert.equal(sets.length, 2);
    assert.ok(sets.some((s) => /^__map\d{1,9}$/.test(s.name) && Number(s.name.slice(5)) < 2 ** 30));
  });

  it('deletes and replaces rules by handle', async () => {
    sh('ip', ['netns', 'exec', ns.name, 'nft', '-f', fixture('kube-proxy.nft')]);
    const [first, second] = await nft.listRules({ family: 'ip', table: 'kube-proxy', chain: 'ep1' });
    await nft.commit(nft.transaction()
      .deleteRule({ family: 'ip', table: 'kube-proxy', chain: 'ep1', handle: first!.handle! })
      .replaceRule({ ...second!, handle: second!.handle!, expressions: [build.counter(), build.accept()] }));
    const after = await nft.listRules({ family: 'ip', table: 'kube-proxy', chain: 'ep1' });
    assert.deepEqual(after.map((r) => r.handle), [second!.handle, ...after.slice(1).map((r) => r.handle)]);
    assert.ok(!after.some((r) => r.handle === first!.handle));
    assert.match(nftList(ns.name), /chain ep1 \{\n\t\tcounter packets 0 bytes 0 accept\n/);
  });

  it('refuses a commit when the generation changed since it was read', async () => {
    const gen = await nft.generation();
    sh('ip', ['netns', 'exec', ns.name, 'nft', 'add', 'table', 'ip', 'other']);
    const tx = nft.transaction().addTable({ family: 'ip', name: 't' });
    await assert.rejects(nft.commit(tx, { generation: gen }), (e: unknown) => e instanceof NftCommitError && e.code === 'ERESTART');
    await nft.commit(tx, { generation: await nft.generation() });
    assert.match(nftList(ns.name), /table ip t/);
  });

  for (const what of ['set', 'chain'] as const) {
    it(`list() reads again when a ${what} is deleted between its first dump and the ${what === 'set' ? 'element' : 'rule'} dumps`, async () => {
      sh('ip', ['netns', 'exec', ns.name, 'nft', '-f', fixture('kube-proxy.nft')]);
      // 400 chains, so rules are dumped chain by chain (a deleted chain is then named in a request).
      const tx = nft.transaction();
      for (let i = 0; i < 400; i++) tx.addChain({ family: 'ip', table: 'kube-proxy', name: `extra${i}` });
      tx.addRule({ family: 'ip', table: 'kube-proxy', chain: 'extra0', expressions: [build.accept()] });
      tx.addSet({ family: 'ip', table: 'kube-proxy', name: 'doomed', type: 'ipv4_addr' });
      await nft.commit(tx);
      const before = await nft.list();
      // Deterministic interleaving: list()'s first exchange completes, then
      // another handle deletes the object before list() sees the replies
      // (so before it sends its follow-up dumps).
      const other = await Nftables.open({ netns: ns.name });
      const self = nft as unknown as { run: (op: string, fn: unknown) => Promise<unknown> };
      const run = self.run.bind(nft);
      let calls = 0;
      self.run = async (op, fn) => {
        const out = await run(op, fn);
        if (op === 'nft.list' && calls++ === 0) {
          const del = other.transaction();
          if (what === 'set') del.deleteSet({ family: 'ip', table: 'kube-proxy', name: 'doomed' });
          else del.flushChain({ family: 'ip', table: 'kube-proxy', name: 'extra0' }).deleteChain({ family: 'ip', table: 'kube-proxy', name: 'extra0' });
          await other.commit(del);
        }
        return out;
      };
      try {
        const after = await nft.list();
        assert.ok(calls > 4, `list() read again (${calls} list exchanges)`);
        assert.ok(after.generation > before.generation);
        if (what === 'set') {
          assert.ok(before.sets.some((x) => x.name === 'doomed'));
          assert.ok(!after.sets.some((x) => x.name === 'doomed'));
          assert.equal(after.sets.length, before.sets.length - 1);
        } else {
          assert.ok(!after.chains.some((c) => c.name === 'extra0'));
          assert.equal(after.chains.length, before.chains.length - 1);
          assert.equal(after.rules.length, before.rules.length - 1);
        }
      } finally {
        await other.close();
      }
    });
  }

  it('lists filtered by family, table and chain, decoded into the types a transaction takes', async () => {
    sh('ip', ['netns', 'exec', ns.name, 'nft', '-f', fixture('kube-proxy.nft')]);
    sh('ip', ['netns', 'exec', ns.name, 'nft', 'add', 'table', 'inet', 'x']);
    assert.deepEqual((await nft.listTables()).map((t) => `${t.family} ${t.name}`).sort(), ['inet x', 'ip kube-proxy']);
    assert.deepEqual((await nft.listTables({ family: 'inet' })).map((t) => t.name), ['x']);
    const rules = await nft.listRules({ family: 'ip', table: 'kube-proxy', chain: 'ep1' });
    assert.equal(rules.length, 3);
    assert.ok(rules.every((r) => r.chain === 'ep1' && typeof r.handle === 'number'));
    const els = await nft.listElements({ family: 'ip', table: 'kube-proxy', name: 'service-ips' });
    assert.deepEqual(els, [{ key: ['10.96.0.10', 'tcp', 80], verdict: { kind: 'goto', chain: 'svc1' } }]);
  });

  it('lists a ruleset bigger than one slice of each dump (3,300 chains, 1,100 sets) and re-creates it exactly', async function () {
    this.timeout(120000);
    // kube-proxy-shaped: per service two endpoint chains, a service chain with an
    // anonymous numgen vmap, and a service-ips element; plus one set whose
    // 3,000 elements take several dump messages.
    const lines = ['table ip kube-proxy {', '\tmap service-ips {', '\t\ttype ipv4_addr . inet_proto . inet_service : verdict', '\t}',
      '\tset big {', '\t\ttype ipv4_addr . inet_service', '\t}', '\tchain mark-for-masquerade {', '\t\tmeta mark set meta mark | 0x4000', '\t}'];
    const elements: string[] = [];
    for (let i = 0; i < 1100; i++) {
      const ep = (e: number) => `ep-${i}-${e}`;
      for (const e of [0, 1]) lines.push(`\tchain ${ep(e)} {`, `\t\tip saddr 10.${128 + e}.${i >> 8}.${i & 255} jump mark-for-masquerade`, `\t\tmeta l4proto tcp dnat to 10.${128 + e}.${i >> 8}.${i & 255}:8080`, '\t}');
      lines.push(`\tchain svc-${i} {`, `\t\tip daddr 172.30.${i >> 8}.${i & 255} tcp dport 80 jump mark-for-masquerade`, `\t\tnumgen random mod 2 vmap { 0 : goto ${ep(0)}, 1 : goto ${ep(1)} }`, '\t}');
      elements.push(`add element ip kube-proxy service-ips { 172.30.${i >> 8}.${i & 255} . tcp . 80 : goto svc-${i} }`);
    }
    lines.push('}', ...elements);
    const big: string[] = [];
    for (let i = 0; i < 3000; i++) big.push(`10.${(i >> 8) & 255}.${i & 255}.1 . ${1000 + i}`);
    lines.push(`add element ip kube-proxy big { ${big.join(', ')} }`);
    const file = `/tmp/dp-big-${process.pid}.nft`;
    writeFileSync(file, `${lines.join('\n')}\n`);
    try {
      sh('ip', ['netns', 'exec', ns.name, 'nft', '-f', file]);
    } finally {
      unlinkSync(file);
    }
    const listed = await nft.list();
    assert.equal(listed.chains.length, 3301);
    assert.equal(listed.rules.length, 6601);
    assert.equal(listed.sets.length, 1102);
    assert.equal(listed.sets.find((s) => s.name === 'big')!.elements!.length, 3000);
    assert.equal(listed.sets.find((s) => s.name === 'service-ips')!.elements!.length, 1100);
    assert.ok(listed.sets.filter((s) => s.name.startsWith('__map')).every((s) => s.elements!.length === 2));
    const other = makeNetns();
    try {
      const nft2 = await Nftables.open({ netns: other.name });
      await nft2.commit(listed.toTransaction());
      await nft2.close();
      const strip = (s: string) => s.replace(/__map\d+/g, '__map');
      assert.equal(strip(nftList(other.name)), strip(nftList(ns.name)));
    } finally {
      other.remove();
    }
  });

  it('commits 200,000 set elements in one batch without ENOBUFS', async function () {
    this.timeout(120000);
    const tx = nft.transaction();
    tx.addTable({ family: 'ip', name: 'big' });
    tx.addSet({ family: 'ip', table: 'big', name: 's', type: 'ipv4_addr . inet_service' });
    const elements = [];
    for (let i = 0; i < 200000; i++) elements.push({ key: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 1 + (i % 60000)] });
    tx.addElements({ family: 'ip', table: 'big', name: 's' }, elements);
    await nft.commit(tx);
    const listed = await nft.listElements({ family: 'ip', table: 'big', name: 's' });
    assert.equal(listed.length, 200000);
    // A failing batch of the same size reports its error too.
    const bad = nft.transaction();
    bad.addElements({ family: 'ip', table: 'big', name: 's' }, elements.map((e) => ({ ...e })));
    bad.addChain({ family: 'ip', table: 'nope', name: 'c' });
    await assert.rejects(nft.commit(bad), (e: unknown) => e instanceof NftCommitError && e.operationIndex === 1);
  });

  it('monitor sees changes made by nft from another process', async function () {
    this.timeout(20000);
    const events: NftEvent[] = [];
    const it = nft.monitor();
    const first = it.next();  // subscribed when monitor() returned: no wait needed
    const child = spawn('ip', ['netns', 'exec', ns.name, 'nft', '-f', fixture('kube-proxy.nft')], { stdio: 'ignore' });
    await new Promise((r) => child.on('exit', r));
    events.push((await first).value as NftEvent);
    for (;;) {
      const next = await it.next();
      events.push(next.value as NftEvent);
      if ((next.value as NftEvent).type === 'generation') break;
    }
    await it.return();
    const kinds = new Set(events.map((e) => `${e.type} ${'kind' in e ? e.kind : ''}`));
    for (const k of ['new table', 'new chain', 'new rule', 'new set', 'new element', 'new object', 'generation ']) assert.ok(kinds.has(k), `missing ${k}: ${[...kinds].join(', ')}`);
    const rule = events.find((e) => e.type === 'new' && e.kind === 'rule' && e.rule.chain === 'ep1');
    assert.ok(rule);
  });

  it('FakeNftables accepts the same sample and dumps what the kernel lists', async () => {
    const fake = new FakeNftables();
    await fake.commit(kubeProxySample());
    await nft.commit(kubeProxySample());
    const strip = (s: string) => s.replace(/__map\d+/g, '__map');
    assert.equal(strip(fake.dump()), strip((await nft.list()).toString()));
  });
});
