// Real traffic through rules we wrote: a client namespace connects to a
// virtual IP that a router namespace DNATs (kube-proxy style) to two
// backend namespaces.
//
//   c (10.0.0.1) --- lb (10.0.0.254 | 10.0.1.254 | 10.0.2.254, forwarding) --- b1 (10.0.1.1:8080)
//                                                                          \-- b2 (10.0.2.1:8080)
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';

import { Nftables, nft, type Transaction } from '../../src/index.js';
import { makeNetns, sh } from '../helpers.js';

const VIP = '10.96.0.10';
const T = { family: 'ip' as const, table: 'kube-proxy' };

function ipIn(ns: string, ...args: string[]): void {
  sh('ip', ['-n', ns, ...args]);
}

/** Makes `count` TCP connections to VIP:80 from the client namespace; returns how many each backend answered. */
function connect(client: string, count: number): Promise<Record<string, number>> {
  const script = `
    const net = require('node:net');
    const counts = {};
    (async () => {
      for (let i = 0; i < ${count}; i++) {
        const name = await new Promise((resolve) => {
          const s = net.connect({ host: '${VIP}', port: 80, timeout: 2000 });
          let data = '';
          s.on('data', (d) => { data += d; });
          s.on('end', () => resolve(data));
          s.on('timeout', () => { s.destroy(); resolve('timeout'); });
          s.on('error', (e) => resolve('error:' + e.code));
        });
        counts[name] = (counts[name] || 0) + 1;
      }
      process.stdout.write(JSON.stringify(counts));
    })();`;
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', client, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, number>) : reject(new Error(`client exited ${code}`))));
  });
}

function serve(ns: string, name: string): Promise<ChildProcess> {
  const script = `require('node:net').createServer((s) => s.end('${name}')).listen(8080, () => process.stdout.write('ready'));`;
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`backend ${name} exited ${code}`)));
  });
}

// The kube-proxy shape: services vmap -> service chain (numgen over endpoints,
// optional affinity) -> endpoint chains that DNAT.
function serviceRules(tx: Transaction, endpoints: { chain: string; ip: string; affinity: string }[], affinity: boolean): void {
  tx.flushChain({ ...T, name: 'svc' });
  if (affinity) for (const e of endpoints) tx.addRule(nft.rule('ip', T.table, 'svc', nft.inSet('ip saddr', e.affinity), nft.goto(e.chain)));
  tx.addRule(nft.rule('ip', T.table, 'svc', nft.numgenVmap(endpoints.map((e) => ({ kind: 'goto' as const, chain: e.chain })))));
}

