// IPVS mode without a kernel: options, sysctls, the per-service-port plan,
// the reference-counted union of plans, how a virtual server is reconciled,
// and the backend's syncs over the library's FakeIpvs and FakeNftables (fast
// logic tests; the vm suite runs the same backend on real IPVS with traffic).
import assert from 'node:assert/strict';

import { FakeIpvs, FakeNftables, NetlinkError, type Address, type ConntrackFilter, type Link } from '../../src/index.js';
import { IpvsBackend, ipvsSysctls, planServicePort, resolveIpvsOptions, type AddressHandle, type PlanContext } from '../../src/proxy/backend/ipvs/index.js';
import { DesiredState } from '../../src/proxy/backend/ipvs/desired.js';
import { currentFromPlan, reconcile } from '../../src/proxy/backend/ipvs/reconcile.js';
import { backendFactory } from '../../src/proxy/backend/registry.js';
import { backendOptions as proxyBackendOptions, toProxyConfig } from '../../src/proxy/config/proxy-config.js';
import { resolveArgv } from '../../src/proxy/config/resolve.js';
import { backendOptions, endpoint, Model, NODE, service } from '../fixtures/proxy-ipvs/state.js';

const CTX: PlanContext = { scheduler: 'rr', node: NODE, nodePortIPs: { 4: ['192.168.100.1'], 6: ['fd00:100::1'] }, otherAddresses: new Set(['192.168.100.1', '203.0.113.99']) };
const nginx = () => service('default/nginx-service', { portName: 'http', clusterIP: '10.96.0.10', port: 80, stickyMaxAgeSeconds: 50 });
const pods = ['10.244.1.2', '10.244.2.2', '10.244.3.2'].map((ip) => endpoint(ip, 80));

describe('IPVS mode: options and sysctls', () => {
  it('fills in kube-proxy\'s defaults and names the bad field', () => {
    assert.deepEqual(resolveIpvsOptions(), { scheduler: 'rr', syncPeriod: 30_000, excludeCIDRs: [], strictARP: false, tcpTimeout: 0, tcpFinTimeout: 0, udpTimeout: 0 });
    assert.throws(() => resolveIpvsOptions({ scheduler: 'r r' }), /ipvs.scheduler/);
    assert.throws(() => resolveIpvsOptions({ excludeCIDRs: ['10.0.0.0/8', 'nope'] }), /ipvs.excludeCIDRs\[1\]/);
    assert.throws(() => resolveIpvsOptions({ tcpTimeout: 500 }), RangeError);
    assert.throws(() => resolveIpvsOptions({ syncPeriod: 0 }), RangeError);
    assert.throws(() => new IpvsBackend(backendOptions({ masqueradeBit: 32 })), RangeError);
  });

  it('the seed\'s flags reach the backend: --ipvs-* as BackendOptions.ipvs, and the registry makes an IpvsBackend for --proxy-mode=ipvs', async () => {
    const r = resolveArgv(['--proxy-mode=ipvs', '--ipvs-scheduler=sh', '--ipvs-min-sync-period=5s', '--ipvs-sync-period=20s',
      '--ipvs-exclude-cidrs=172.30.0.0/16', '--ipvs-strict-arp', '--ipvs-tcp-timeout=900s', '--ipvs-udp-timeout=60s']);
    assert.ok(!('help' in r));
    const options = proxyBackendOptions(toProxyConfig(r.config, 'node1'), { families: [4] });
    assert.deepEqual(options.ipvs, { scheduler: 'sh', syncPeriod: 20_000, excludeCIDRs: ['172.30.0.0/16'], strictARP: true, tcpTimeout: 900_000, tcpFinTimeout: 0, udpTimeout: 60_000 });
    const backend = await (await backendFactory('ipvs'))(options, undefined as never);
    // (not instanceof: the registry's dynamic import may load a second copy of the module under mocha's loader)
    assert.deepEqual([backend.mode, backend.constructor.name], ['ipvs', 'IpvsBackend']);
    await backend.close();
  });

  it('sets kube-proxy\'s sysctls; conn_reuse_mode only on kernels 4.1 to 5.8; ARP ones under strict ARP', () => {
    const names = (r: string, strict: boolean) => ipvsSysctls(r, strict).map((s) => `${s.name}=${s.value}`);
    assert.deepEqual(names('6.1.0-57-amd64', false), ['net/ipv4/vs/conntrack=1', 'net/ipv4/vs/expire_nodest_conn=1', 'net/ipv4/vs/expire_quiescent_template=1', 'net/ipv4/ip_forward=1']);
    assert.ok(names('4.19.0', false).includes('net/ipv4/vs/conn_reuse_mode=0'));
    assert.ok(!names('5.9.0', false).some((s) => s.includes('conn_reuse_mode')));
    assert.deepEqual(names('6.1.0', true).slice(-2), ['net/ipv4/conf/all/arp_ignore=1', 'net/ipv4/conf/all/arp_announce=2']);
  });
});

