// The iptables backend against FakeIptables (no privilege): what a full and
// a partial sync write, the counts it reports, and that a sync that fails
// (our chain gone under it) leaves the next one a full rewrite that repairs it.
// Where packets land is test/host/proxy-iptables.test.ts.
import assert from 'node:assert/strict';

import { FakeIptables } from '../../src/iptables/index.js';
import { IptablesBackend, serviceChains } from '../../src/proxy/backend/iptables/index.js';
import { backendOptions, endpoint, proxyState, servicePort } from '../fixtures/proxy-nft/model.js';

const svcA = servicePort({ name: 'a', clusterIP: '172.30.0.1', port: 80 });
const svcB = servicePort({ name: 'b', clusterIP: '172.30.0.2', port: 80, nodePort: 30080, externalPolicyLocal: true });
const ep = (n: number, local = false) => endpoint(`10.0.${n}.2`, 8080, { local });

function setup(): { ipt: FakeIptables; backend: IptablesBackend } {
  const ipt = new FakeIptables({ family: 4 });
  return { ipt, backend: new IptablesBackend(backendOptions({ families: [4] }), { iptables: { 4: ipt } }) };
}

const ruleLines = (ipt: FakeIptables, table: 'nat' | 'filter', chain: string): Promise<string[]> =>
  ipt.get(table).then((t) => t.toString().split('\n').filter((l) => l.startsWith(`-A ${chain} `)));

