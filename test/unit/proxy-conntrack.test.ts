// Which conntrack flows the reconciler deletes (kube-proxy's
// CleanStaleEntries, the facts of pkg/proxy/conntrack/cleanup_test.go):
// UDP/SCTP flows to a service IP:port or NodePort whose reply source is not
// a serving endpoint, also when no endpoint is left; never TCP, never flows
// that still reach a serving endpoint.
import assert from 'node:assert/strict';

import type { ConntrackEntry, ConntrackFilter } from '../../src/conntrack.js';
import { ConntrackReconciler, needsReconcile, staleFlows } from '../../src/proxy/conntrack-reconciler.js';
import { ProxyMetrics } from '../../src/proxy/metrics.js';
import type { Endpoint, ProxyState, ServicePort } from '../../src/proxy/model/types.js';
import { endpoint, node, servicePort } from '../fixtures/proxy/model.js';

function entry(proto: 'udp' | 'tcp' | 'sctp', src: string, dst: string, dport: number, replySrc: string, o: { dnat?: boolean; id?: number } = {}): ConntrackEntry {
  const status = { dstNat: o.dnat ?? replySrc !== dst } as ConntrackEntry['status'];
  return {
    family: dst.includes(':') ? 6 : 4, protocol: proto, mark: 0, zone: 0, timeout: 30, id: o.id ?? 1, use: 1, status,
    original: { source: src, destination: dst, sourcePort: 40000, destinationPort: dport },
    reply: { source: replySrc, destination: src, sourcePort: 5353, destinationPort: 40000 },
  };
}

function state(ports: ServicePort[], eps: Record<string, Endpoint[]>): ProxyState {
  return { services: new Map(ports.map((p) => [p.key, p])), endpoints: new Map(Object.entries(eps)), node: node() };
}

const dnsUdp = servicePort({ name: 'dns', portName: 'dns', protocol: 'udp', clusterIP: '10.96.0.10', port: 53, nodePort: 30053,
  externalIPs: ['203.0.113.10'], loadBalancerVIPs: ['198.51.100.10'] });
const key = dnsUdp.key;