describe('IPVS mode: the plan of one service port', () => {
  it('the nginx Service: one rr virtual server, persistent 50, three real servers; the ClusterIP bound and in the sets', () => {
    const p = planServicePort(nginx(), pods, CTX);
    assert.deepEqual(p.virtualServers.map((v) => [v.key, v.scheduler, v.persistence, [...v.dests.keys()]]),
      [['tcp/10.96.0.10/80', 'rr', 50, ['10.244.1.2:80', '10.244.2.2:80', '10.244.3.2:80']]]);
    assert.deepEqual(p.addresses, ['10.96.0.10']);
    assert.deepEqual(p.elements.map((e) => e.id).sort(), [
      '4 cluster-ips 10.96.0.10 . tcp . 80', '4 hairpin 10.244.1.2 . tcp . 80 . 10.244.1.2', '4 hairpin 10.244.2.2 . tcp . 80 . 10.244.2.2',
      '4 hairpin 10.244.3.2 . tcp . 80 . 10.244.3.2', '4 ipvs-ips 10.96.0.10']);
  });

  it('ExternalIPs, LoadBalancer IPs and NodePorts: a virtual server each; addresses on other interfaces are not bound again', () => {
    const svc = service('default/lb', { clusterIP: '10.96.0.11', port: 443, nodePort: 30443, externalIPs: ['203.0.113.99', '203.0.113.5'], loadBalancerVIPs: ['198.51.100.7'] });
    const p = planServicePort(svc, pods, { ...CTX, scheduler: 'mh' });
    assert.deepEqual(p.virtualServers.map((v) => v.key), ['tcp/10.96.0.11/443', 'tcp/203.0.113.99/443', 'tcp/203.0.113.5/443', 'tcp/198.51.100.7/443', 'tcp/192.168.100.1/30443']);
    assert.ok(p.virtualServers.every((v) => v.schedulerFlags.join() === 'mh-port'));
    assert.deepEqual(p.addresses, ['10.96.0.11', '203.0.113.5', '198.51.100.7']);
    assert.ok(p.elements.some((e) => e.id === '4 node-ports tcp . 30443'));
    assert.ok(p.elements.some((e) => e.id === '4 external-ips 203.0.113.5 . tcp . 443'));
  });

  it('externalTrafficPolicy Local: external virtual servers get this node\'s endpoints; none here -> cluster endpoints and the drop sets', () => {
    const svc = service('default/local', { clusterIP: '10.96.0.12', port: 80, nodePort: 30080, loadBalancerVIPs: ['198.51.100.8'], externalPolicyLocal: true });
    const mixed = [endpoint('10.244.1.2', 80), endpoint('10.244.9.2', 80, { isLocal: false })];
    const p = planServicePort(svc, mixed, CTX);
    assert.deepEqual(p.virtualServers.map((v) => [...v.dests.keys()].join()), ['10.244.1.2:80,10.244.9.2:80', '10.244.1.2:80', '10.244.1.2:80']);
    assert.ok(!p.elements.some((e) => e.set === 'node-ports'), 'not masqueraded');
    assert.ok(p.elements.some((e) => e.set === 'load-balancer-ips-local'));
    const none = planServicePort(svc, [endpoint('10.244.9.2', 80, { isLocal: false })], CTX);
    assert.deepEqual(none.virtualServers.map((v) => [...v.dests.keys()].join()), ['10.244.9.2:80', '10.244.9.2:80', '10.244.9.2:80']);
    assert.deepEqual(none.elements.filter((e) => e.set.startsWith('no-local')).map((e) => e.id), ['4 no-local-endpoints 198.51.100.8 . tcp . 80', '4 no-local-node-ports tcp . 30080']);
    assert.deepEqual(none.noLocalEndpoints, { internal: false, external: true });
  });

  it('internalTrafficPolicy Local: the ClusterIP gets only this node\'s endpoints', () => {
    const svc = service('default/il', { clusterIP: '10.96.0.13', port: 80, internalPolicyLocal: true });
    const p = planServicePort(svc, [endpoint('10.244.9.2', 80, { isLocal: false })], CTX);
    assert.equal(p.virtualServers[0]!.dests.size, 0);
    assert.deepEqual(p.noLocalEndpoints, { internal: true, external: false });
  });

  it('loadBalancerSourceRanges: the LB IP is firewalled; each range, and the LB IP itself when a range holds the node IP, let in', () => {
    const svc = service('default/fw', { clusterIP: '10.96.0.14', port: 80, loadBalancerVIPs: ['198.51.100.9'], loadBalancerSourceRanges: ['192.168.0.0/16', '10.0.0.0/8'] });
    const p = planServicePort(svc, pods, CTX);
    assert.deepEqual(p.elements.filter((e) => e.set.startsWith('firewall')).map((e) => [e.set, e.key.join(' '), e.keyEnd?.at(-1)]), [
      ['firewall-ips', '198.51.100.9 tcp 80', undefined],
      ['firewall-allow', '198.51.100.9 tcp 80 192.168.0.0', '192.168.255.255'],
      ['firewall-allow', '198.51.100.9 tcp 80 10.0.0.0', '10.255.255.255'],
      ['firewall-allow', '198.51.100.9 tcp 80 198.51.100.9', '198.51.100.9'],
    ]);
  });

  it('IPv6 addresses are canonical, as the kernel lists them', () => {
    const svc = service('default/v6', { clusterIP: 'FD00:96:0::0A', port: 80 });
    const p = planServicePort(svc, [endpoint('fd00:244:1:0::2', 8080)], CTX);
    assert.equal(p.virtualServers[0]!.key, 'tcp/fd00:96::a/80');
    assert.deepEqual([...p.virtualServers[0]!.dests.keys()], ['[fd00:244:1::2]:8080']);
  });
});

