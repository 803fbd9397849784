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

  it('refuses bad options before touching anything', () => {
    assert.throws(() => new IptablesBackend(backendOptions({ families: [] })), TypeError);
    assert.throws(() => new IptablesBackend(backendOptions({ masqueradeBit: 32 })), RangeError);
    assert.throws(() => new IptablesBackend(backendOptions({ detectLocal: { mode: 'InterfaceNamePrefix', prefix: 'a-very-long-nam' } })), TypeError);
  });
});
