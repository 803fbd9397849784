// The ruleset dataplane-proxy's nftables backend writes, printed as nft
// prints it: the backend syncs every Service shape (ClusterIP, NodePort,
// external IP, load balancer with source ranges, ClientIP affinity, Local
// policies, no endpoints, terminating endpoints, both families) into a fresh
// netns, and `nft list ruleset` is the oracle for
//   - list().toString(), and the same sync's FakeNftables dump(),
//   - printRule() of each listed rule without its sets (how the proxy's
//     plan tests print rules), chain by chain,
//   - the printed text, loaded with nft elsewhere: it lists the same.
// It also pins the lines the proxy's unit tests expect to what nft prints.
import assert from 'node:assert/strict';

import { FakeNftables, Nftables, printRule, type NftablesInterface } from '../../src/nft/index.js';
import type { BackendOptions } from '../../src/proxy/backend/backend.js';
import { NftablesBackend } from '../../src/proxy/backend/nftables/index.js';
import type { ProxyState } from '../../src/proxy/model/types.js';
import { freshNetnsPerTest, makeNetns } from '../helpers.js';
import { nftIn, nftList, withFile } from '../fixtures/nft/flowtable-ruleset.js';
import { backendOptions, endpoint, proxyState, servicePort, terminating } from '../fixtures/proxy-nft/model.js';

const ep = (ip: string, port: number, local = false) => endpoint(ip, port, { local });

/** Every Service shape the backend has, in both families. */
function everyShape(): ProxyState {
  return proxyState([
    [servicePort({ name: 'web', clusterIP: '172.30.0.41', port: 80, portName: 'http', nodePort: 30080 }), [ep('10.180.0.1', 8080), ep('10.180.0.2', 8080, true)]],
    [servicePort({ name: 'svc1', clusterIP: '172.30.0.42', port: 80, stickyMaxAgeSeconds: 10800 }), [ep('10.180.0.1', 80), ep('10.180.0.2', 80), ep('10.180.0.3', 80)]],
    [servicePort({ name: 'lb', clusterIP: '172.30.0.43', port: 80, loadBalancerVIPs: ['1.2.3.4'], externalPolicyLocal: true }), [ep('10.0.0.1', 80)]],
    [servicePort({ name: 'lb', clusterIP: 'fd00::43', port: 80, loadBalancerVIPs: ['2001:db8::4'], externalPolicyLocal: true }), [ep('fd00:10::1', 80)]],
    [servicePort({ name: 'fw', clusterIP: '172.30.0.44', port: 443, nodePort: 30443, externalIPs: ['192.168.99.11'], loadBalancerVIPs: ['5.6.7.8'],
      loadBalancerSourceRanges: ['203.0.113.0/24', '198.51.100.0/25'] }), [ep('10.180.0.4', 8443, true)]],
    [servicePort({ name: 'dns', clusterIP: '172.30.0.10', port: 53, protocol: 'udp', internalPolicyLocal: true }), [ep('10.180.0.5', 53, true), ep('10.180.0.6', 53)]],
    [servicePort({ name: 'sctp', clusterIP: '172.30.0.45', port: 9, protocol: 'sctp', nodePort: 30009 }), [terminating('10.180.0.7', 9)]],
    [servicePort({ name: 'none', clusterIP: '172.30.0.46', port: 80, nodePort: 30081, externalIPs: ['192.168.99.12'] }), []],
    [servicePort({ name: 'v6', clusterIP: 'fd00::41', port: 80, nodePort: 30082 }), [ep('fd00:10::1', 80), ep('fd00:10::2', 80, true)]],
    [servicePort({ name: 'v6aff', clusterIP: 'fd00::42', port: 80, stickyMaxAgeSeconds: 60 }), [ep('fd00:10::3', 80), ep('fd00:10::4', 80)]],
  ]);
}