describe('IPVS mode: the union of plans and reconciling a virtual server', () => {
  it('an address two ports share stays until the last one goes; elements likewise', () => {
    const d = new DesiredState();
    const http = service('default/web', { portName: 'http', clusterIP: '10.96.0.20', port: 80 });
    const https = service('default/web', { portName: 'https', clusterIP: '10.96.0.20', port: 443 });
    const first = d.update([[http.key, planServicePort(http, pods, CTX)], [https.key, planServicePort(https, pods, CTX)]]);
    assert.deepEqual(first.addressesAdded, ['10.96.0.20']);
    assert.equal(first.virtualServers.size, 2);
    const gone = d.update([[http.key, undefined]]);
    assert.deepEqual([gone.addressesAdded, gone.addressesRemoved], [[], []]);
    assert.deepEqual(gone.elementsRemoved.map((e) => e.id), ['4 cluster-ips 10.96.0.20 . tcp . 80']);
    assert.deepEqual([...gone.virtualServers].map(([k, v]) => [k, v.after]), [['tcp/10.96.0.20/80', undefined]]);
    assert.deepEqual(d.update([[https.key, undefined]]).addressesRemoved, ['10.96.0.20']);
  });

  it('a removed TCP real server drains at weight 0 unless idle; UDP ones go at once with their flows; a draining one comes back at weight 1', () => {
    const tcp = planServicePort(nginx(), pods, CTX).virtualServers[0]!;
    const fewer = planServicePort(nginx(), pods.slice(1), CTX).virtualServers[0]!;
    const r = reconcile(fewer, currentFromPlan(tcp, []));
    assert.deepEqual(r.operations, [{ op: 'updateDest', service: { protocol: 'tcp', address: '10.96.0.10', port: 80 }, dest: { address: '10.244.1.2', port: 80, forward: 'masq', weight: 0 } }]);
    assert.equal(r.draining.length, 1);
    const back = reconcile(tcp, currentFromPlan(fewer, [{ address: '10.244.1.2', port: 80 }]));
    assert.deepEqual([back.operations.map((o) => o.op), back.restored.length], [['updateDest'], 1]);
    const udpSvc = service('default/dns', { clusterIP: '10.96.0.53', port: 53, protocol: 'udp' });
    const udp = reconcile(planServicePort(udpSvc, pods.slice(1), CTX).virtualServers[0], currentFromPlan(planServicePort(udpSvc, pods, CTX).virtualServers[0]!, []));
    assert.deepEqual(udp.operations.map((o) => o.op), ['deleteDest']);
    assert.deepEqual(udp.staleFlows, [{ service: { protocol: 'udp', address: '10.96.0.53', port: 53 }, dest: { address: '10.244.1.2', port: 80 } }]);
  });
});