describe('proxy: iptables backend (FakeIptables)', () => {
  it('a full sync writes both tables; a partial one rewrites the changed port\'s chains and keeps the others\' as they were', async () => {
    const { ipt, backend } = setup();
    await ipt.restore('*nat\n:OTHER - [0:0]\n-A PREROUTING -j OTHER\nCOMMIT\n');
    const r = await backend.sync(proxyState([[svcA, [ep(1), ep(2)]], [svcB, [ep(3)]]]), { full: true, changed: new Set() });
    assert.deepEqual(r.noLocalEndpoints, { internal: 0, external: 1 }, 'b: Local policy, no local endpoint');
    assert.ok(r.written > 10);
    assert.deepEqual(await ruleLines(ipt, 'nat', 'PREROUTING'), ['-A PREROUTING -m comment --comment "dataplane-proxy service portals" -j DP-SERVICES', '-A PREROUTING -j OTHER']);
    assert.deepEqual(await ruleLines(ipt, 'filter', 'DP-EXTERNAL-SERVICES'),
      ['-A DP-EXTERNAL-SERVICES -d 192.168.0.2/32 -p tcp -m comment --comment "default/b has no local endpoints" -m tcp --dport 30080 -j DROP']);
    const bBefore = await ruleLines(ipt, 'nat', serviceChains(svcB.key).cluster);
    const r2 = await backend.sync(proxyState([[svcA, [ep(1)]], [svcB, [ep(3)]]]), { full: false, changed: new Set([svcA.key]) });
    assert.ok(r2.written < r.written);
    assert.equal((await ruleLines(ipt, 'nat', serviceChains(svcA.key).cluster)).length, 2, 'the masquerade rule and the one endpoint');
    assert.deepEqual(await ruleLines(ipt, 'nat', serviceChains(svcB.key).cluster), bBefore);
    assert.equal((await ipt.get('nat')).chains.filter((c) => c.name.startsWith('DP-SEP-')).length, 2);
  });

  it('a partial sync that finds a chain of ours gone fails, changing nothing; the next sync is a full one and repairs it', async () => {
    const { ipt, backend } = setup();
    const state = proxyState([[svcA, [ep(1)]], [svcB, [ep(3, true)]]]);
    await backend.sync(state, { full: true, changed: new Set() });
    const written = (await ipt.get('nat')).toString();
    // Someone deletes b's service chain (and what jumps to it, and its endpoint chain).
    const b = serviceChains(svcB.key);
    await ipt.update('nat', (tx) => {
      const sep = (tx.table.chain(b.cluster)!.rules[1]!.target as { chain: string }).chain;
      tx.flush('DP-SERVICES').flush(b.external).flush(b.cluster).flush(b.local).flush(sep).deleteChain(sep).deleteChain(b.cluster);
    });
    const tampered = (await ipt.get('nat')).toString();
    await assert.rejects(backend.sync(state, { full: false, changed: new Set([svcA.key]) }), new RegExp(b.cluster));
    assert.equal((await ipt.get('nat')).toString(), tampered, 'nothing half-applied');
    await backend.sync(state, { full: false, changed: new Set() });
    assert.equal((await ipt.get('nat')).toString(), written);
  });

  it('cleanup removes our chains and jumps and nothing else; a second one finds nothing', async () => {
    const { ipt, backend } = setup();
    await ipt.restore('*filter\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n');
    await backend.sync(proxyState([[svcA, [ep(1)]]]), { full: true, changed: new Set() });
    await backend.cleanup();
    assert.doesNotMatch((await ipt.get('nat')).toString() + (await ipt.get('filter')).toString(), /DP-/);
    assert.deepEqual(await ruleLines(ipt, 'filter', 'INPUT'), ['-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT']);
    await backend.cleanup();
  });

  it('localhost NodePorts set route_localnet (once) and add the localnet firewall; not with NodePorts on listed addresses, nor on a foreign netns without a sysctl writer', async () => {
    const sysctls = new Map([['net/ipv4/conf/all/route_localnet', '0']]);
    const writes: string[] = [];
    const sysctl = {
      read: async (name: string) => sysctls.get(name) ?? '',
      write: async (name: string, value: string) => { writes.push(`${name}=${value}`); sysctls.set(name, value); },
    };
    const ipt = new FakeIptables({ family: 4 });
    const on = { families: [4] as const, nodePortAddresses: { cidrs: ['0.0.0.0/0'] }, iptables: { localhostNodePorts: true } };
    const backend = new IptablesBackend(backendOptions(on), { iptables: { 4: ipt }, sysctl });
    await backend.setup();
    await backend.setup();
    assert.deepEqual(writes, ['net/ipv4/conf/all/route_localnet=1'], 'written once: read first, as kube-proxy');
    await backend.sync(proxyState([[svcB, [ep(3)]]]), { full: true, changed: new Set() });
    assert.deepEqual(await ruleLines(ipt, 'nat', 'DP-SERVICES'), [
      ...(await ruleLines(ipt, 'nat', 'DP-SERVICES')).filter((l) => !l.includes('DP-NODEPORTS')),
      '-A DP-SERVICES -m addrtype --dst-type LOCAL -m comment --comment "dataplane-proxy service nodeports; NOTE: this must be the last rule in this chain" -j DP-NODEPORTS',
    ]);
    assert.deepEqual(await ruleLines(ipt, 'filter', 'INPUT'), [
      '-A INPUT -m comment --comment "dataplane-proxy localnet firewall" -j DP-FIREWALL',
      '-A INPUT -m comment --comment "dataplane-proxy health check service ports" -j DP-NODEPORTS',
      '-A INPUT -m conntrack --ctstate NEW -m comment --comment "dataplane-proxy load balancer firewall" -j DP-PROXY-FIREWALL',
      '-A INPUT -m conntrack --ctstate NEW -m comment --comment "dataplane-proxy externally-visible service portals" -j DP-EXTERNAL-SERVICES',
    ]);
    // NodePorts on the primary IP only: loopback is never one of them, so nothing is set.
    const writes2 = writes.length;
    const primary = new IptablesBackend(backendOptions({ ...on, nodePortAddresses: { primary: true } }), { iptables: { 4: new FakeIptables({ family: 4 }) }, sysctl });
    sysctls.set('net/ipv4/conf/all/route_localnet', '0');
    await primary.setup();
    assert.equal(writes.length, writes2);
    // /proc/sys shows only this process's namespace: pointed at another one, it says how to run it instead.
    // (Any namespace file that is not this process's network namespace will do for "another one".)
    const foreign = new IptablesBackend(backendOptions({ ...on, netns: { path: '/proc/self/ns/uts' } }), { iptables: { 4: new FakeIptables({ family: 4 }) } });
    await assert.rejects(foreign.setup(), /route_localnet.*--iptables-localhost-nodeports=false/);
  });

  it('accepts a Local-policy load balancer\'s health check NodePort in filter (kube-proxy\'s KUBE-NODEPORTS), and only that', async () => {
    const { ipt, backend } = setup();
    const lb = servicePort({ name: 'lb', clusterIP: '172.30.0.3', port: 80, loadBalancerVIPs: ['1.2.3.4'], externalPolicyLocal: true, healthCheckNodePort: 30000 });
    await backend.sync(proxyState([[svcA, [ep(1)]], [lb, [ep(2, true)]]]), { full: true, changed: new Set() });
    assert.deepEqual(await ruleLines(ipt, 'filter', 'DP-NODEPORTS'),
      ['-A DP-NODEPORTS -p tcp -m comment --comment "default/lb health check node port" -m tcp --dport 30000 -j ACCEPT']);
    await backend.sync(proxyState([[svcA, [ep(1)]]]), { full: false, changed: new Set([lb.key]) });
    assert.deepEqual(await ruleLines(ipt, 'filter', 'DP-NODEPORTS'), [], 'gone with its service');
  });

  it('refuses bad options before touching anything', () => {
    assert.throws(() => new IptablesBackend(backendOptions({ families: [] })), TypeError);
    assert.throws(() => new IptablesBackend(backendOptions({ masqueradeBit: 32 })), RangeError);
    assert.throws(() => new IptablesBackend(backendOptions({ detectLocal: { mode: 'InterfaceNamePrefix', prefix: 'a-very-long-nam' } })), TypeError);
  });
});