describe('proxy: conntrack reconciler', () => {
  it('keeps flows DNAT\'d to a serving endpoint (ready, or serving and terminating)', () => {
    const s = state([dnsUdp], { [key]: [endpoint('10.244.1.1:5353'), endpoint('10.244.1.2:5353', { ready: false, serving: true, terminating: true })] });
    const entries = [entry('udp', '10.0.0.5', '10.96.0.10', 53, '10.244.1.1'), entry('udp', '10.0.0.5', '10.96.0.10', 53, '10.244.1.2')];
    assert.deepEqual(staleFlows(entries, s, 4), []);
  });

  it('deletes flows to the ClusterIP, external IPs and LB IPs whose endpoint is gone or not serving', () => {
    const s = state([dnsUdp], { [key]: [endpoint('10.244.1.1:5353'), endpoint('10.244.1.3:5353', { ready: false, serving: false })] });
    const stale = [
      entry('udp', '10.0.0.5', '10.96.0.10', 53, '10.244.1.9', { id: 1 }),
      entry('udp', '10.0.0.5', '203.0.113.10', 53, '10.244.1.9', { id: 2 }),
      entry('udp', '10.0.0.5', '198.51.100.10', 53, '10.244.1.3', { id: 3 }),
    ];
    const fresh = entry('udp', '10.0.0.5', '198.51.100.10', 53, '10.244.1.1', { id: 4 });
    assert.deepEqual(staleFlows([...stale, fresh], s, 4).map((e) => e.id), [1, 2, 3]);
  });

  it('no endpoint left: every flow to the service goes, including one never DNAT\'d (sent before the service had endpoints)', () => {
    const s = state([dnsUdp], {});
    const blackholed = entry('udp', '10.0.0.5', '10.96.0.10', 53, '10.96.0.10', { id: 7 });
    assert.deepEqual(staleFlows([blackholed, entry('udp', '10.0.0.5', '10.96.0.10', 53, '10.244.1.1', { id: 8 })], s, 4).map((e) => e.id), [7, 8]);
  });

  it('NodePort flows: DNAT\'d (or to the node\'s IP) and not to a serving endpoint', () => {
    const s = state([dnsUdp], { [key]: [endpoint('10.244.1.1:5353')] });
    const stale = entry('udp', '203.0.113.50', '192.168.0.2', 30053, '10.244.1.9', { id: 1 });
    const ok = entry('udp', '203.0.113.50', '192.168.0.2', 30053, '10.244.1.1', { id: 2 });
    const notOurs = entry('udp', '192.168.0.2', '203.0.113.99', 30053, '203.0.113.99', { id: 3, dnat: false });
    assert.deepEqual(staleFlows([stale, ok, notOurs], s, 4).map((e) => e.id), [1]);
  });

  it('ignores TCP, other ports of the service IP, other families and other protocols\' services', () => {
    const tcp = servicePort({ name: 'web', protocol: 'tcp', clusterIP: '10.96.0.20', port: 80 });
    const s = state([dnsUdp, tcp], {});
    const entries = [
      entry('tcp', '10.0.0.5', '10.96.0.20', 80, '10.244.9.9'),
      entry('tcp', '10.0.0.5', '10.96.0.10', 53, '10.244.9.9'),
      entry('udp', '10.0.0.5', '10.96.0.10', 54, '10.244.9.9'),
      entry('udp', '10.0.0.5', '10.96.0.20', 80, '10.244.9.9'),
    ];
    assert.deepEqual(staleFlows(entries, s, 4), []);
    assert.deepEqual(staleFlows([entry('udp', '10.0.0.5', '10.96.0.10', 53, '10.244.9.9')], s, 6), []);
  });

  it('SCTP is reconciled like UDP; IPv6 works the same', () => {
    const sctp = servicePort({ name: 'sig', protocol: 'sctp', family: 6, clusterIP: 'fd00:96::7', port: 3868 });
    const s = state([sctp], { [sctp.key]: [endpoint('[fd00:244::1]:3868')] });
    const entries = [entry('sctp', 'fd00::5', 'fd00:96::7', 3868, 'fd00:244::9', { id: 1 }), entry('sctp', 'fd00::5', 'fd00:96::7', 3868, 'fd00:244::1', { id: 2 })];
    assert.deepEqual(staleFlows(entries, s, 6).map((e) => e.id), [1]);
  });

  it('needsReconcile: only changes of UDP or SCTP service ports', () => {
    assert.equal(needsReconcile(new Set(['ns/a:x/tcp'])), false);
    assert.equal(needsReconcile(new Set(['ns/a:x/tcp', 'v6 ns/b/udp'])), true);
    assert.equal(needsReconcile(new Set(['ns/c/sctp'])), true);
  });

  it('lists UDP and SCTP of the family, deletes the stale flows by id, counts them', async () => {
    const listed: ConntrackFilter[] = [];
    let deleted: unknown[] = [];
    const ct = {
      list: async (f?: ConntrackFilter) => {
        listed.push(f!);
        return f?.protocol === 'udp' ? [entry('udp', '10.0.0.5', '10.96.0.10', 53, '10.244.1.9', { id: 42 }), entry('udp', '10.0.0.5', '10.96.0.10', 53, '10.244.1.1', { id: 43 })] : [];
      },
      deleteEntries: async (refs: unknown[]) => { deleted = refs; return refs.length; },
    };
    const metrics = new ProxyMetrics('nftables', [4], { processMetrics: false });
    const n = await new ConntrackReconciler(ct, { metrics }).reconcile(state([dnsUdp], { [key]: [endpoint('10.244.1.1:5353')] }), 4);
    assert.equal(n, 1);
    assert.deepEqual(listed, [{ family: 4, protocol: 'udp' }, { family: 4, protocol: 'sctp' }]);
    assert.deepEqual(deleted, [{ family: 4, protocol: 'udp', zone: 0, id: 42, original: { source: '10.0.0.5', destination: '10.96.0.10', sourcePort: 40000, destinationPort: 53 } }]);
    assert.match(await metrics.text(), /^kubeproxy_conntrack_reconciler_deleted_entries_total\{ip_family="IPv4"\} 1$/m);
  });
});