async function sync(nft: NftablesInterface, o: Partial<BackendOptions>, state: ProxyState): Promise<void> {
  await new NftablesBackend(backendOptions({ families: [4, 6], ...o }), { nftables: nft, shards: 4, localAddresses: async () => [] })
    .sync(state, { full: true, changed: new Set() });
}

/** Each chain's rule lines in an nft listing, by `family table chain`. */
function chainRules(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let table = '', lines: string[] | undefined;
  for (const l of text.split('\n')) {
    const t = /^table (\S+ \S+) \{$/.exec(l), c = /^\tchain (\S+) \{$/.exec(l);
    if (t !== null) table = t[1]!;
    else if (c !== null) out.set(`${table} ${c[1]!}`, (lines = []));
    else if (l === '\t}') lines = undefined;
    else if (lines !== undefined && !/^\t\ttype \S+ hook /.test(l)) lines.push(l.slice(2));
  }
  return out;
}

describe('the nftables proxy backend\'s ruleset prints as nft lists it', function () {
  this.timeout(30_000);
  const ns = freshNetnsPerTest();

  const cases: [string, Partial<BackendOptions>][] = [
    ['kube-proxy\'s defaults (cluster CIDR as local traffic)', {}],
    ['--masquerade-all', { masqueradeAll: true }],
    ['no local traffic detection', { detectLocal: { mode: 'None' } }],
    ['local traffic by interface name prefix', { detectLocal: { mode: 'InterfaceNamePrefix', prefix: 'veth' } }],
  ];
  for (const [name, options] of cases) {
    it(`${name}: toString(), FakeNftables, printRule() without sets, and a reload of the text`, async () => {
      const nft = await Nftables.open({ netns: ns.name });
      try {
        await sync(nft, options, everyShape());
        const text = nftList(ns.name);
        const listed = await nft.list();
        assert.equal(listed.toString(), text);
        const fake = new FakeNftables();
        await sync(fake, options, everyShape());
        assert.equal(fake.dump(), text);
        const chains = chainRules(text);
        for (const c of listed.chains) {
          const ours = listed.rules.filter((r) => r.family === c.family && r.table === c.table && r.chain === c.name).map((r) => printRule(r));
          assert.deepEqual(ours, chains.get(`${c.family} ${c.table} ${c.name}`), `chain ${c.family} ${c.table} ${c.name}`);
        }
        const other = makeNetns();
        try {
          withFile(listed.toString(), (f) => nftIn(other.name, '-f', f));
          assert.equal(nftList(other.name), text);
        } finally {
          other.remove();
        }
      } finally {
        await nft.close();
      }
    });
  }

  it('the lines the proxy\'s unit tests expect are nft\'s', async () => {
    const nft = await Nftables.open({ netns: ns.name });
    try {
      await sync(nft, {}, everyShape());
    } finally {
      await nft.close();
    }
    const text = nftList(ns.name);
    const a = (ip: string) => `@affinity-default/svc1/tcp/__${ip}/80`;
    for (const line of [
      '\t\tmeta l4proto tcp dnat ip to numgen random mod 2 map @service-default/web/tcp/http\n',
      '\tmap service-default/web/tcp/http {\n\t\ttypeof numgen random mod 1 : ip daddr . tcp dport\n',
      '\t\tmeta l4proto tcp dnat ip6 to numgen random mod 1 map @service-default/lb/tcp/\n',
      `\t\tnumgen random mod 3 0 meta l4proto tcp update ${a('10.180.0.1')} { ip saddr } dnat to 10.180.0.1:80\n`,
      `\t\tnumgen random mod 2 0 meta l4proto tcp update ${a('10.180.0.2')} { ip saddr } dnat to 10.180.0.2:80\n`,
      `\t\tmeta l4proto tcp update ${a('10.180.0.3')} { ip saddr } dnat to 10.180.0.3:80\n`,
      '\t\tct status dnat ip saddr . ip daddr @hairpin masquerade fully-random\n',
    ]) assert.ok(text.includes(line), `nft lists ${JSON.stringify(line)}`);
  });
});
