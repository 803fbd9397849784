// NftablesBackend against FakeNftables: what a full sync writes, that
// partial syncs touch only their shard (one transaction each) and end where
// a full sync would, shard placement, failures, bad input, and cleanup.
import assert from 'node:assert/strict';

import { FakeNftables, type CommitOptions, type ListFilter, type NftablesInterface, type Transaction } from '../../src/nft/index.js';
import type { ServicePort } from '../../src/proxy/model/types.js';
import { NftablesBackend, shardOf, shardTable } from '../../src/proxy/backend/nftables/index.js';
import { canonical } from '../fixtures/proxy-nft/canonical.js';
import { backendOptions, endpoint, nodeInfo, proxyState, servicePort, terminating } from '../fixtures/proxy-nft/model.js';
import type { BackendOptions } from '../../src/proxy/backend/backend.js';

/** A FakeNftables that records each committed transaction and can be told to refuse the next one. */
class Recording implements NftablesInterface {
  readonly fake = new FakeNftables();
  readonly commits: Transaction[] = [];
  refuseNext: Error | undefined;
  /** Commits asked for, refused ones included. */
  attempts = 0;
  transaction(): Transaction { return this.fake.transaction(); }
  async commit(tx: Transaction, o?: CommitOptions): Promise<void> {
    this.attempts++;
    const e = this.refuseNext;
    this.refuseNext = undefined;
    if (e !== undefined) throw e;
    await this.fake.commit(tx, o);
    this.commits.push(tx);
  }
  list(f?: ListFilter) { return this.fake.list(f); }
  generation() { return this.fake.generation(); }
  async close() {}
  /** The tables each recorded transaction wrote, then forgets them. */
  take(): string[][] {
    return this.commits.splice(0).map((tx) => [...new Set(tx.operations.map((op) => tableOf(op)))].sort());
  }
}

function tableOf(op: Transaction['operations'][number]): string {
  switch (op.kind) {
    case 'table': return `${op.table.family} ${op.table.name}`;
    case 'chain': return `${op.chain.family} ${op.chain.table}`;
    case 'rule': return `${op.rule.family} ${op.rule.table}`;
    case 'set': return `${op.set.family} ${op.set.table}`;
    case 'elements': return `${op.set.family} ${op.set.table}`;
    default: return op.kind;
  }
}

function backend(nft: NftablesInterface, o: Partial<BackendOptions> = {}, shards = 8, clock = { now: 0 }) {
  return new NftablesBackend(backendOptions({ families: [4, 6], ...o }), { nftables: nft, shards, now: () => clock.now });
}

const full = { full: true, changed: new Set<string>() };
const partial = (...keys: string[]) => ({ full: false, changed: new Set(keys) });