/** kube-ipvs0 and addresses in memory: enough of Rtnl for the backend's logic. */
class MemoryLinks implements AddressHandle {
  links = new Map<string, Link>();
  addresses: Address[] = [];
  #notFound = () => new NetlinkError('rtnl.getLink', { errno: 19, code: 'ENODEV', message: 'No such device' });
  async getLink(ref: string | number): Promise<Link> {
    const l = [...this.links.values()].find((x) => x.name === ref || x.index === ref);
    if (l === undefined) throw this.#notFound();
    return l;
  }
  async addDummy(name: string): Promise<void> {
    this.links.set(name, { index: 10 + this.links.size, name, kind: 'dummy', flags: 1, up: true, lowerUp: true, operState: 'unknown', mtu: 1500, mac: '', hardwareType: 1 });
  }
  async setLinkUp(): Promise<void> {}
  async deleteLink(ref: string | number): Promise<void> {
    const l = await this.getLink(ref);
    this.links.delete(l.name);
    this.addresses = this.addresses.filter((a) => a.link !== l.index);
  }
  async listAddresses(): Promise<Address[]> { return [...this.addresses]; }
  async addAddresses(link: string | number, cidrs: string[]) {
    const index = (await this.getLink(link)).index;
    return cidrs.map((c) => {
      const [address, plen] = c.split('/') as [string, string];
      this.addresses.push({ link: index, family: address.includes(':') ? 6 : 4, address, prefixLength: Number(plen), scope: 'global', flags: 0 });
      return { address: c };
    });
  }
  async deleteAddresses(_link: string | number, cidrs: string[]) {
    const gone = new Set(cidrs.map((c) => c.split('/')[0]));
    this.addresses = this.addresses.filter((a) => !gone.has(a.address));
    return cidrs.map((c) => ({ address: c }));
  }
  async close(): Promise<void> {}
}