describe('nftables: real traffic through our DNAT rules', function () {
  this.timeout(60000);
  const spaces: ReturnType<typeof makeNetns>[] = [];
  const servers: ChildProcess[] = [];
  let names: { c: string; lb: string; b1: string; b2: string };
  let handle: Nftables;

  before(async () => {
    const [c, lb, b1, b2] = [makeNetns(), makeNetns(), makeNetns(), makeNetns()];
    spaces.push(c, lb, b1, b2);
    names = { c: c.name, lb: lb.name, b1: b1.name, b2: b2.name };
    ipIn(names.lb, 'link', 'add', 'to-c', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', names.c);
    ipIn(names.lb, 'link', 'add', 'to-b1', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', names.b1);
    ipIn(names.lb, 'link', 'add', 'to-b2', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', names.b2);
    const addr: [string, string, string][] = [
      [names.lb, 'to-c', '10.0.0.254/24'], [names.lb, 'to-b1', '10.0.1.254/24'], [names.lb, 'to-b2', '10.0.2.254/24'],
      [names.c, 'eth0', '10.0.0.1/24'], [names.b1, 'eth0', '10.0.1.1/24'], [names.b2, 'eth0', '10.0.2.1/24'],
    ];
    for (const [ns, dev, a] of addr) {
      ipIn(ns, 'addr', 'add', a, 'dev', dev);
      ipIn(ns, 'link', 'set', dev, 'up');
    }
    for (const ns of [names.c, names.lb, names.b1, names.b2]) ipIn(ns, 'link', 'set', 'lo', 'up');
    ipIn(names.c, 'route', 'add', 'default', 'via', '10.0.0.254');
    ipIn(names.b1, 'route', 'add', 'default', 'via', '10.0.1.254');
    ipIn(names.b2, 'route', 'add', 'default', 'via', '10.0.2.254');
    sh('ip', ['netns', 'exec', names.lb, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
    servers.push(await serve(names.b1, 'b1'), await serve(names.b2, 'b2'));

    handle = await Nftables.open({ netns: names.lb });
    const tx = handle.transaction();
    tx.addTable({ family: 'ip', name: T.table });
    tx.addChain({ ...T, name: 'nat-prerouting', type: 'nat', hook: 'prerouting', priority: -100, policy: 'accept' });
    for (const name of ['services', 'svc', 'ep1', 'ep2']) tx.addChain({ ...T, name });
    tx.addSet({ ...T, name: 'service-ips', type: 'ipv4_addr . inet_proto . inet_service', map: 'verdict',
      elements: [{ key: [VIP, 'tcp', 80], verdict: { kind: 'goto', chain: 'svc' } }] });
    for (const a of ['affinity-ep1', 'affinity-ep2']) tx.addSet({ ...T, name: a, type: 'ipv4_addr', flags: ['dynamic', 'timeout'], timeout: 10800000 });
    tx.addRule(nft.rule('ip', T.table, 'nat-prerouting', nft.jump('services')));
    tx.addRule(nft.rule('ip', T.table, 'services', nft.vmap(['ip daddr', 'meta l4proto', 'th dport'], 'service-ips')));
    tx.addRule(nft.rule('ip', T.table, 'ep1', nft.updateSet('affinity-ep1', 'ip saddr')));
    tx.addRule(nft.rule('ip', T.table, 'ep1', nft.match('meta l4proto', 'tcp'), nft.dnat('10.0.1.1', 8080)));
    tx.addRule(nft.rule('ip', T.table, 'ep2', nft.updateSet('affinity-ep2', 'ip saddr')));
    tx.addRule(nft.rule('ip', T.table, 'ep2', nft.match('meta l4proto', 'tcp'), nft.dnat('10.0.2.1', 8080)));
    serviceRules(tx, [{ chain: 'ep1', ip: '10.0.1.1', affinity: 'affinity-ep1' }, { chain: 'ep2', ip: '10.0.2.1', affinity: 'affinity-ep2' }], false);
    await handle.commit(tx);
  });

  after(async () => {
    await handle?.close();
    for (const s of servers) s.kill();
    for (const ns of spaces) ns.remove();
  });

  const eps = [{ chain: 'ep1', ip: '10.0.1.1', affinity: 'affinity-ep1' }, { chain: 'ep2', ip: '10.0.2.1', affinity: 'affinity-ep2' }];

  it('spreads connections over both backends with numgen', async () => {
    const counts = await connect(names.c, 40);
    assert.equal((counts.b1 ?? 0) + (counts.b2 ?? 0), 40, JSON.stringify(counts));
    assert.ok((counts.b1 ?? 0) > 0 && (counts.b2 ?? 0) > 0, JSON.stringify(counts));
  });

  it('sticks the client to one backend with an affinity set', async () => {
    const tx = handle.transaction();
    tx.flushSet({ ...T, name: 'affinity-ep1' }).flushSet({ ...T, name: 'affinity-ep2' });
    serviceRules(tx, eps, true);
    await handle.commit(tx);
    const counts = await connect(names.c, 20);
    assert.equal(Object.keys(counts).length, 1, JSON.stringify(counts));
    assert.ok(['b1', 'b2'].includes(Object.keys(counts)[0]!));
    const elements = [...await handle.listElements({ ...T, name: 'affinity-ep1' }), ...await handle.listElements({ ...T, name: 'affinity-ep2' })];
    assert.deepEqual(elements.map((e) => e.key), ['10.0.0.1']);
  });

  it('moves traffic when an endpoint is removed', async () => {
    const tx = handle.transaction();
    tx.flushSet({ ...T, name: 'affinity-ep1' }).flushSet({ ...T, name: 'affinity-ep2' });
    serviceRules(tx, [eps[1]!], true);
    await handle.commit(tx);
    const counts = await connect(names.c, 20);
    assert.deepEqual(counts, { b2: 20 });
  });
});