describe('nftables backend: full sync', () => {
  it('writes the shared table and one shard per service, as kube-proxy\'s chains and sets in our shape', async () => {
    const nft = new FakeNftables();
    const svc = servicePort({ name: 'web', clusterIP: '172.30.0.41', port: 80, portName: 'http', nodePort: 30080 });
    await backend(nft, { families: [4] }, 4).sync(proxyState([[svc, [endpoint('10.180.0.1', 8080), endpoint('10.180.0.2', 8080, { local: true })]]]), full);
    const dump = nft.dump();
    assert.deepEqual([...dump.matchAll(/^table (\S+ \S+)/gm)].map((m) => m[1]), [`ip ${shardTable(shardOf(svc, 4))}`, 'ip dataplane-proxy']);
    assert.match(dump, /chain service-default\/web\/tcp\/http \{\n\t\tip daddr 172\.30\.0\.41 tcp dport 80 ip saddr != 10\.0\.0\.0\/8 meta mark set meta mark \| 0x00004000\n\t\tip daddr != 172\.30\.0\.41 meta mark set meta mark \| 0x00004000\n\t\tmeta l4proto tcp dnat ip to numgen random mod 2 map @service-default\/web\/tcp\/http\n\t\}/);
    assert.match(dump, /map service-default\/web\/tcp\/http \{\n\t\ttypeof numgen random mod 1 : ip daddr \. tcp dport\n\t\telements = \{ 0 : 10\.180\.0\.1 \. 8080, 1 : 10\.180\.0\.2 \. 8080 \}/);
    assert.match(dump, /elements = \{ tcp \. 30080 : goto service-default\/web\/tcp\/http \}/);
    assert.doesNotMatch(dump, /external-/);
    for (const [chain, hook, prio] of [['filter-prerouting', 'prerouting', 'dstnat - 10'], ['filter-input', 'input', '-110'], ['filter-forward', 'forward', '-110'],
      ['filter-output', 'output', '-110'], ['filter-output-post-dnat', 'output', '-90'], ['nat-postrouting', 'postrouting', 'srcnat'], ['nat-prerouting', 'prerouting', 'dstnat']]) {
      assert.match(dump, new RegExp(`chain ${chain} \\{\\n\\t\\ttype (filter|nat) hook ${hook} priority ${prio}; policy accept;`), chain);
    }
    assert.match(dump, /chain nat-postrouting \{[^}]*meta mark & 0x00004000 == 0x00004000 meta mark set meta mark \^ 0x00004000 masquerade fully-random\n[^}]*ip saddr \. ip daddr @hairpin masquerade fully-random/);
    assert.match(dump, /set hairpin \{[^}]*elements = \{ 10\.180\.0\.1 \. 10\.180\.0\.1,\s+10\.180\.0\.2 \. 10\.180\.0\.2 \}/);
  });

  it('keeps every family in its own tables and reports service ports without local endpoints', async () => {
    const nft = new FakeNftables();
    const local = (ip: string, family: 4 | 6) => servicePort({ name: 'lb', clusterIP: ip, port: 80, family, loadBalancerVIPs: [family === 4 ? '1.2.3.4' : '2001:db8::4'],
      externalPolicyLocal: true });
    const r = await backend(nft).sync(proxyState([[local('172.30.0.1', 4), [endpoint('10.0.0.1', 80)]], [local('fd00::1', 6), [endpoint('fd00:10::1', 80)]],
      [servicePort({ name: 'itp', clusterIP: '172.30.0.2', port: 80, internalPolicyLocal: true }), [endpoint('10.0.0.2', 80)]]]), full);
    assert.deepEqual(r.noLocalEndpoints, { internal: 1, external: 2 });
    const tables = (await nft.list()).tables.map((t) => `${t.family} ${t.name}`).sort();
    assert.ok(tables.includes('ip dataplane-proxy') && tables.includes('ip6 dataplane-proxy'));
    assert.match(nft.dump(), /table ip6 dataplane-proxy-\d+ \{[^]*dnat ip6 to numgen random mod 1 map @service-default\/lb\/tcp\//);
  });
});

describe('nftables backend: partial sync', () => {
  it('writes one transaction per touched shard, in that shard and the shared table only', async () => {
    const nft = new Recording();
    const b = backend(nft, { families: [4] }, 64);
    const svcs = ['alpha', 'beta', 'gamma'].map((name, i) => servicePort({ name, clusterIP: `172.30.0.${i + 1}`, port: 80 }));
    assert.equal(new Set(svcs.map((s) => shardOf(s, 64))).size, 3, 'the test wants three shards');
    const eps = (ip: string) => [endpoint(ip, 80)];
    await b.sync(proxyState(svcs.map((s) => [s, eps('10.0.0.1')])), full);
    nft.take();
    await b.sync(proxyState(svcs.map((s, i) => [s, eps(i === 1 ? '10.0.0.2' : '10.0.0.1')])), partial(svcs[1]!.key));
    assert.deepEqual(nft.take(), [['ip dataplane-proxy', `ip ${shardTable(shardOf(svcs[1]!, 64))}`]]);
    await b.sync(proxyState(svcs.map((s) => [s, eps('10.0.0.3')])), partial(svcs[0]!.key, svcs[2]!.key));
    assert.deepEqual(nft.take().map((t) => t[1]).sort(), [svcs[0]!, svcs[2]!].map((s) => `ip ${shardTable(shardOf(s, 64))}`).sort());
  });

  it('a pod replaced by another changes two map elements and its hairpin pair, nothing else', async () => {
    const nft = new Recording();
    const b = backend(nft, { families: [4] });
    const svc = servicePort({ name: 'web', clusterIP: '172.30.0.1', port: 80 });
    await b.sync(proxyState([[svc, [endpoint('10.0.0.1', 80), endpoint('10.0.0.2', 80)]]]), full);
    nft.commits.splice(0);
    await b.sync(proxyState([[svc, [endpoint('10.0.0.1', 80), endpoint('10.0.0.3', 80)]]]), partial(svc.key));
    const shard = shardTable(shardOf(svc, 8));
    assert.deepEqual(nft.commits.flatMap((tx) => tx.toString().trim().split('\n')), [
      `delete element ip ${shard} service-default/web/tcp/ { 1 : 10.0.0.2 . 80 }`,
      'delete element ip dataplane-proxy hairpin { 10.0.0.2 . 10.0.0.2 }',
      `add element ip ${shard} service-default/web/tcp/ { 1 : 10.0.0.3 . 80 }`,
      'add element ip dataplane-proxy hairpin { 10.0.0.3 . 10.0.0.3 }',
    ]);
  });

  it('ends where a full sync of the same state ends, through random changes of every service shape', async function () {
    // 12-18 s on a 2-core machine running two VMs beside it: the default 20 s is too close.
    this.timeout(90_000);
    const clock = { now: 0 };
    const nft = new FakeNftables();
    const b = backend(nft, {}, 8, clock);
    const rnd = mulberry32(42);
    const pool = servicePool();
    const state = proxyState([]);
    const services = state.services as Map<string, ServicePort>;
    const endpoints = state.endpoints as Map<string, ReturnType<typeof endpoint>[]>;
    await b.sync(state, full);
    for (let step = 0; step < 50; step++) {
      const changed = mutate(rnd, pool, services, endpoints);
      const r = await b.sync(state, partial(...changed));
      clock.now += 2000;
      await b.sync(state, partial());  // deletes the chains the last step left unused
      const fresh = new FakeNftables();
      const f = await backend(fresh).sync(state, full);
      assert.deepEqual(r.noLocalEndpoints, f.noLocalEndpoints, `step ${step}`);
      assert.deepEqual(withoutEmptyShards(await canonical(nft), await canonical(fresh)), await canonical(fresh), `step ${step}: ${changed.join(', ')}`);
    }
  });
});

// Shard tables a partial sync emptied stay (with their empty maps) until the next full sync.
function withoutEmptyShards(have: string[], want: string[]): string[] {
  const tables = new Set(want.filter((l) => l.startsWith('table ')).map((l) => l.split(' ').slice(1, 3).join(' ')));
  return have.filter((l) => {
    const [kind, family, table] = l.split(' ');
    if (tables.has(`${family} ${table}`)) return true;
    if (kind === 'set' && !/ (nodeport-ips|local-cidrs) /.test(l)) assert.match(l, /\{\}$/, `an emptied shard keeps an element: ${l}`);
    if (kind === 'chain') assert.match(l, /^chain \S+ \S+ (nat-prerouting|nat-output|services) /, `an emptied shard keeps a chain: ${l}`);
    return false;
  });
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Every shape the plan knows, in both families.
function servicePool(): ServicePort[] {
  const out: ServicePort[] = [];
  for (const family of [4, 6] as const) {
    const ip = (n: number) => (family === 4 ? `172.30.0.${n}` : `fd00:172::${n}`);
    const vip = (n: number) => (family === 4 ? `1.2.3.${n}` : `2001:db8::${n}`);
    out.push(
      servicePort({ name: 'plain', clusterIP: ip(1), port: 80, family }),
      servicePort({ name: 'dns', clusterIP: ip(2), port: 53, protocol: 'udp', family }),
      servicePort({ name: 'np', clusterIP: ip(3), port: 80, nodePort: 30003, family }),
      servicePort({ name: 'lb', clusterIP: ip(4), port: 443, nodePort: 30004, loadBalancerVIPs: [vip(4)], family,
        loadBalancerSourceRanges: [family === 4 ? '203.0.113.0/25' : '2600::/64', family === 4 ? '192.168.0.0/24' : 'fd00:192::/64'] }),
      servicePort({ name: 'local', clusterIP: ip(5), port: 80, nodePort: 30005, externalIPs: [vip(5)], externalPolicyLocal: true, family }),
      servicePort({ name: 'sticky', clusterIP: ip(6), port: 80, stickyMaxAgeSeconds: 30, loadBalancerVIPs: [vip(6)], family }),
      servicePort({ name: 'itp', clusterIP: ip(7), port: 80, internalPolicyLocal: true, family }),
      servicePort({ name: 'shared', clusterIP: ip(1), port: 8080, portName: 'alt', family }),
    );
  }
  return out;
}

function mutate(rnd: () => number, pool: ServicePort[], services: Map<string, ServicePort>, endpoints: Map<string, ReturnType<typeof endpoint>[]>): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const changed: string[] = [];
  for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
    const base = pick(pool);
    changed.push(base.key);
    const roll = rnd();
    if (roll < 0.15) {
      services.delete(base.key);
      endpoints.delete(base.key);
      continue;
    }
    const svc = roll < 0.3 ? { ...base, stickyMaxAgeSeconds: base.stickyMaxAgeSeconds > 0 ? Math.floor(1 + rnd() * 60) : 0 } : base;
    services.set(svc.key, svc);
    const eps = [];
    for (let i = 1; i <= 4; i++) {
      if (rnd() < 0.4) continue;
      const ip = svc.family === 4 ? `10.0.0.${i}` : `fd00:10::${i}`;
      const local = rnd() < 0.4;
      eps.push(rnd() < 0.2 ? terminating(ip, 8080, { local }) : endpoint(ip, 8080, { local }));
    }
    endpoints.set(svc.key, eps);
  }
  return changed;
}

describe('nftables backend: steady full syncs', () => {
  const svc = servicePort({ name: 'web', clusterIP: '172.30.0.1', port: 80 });
  const other = servicePort({ name: 'other', clusterIP: '172.30.0.2', port: 80 });
  const state = (ip: string) => proxyState([[svc, [endpoint(ip, 80)]], [other, [endpoint('10.0.0.9', 80)]]]);

  it('writes nothing when nothing changed and nobody else committed, and only what changed when the state did', async () => {
    const nft = new Recording();
    const b = backend(nft, { families: [4] });
    await b.sync(state('10.0.0.1'), full);
    nft.take();
    assert.equal((await b.sync(state('10.0.0.1'), full)).written, 0);
    assert.deepEqual(nft.take(), []);
    await b.sync(state('10.0.0.2'), full);
    assert.deepEqual(nft.take(), [['ip dataplane-proxy', `ip ${shardTable(shardOf(svc, 8))}`]]);
    const fresh = new FakeNftables();
    await backend(fresh, { families: [4] }).sync(state('10.0.0.2'), full);
    assert.deepEqual(await canonical(nft.fake), await canonical(fresh));
  });

  it('rewrites every table after another process committed anything, even elsewhere', async () => {
    const nft = new Recording();
    const b = backend(nft, { families: [4] });
    await b.sync(state('10.0.0.1'), full);
    await nft.fake.commit(nft.transaction().addTable({ family: 'inet', name: 'firewall' }));
    nft.take();
    await b.sync(state('10.0.0.1'), full);
    assert.equal(nft.take().length, 3, 'two shards and the shared table');
  });

  it('a commit that races another process\'s is sent again, and the next full sync rewrites', async () => {
    const nft = new Recording();
    const b = backend(nft, { families: [4] });
    await b.sync(state('10.0.0.1'), full);
    await nft.fake.commit(nft.transaction().addTable({ family: 'inet', name: 'firewall' }));  // between our syncs
    nft.take();
    nft.attempts = 0;
    await b.sync(state('10.0.0.2'), partial(svc.key));
    assert.equal(nft.take().length, 1);
    assert.equal(nft.attempts, 2, 'refused once for the generation (ERESTART), sent again');
    await b.sync(state('10.0.0.2'), full);
    assert.equal(nft.take().length, 3);
  });
});

describe('nftables backend: placement, failures, bad input, cleanup', () => {
  it('moves services to their new shards, and drops the old tables, when the shard count changes', async () => {
    const nft = new FakeNftables();
    const svcs = Array.from({ length: 20 }, (_, i) => servicePort({ name: `s${i}`, clusterIP: `172.30.1.${i}`, port: 80 }));
    const state = proxyState(svcs.map((s) => [s, [endpoint('10.0.0.1', 80)]]));
    const clock = { now: 0 };
    await backend(nft, { families: [4] }, 16).sync(state, full);
    const b = backend(nft, { families: [4] }, 3, clock);
    await b.sync(state, full);
    clock.now += 1000;
    await b.sync(state, full);  // deletes the chains the old shards left in tables 0..2
    const tables = (await nft.list()).tables.map((t) => t.name).sort();
    assert.deepEqual(tables, ['dataplane-proxy', 'dataplane-proxy-0', 'dataplane-proxy-1', 'dataplane-proxy-2']);
    const fresh = new FakeNftables();
    await backend(fresh, { families: [4] }, 3).sync(state, full);
    assert.deepEqual(await canonical(nft), await canonical(fresh));
  });

  it('after a refused commit, the next sync is a full one and repairs everything', async () => {
    const nft = new Recording();
    const b = backend(nft, { families: [4] });
    const svc = servicePort({ name: 'web', clusterIP: '172.30.0.1', port: 80 });
    await b.sync(proxyState([[svc, [endpoint('10.0.0.1', 80)]]]), full);
    nft.refuseNext = new Error('refused');
    await assert.rejects(b.sync(proxyState([[svc, [endpoint('10.0.0.2', 80)]]]), partial(svc.key)), /refused/);
    nft.take();
    await b.sync(proxyState([[svc, [endpoint('10.0.0.2', 80)]]]), partial());
    assert.deepEqual(nft.take().map((t) => t.join()), [`ip ${shardTable(shardOf(svc, 8))}`, 'ip dataplane-proxy'], 'a full sync: every table rewritten');
    const fresh = new FakeNftables();
    await backend(fresh, { families: [4] }).sync(proxyState([[svc, [endpoint('10.0.0.2', 80)]]]), full);
    assert.deepEqual(await canonical(nft.fake), await canonical(fresh));
  });

  it('turns a partial sync into a full one when the node\'s addresses change', async () => {
    const nft = new Recording();
    const b = backend(nft, { families: [4] });
    const svc = servicePort({ name: 'web', clusterIP: '172.30.0.1', port: 80, nodePort: 30000 });
    await b.sync(proxyState([[svc, [endpoint('10.0.0.1', 80)]]]), full);
    nft.take();
    await b.sync(proxyState([[svc, [endpoint('10.0.0.1', 80)]]], nodeInfo({ primaryIPs: { 4: '192.168.7.7' } })), partial());
    assert.equal(nft.take().length, 2);
    assert.match(nft.fake.dump(), /set nodeport-ips \{[^}]*elements = \{ 192\.168\.7\.7 \}/);
  });

  it('refuses bad input with a TypeError naming the service port, before anything is sent', async () => {
    const nft = new Recording();
    const b = backend(nft, { families: [4] });
    const good = servicePort({ name: 'good', clusterIP: '172.30.0.1', port: 80 });
    await b.sync(proxyState([[good, [endpoint('10.0.0.1', 80)]]]), full);
    const before = await canonical(nft.fake);
    nft.take();
    const bad = servicePort({ name: 'bad', clusterIP: '172.30.0.2', port: 80 });
    await assert.rejects(b.sync(proxyState([[good, [endpoint('10.0.0.9', 80)]], [bad, [endpoint('10.0.0.300', 80)]]]), partial(good.key, bad.key)),
      (e: Error) => e instanceof TypeError && /default\/bad\/tcp/.test(e.message));
    await assert.rejects(b.sync(proxyState([[good, [endpoint('10.0.0.1', 80)]], [{ ...bad, clusterIP: 'nope' }, []]]), full), TypeError);
    assert.deepEqual(nft.take(), []);
    assert.deepEqual(await canonical(nft.fake), before);
    assert.throws(() => backend(nft, { masqueradeBit: 32 }), RangeError);
    assert.throws(() => backend(nft, { families: [] }), TypeError);
    assert.throws(() => backend(nft, { detectLocal: { mode: 'ClusterCIDR', cidrs: ['10.0.0.0/33'] } }), /detectLocal\.cidrs\[0\]/);
    assert.throws(() => backend(nft, { detectLocal: { mode: 'InterfaceNamePrefix', prefix: 'a-very-long-interface-prefix' } }), /not an interface name/);
    assert.throws(() => backend(nft, { nodePortAddresses: { cidrs: ['192.168.0.0/24', 'nope'] } }), /nodePortAddresses\.cidrs\[1\]/);
  });

  it('deletes a chain that fell out of use only a second later', async () => {
    const clock = { now: 0 };
    const nft = new FakeNftables();
    const b = backend(nft, { families: [4] }, 8, clock);
    const svc = servicePort({ name: 'lb', clusterIP: '172.30.0.1', port: 80, loadBalancerVIPs: ['1.2.3.4'], externalPolicyLocal: true });
    await b.sync(proxyState([[svc, [endpoint('10.0.0.1', 80, { local: true }), endpoint('10.0.0.2', 80)]]]), full);
    await b.sync(proxyState([[svc, [endpoint('10.0.0.2', 80)]]]), partial(svc.key));
    const gone = 'chain local-default/lb/tcp/';
    assert.match(nft.dump(), new RegExp(`${gone} \\{\\n\\t\\}`), 'flushed at once');
    clock.now += 999;
    await b.sync(proxyState([[svc, [endpoint('10.0.0.2', 80)]]]), partial());
    assert.ok(nft.dump().includes(gone));
    clock.now += 1;
    await b.sync(proxyState([[svc, [endpoint('10.0.0.2', 80)]]]), partial());
    assert.ok(!nft.dump().includes(gone));
  });

  it('cleanup deletes every table of ours in both families, whatever the shard count, and nothing else', async () => {
    const nft = new FakeNftables();
    await nft.commit(nft.transaction().addTable({ family: 'ip', name: 'kube-proxy' }).addTable({ family: 'inet', name: 'dataplane-proxy' }));
    const svc = servicePort({ name: 'web', clusterIP: '172.30.0.1', port: 80 });
    const svc6 = servicePort({ name: 'web', clusterIP: 'fd00::1', port: 80 });
    await backend(nft, {}, 1000).sync(proxyState([[svc, []], [svc6, []]]), full);
    await backend(nft, { families: [4] }, 2).cleanup();
    assert.deepEqual((await nft.list()).tables.map((t) => `${t.family} ${t.name}`).sort(), ['inet dataplane-proxy', 'ip kube-proxy']);
  });

  it('setup checks the kernel with a table it deletes in the same transaction', async () => {
    const nft = new Recording();
    await backend(nft).setup();
    assert.equal(nft.commits.length, 1);
    assert.deepEqual((await nft.list()).tables, []);
    nft.refuseNext = Object.assign(new Error('Operation not supported'), { code: 'EOPNOTSUPP' });
    await assert.rejects(backend(nft).setup(), /kernel refused the ruleset's statements \(Operation not supported\)/);
  });
});