describe('IPVS mode: the backend over fakes', () => {
  const FULL = { full: true, changed: new Set<string>() };
  let ipvs: FakeIpvs;
  let links: MemoryLinks;
  let flows: ConntrackFilter[];
  let sysctls: Map<string, string>;
  let backend: IpvsBackend;
  let nft: FakeNftables;
  beforeEach(() => {
    ipvs = new FakeIpvs();
    nft = new FakeNftables();
    links = new MemoryLinks();
    flows = [];
    sysctls = new Map([['kernel/osrelease', '6.1.0-57-amd64']]);
    backend = new IpvsBackend(backendOptions(), { scheduler: 'rr' }, {
      ipvs, rtnl: links, nft,
      conntrack: { delete: async (f: ConntrackFilter) => { flows.push(f); return 0; }, close: async () => {} },
      sysctl: { read: async (n) => sysctls.get(n) ?? '0', write: async (n, v) => { sysctls.set(n, v); } },
    });
  });
  afterEach(() => backend.close());

  it('setup probes the scheduler with a throwaway virtual server and sets the sysctls', async () => {
    await backend.setup();
    assert.deepEqual(ipvs.log.map((o) => o.op), ['listServices', 'addService', 'deleteService']);
    assert.equal(sysctls.get('net/ipv4/vs/conntrack'), '1');
    assert.ok(links.links.has('kube-ipvs0'));
    const bad = new IpvsBackend(backendOptions(), { scheduler: 'nosuch' }, { ipvs: new FakeIpvs(), rtnl: links, sysctl: { read: async () => '6.1', write: async () => {} } });
    await assert.rejects(bad.setup(), /unknown IPVS scheduler "nosuch"/);
    await bad.close();
  });

  it('a partial sync sends only the changed service port\'s operations; a full sync repairs the fake kernel', async () => {
    await backend.setup();
    const model = new Model();
    model.set(nginx(), pods);
    const other = model.set(service('default/other', { clusterIP: '10.96.0.30', port: 80 }), pods);
    const r = await backend.sync(model.state, FULL);
    assert.equal((await ipvs.list()).length, 2);
    assert.ok(r.written > 0);
    ipvs.log.length = 0;
    model.set(service('default/other', { clusterIP: '10.96.0.30', port: 80 }), pods.slice(0, 2));
    await backend.sync(model.state, { full: false, changed: new Set([other]) });
    // The removed real server's connections are counted first (FakeIpvs has none): idle, it is deleted at once.
    assert.deepEqual(ipvs.log.map((o) => o.op), ['listDests', 'deleteDest']);
    await ipvs.deleteService({ protocol: 'tcp', address: '10.96.0.10', port: 80 });
    await links.deleteAddresses('kube-ipvs0', ['10.96.0.30/32']);
    await backend.sync(model.state, FULL);
    assert.deepEqual((await ipvs.list()).map((s) => [s.address, s.persistence, s.dests.length]).sort(), [['10.96.0.10', 50, 3], ['10.96.0.30', undefined, 2]]);
    assert.deepEqual(links.addresses.map((a) => a.address).sort(), ['10.96.0.10', '10.96.0.30']);
  });

  it('a UDP service that loses an endpoint or goes away has its flows cleaned from conntrack', async () => {
    await backend.setup();
    const model = new Model();
    const dns = model.set(service('kube-system/dns', { clusterIP: '10.96.0.53', port: 53, protocol: 'udp' }), pods);
    await backend.sync(model.state, FULL);
    model.set(service('kube-system/dns', { clusterIP: '10.96.0.53', port: 53, protocol: 'udp' }), pods.slice(1));
    await backend.sync(model.state, { full: false, changed: new Set([dns]) });
    model.delete(dns);
    await backend.sync(model.state, { full: false, changed: new Set([dns]) });
    assert.deepEqual(flows, [
      { family: 4, protocol: 'udp', original: { destination: '10.96.0.53', destinationPort: 53 }, reply: { source: '10.244.1.2', sourcePort: 80 } },
      { family: 4, protocol: 'udp', original: { destination: '10.96.0.53', destinationPort: 53 } },
    ]);
    assert.deepEqual(await ipvs.list(), []);
    assert.deepEqual(links.addresses, []);
  });

  it('cleanup removes every virtual server, kube-ipvs0 and both tables', async () => {
    await backend.setup();
    const model = new Model();
    model.set(nginx(), pods);
    await backend.sync(model.state, FULL);
    assert.deepEqual((await nft.list()).tables.map((t) => `${t.family} ${t.name}`).sort(), ['ip dataplane-ipvs', 'ip6 dataplane-ipvs']);
    await ipvs.addService({ protocol: 'tcp', address: '10.96.99.1', port: 80, scheduler: 'rr' });
    await backend.cleanup();
    assert.deepEqual(await ipvs.list(), []);
    assert.equal(links.links.size, 0);
    assert.deepEqual((await nft.list()).tables, []);
  });
});
