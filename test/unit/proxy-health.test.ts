// Health and metrics: kube-proxy's /healthz and /livez bodies and 503
// semantics (on a fake clock, and over real HTTP on loopback), the
// per-Service health check listeners, and the metric names /metrics exports.
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';

import { FakeClock } from '../../src/proxy/clock.js';
import { goTimeString, ProxyHealth, ProxyHealthServer } from '../../src/proxy/health/proxy-health.js';
import { serviceHealthBody, ServiceHealthServer } from '../../src/proxy/health/service-health.js';
import { ProxyMetrics } from '../../src/proxy/metrics.js';

async function get(port: number, path: string, host = '127.0.0.1'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('proxy: /healthz and /livez', () => {
  const t0 = Date.parse('2025-03-04T05:06:07.250Z');

  it('formats times as Go\'s time.String() (UTC)', () => {
    assert.equal(goTimeString(t0), '2025-03-04 05:06:07.25 +0000 UTC');
    assert.equal(goTimeString(Date.parse('2025-03-04T05:06:07Z')), '2025-03-04 05:06:07 +0000 UTC');
    assert.equal(goTimeString(undefined), '0001-01-01 00:00:00 +0000 UTC');
  });

  it('healthy while starting; kube-proxy\'s body with lastUpdated = now when healthy', () => {
    const clock = new FakeClock(t0);
    const h = new ProxyHealth(60_000, clock);
    const now = goTimeString(t0);
    assert.deepEqual(h.respond('/healthz'), { code: 200, body: `{"lastUpdated": "${now}","currentTime": "${now}", "nodeEligible": true}` });
    assert.deepEqual(h.respond('/livez'), { code: 200, body: `{"lastUpdated": "${now}","currentTime": "${now}"}` });
  });

  it('503 once an update queued for a family is not applied within the timeout; lastUpdated is then the last sync', async () => {
    const clock = new FakeClock(t0);
    const h = new ProxyHealth(60_000, clock);
    h.updated(4);
    h.updated(6);
    await clock.advance(1000);
    h.queuedUpdate(6);
    await clock.advance(30_000);
    h.queuedUpdate(6); // a later queue does not restart the timeout
    await clock.advance(29_999);
    assert.equal(h.isHealthy(), true);
    await clock.advance(1);
    assert.equal(h.isHealthy(), false);
    const r = h.respond('/healthz');
    assert.equal(r.code, 503);
    assert.equal(r.body, `{"lastUpdated": "${goTimeString(t0)}","currentTime": "${goTimeString(clock.now())}", "nodeEligible": true}`);
    assert.equal(h.respond('/livez').code, 503);
    h.updated(6);
    assert.equal(h.isHealthy(), true);
  });

  it('/healthz (not /livez) is 503 while the node is not eligible', () => {
    const h = new ProxyHealth(1000, new FakeClock(t0));
    h.setNodeEligible(false);
    const r = h.respond('/healthz');
    assert.equal(r.code, 503);
    assert.match(r.body, /"nodeEligible": false}$/);
    assert.equal(h.respond('/livez').code, 200);
  });

  it('serves both over HTTP, with JSON headers, counting kubeproxy_proxy_healthz_total/livez_total by code', async () => {
    const clock = new FakeClock(t0);
    const health = new ProxyHealth(10_000, clock);
    const metrics = new ProxyMetrics('nftables', [4], { processMetrics: false });
    const server = new ProxyHealthServer(health, metrics);
    const { port } = await server.listen('127.0.0.1', 0);
    try {
      const ok = await get(port, '/healthz');
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['content-type'], 'application/json');
      assert.equal(ok.headers['x-content-type-options'], 'nosniff');
      assert.match(ok.body, /^\{"lastUpdated": "2025-03-04 05:06:07\.25 \+0000 UTC","currentTime": .*"nodeEligible": true\}$/);
      health.setNodeEligible(false);
      assert.equal((await get(port, '/healthz')).status, 503);
      assert.equal((await get(port, '/livez')).status, 200);
      assert.equal((await get(port, '/other')).status, 404);
      const text = await metrics.text();
      assert.match(text, /kubeproxy_proxy_healthz_total\{code="200"\} 1/);
      assert.match(text, /kubeproxy_proxy_healthz_total\{code="503"\} 1/);
      assert.match(text, /kubeproxy_proxy_livez_total\{code="200"\} 1/);
    } finally {
      await server.close();
    }
  });
});

describe('proxy: service health checks (healthCheckNodePort)', () => {
  it('kube-proxy\'s body, tab-indented', () => {
    assert.equal(serviceHealthBody('ns', 'lb', 2, true),
      '{\n\t"service": {\n\t\t"namespace": "ns",\n\t\t"name": "lb"\n\t},\n\t"localEndpoints": 2,\n\t"serviceProxyHealthy": true\n}');
  });

  it('one listener per service: 200 with the endpoint weight when there are local endpoints, else 503; closed when gone', async () => {
    let healthy = true;
    const hs = new ServiceHealthServer({ proxyHealthy: () => healthy, addresses: () => ['127.0.0.1'] });
    const [p1, p2] = [await freePort(), await freePort()];
    try {
      await hs.syncServices(new Map([['ns/a', p1], ['ns/b', p2]]));
      hs.syncEndpoints(new Map([['ns/a', 2]]));
      const a = await get(p1, '/');
      assert.equal(a.status, 200);
      assert.equal(a.headers['x-load-balancing-endpoint-weight'], '2');
      assert.equal(a.body, serviceHealthBody('ns', 'a', 2, true));
      const b = await get(p2, '/anything');
      assert.equal(b.status, 503);
      assert.equal(b.headers['x-load-balancing-endpoint-weight'], undefined);
      assert.equal(b.body, serviceHealthBody('ns', 'b', 0, true));
      healthy = false;
      const unhealthy = await get(p1, '/');
      assert.equal(unhealthy.status, 503, 'the proxy itself is unhealthy');
      assert.equal(unhealthy.body, serviceHealthBody('ns', 'a', 2, false));
      healthy = true;
      await hs.syncServices(new Map([['ns/a', p1]]));
      await assert.rejects(get(p2, '/'), /ECONNREFUSED/);
      assert.deepEqual([...hs.ports], [['ns/a', p1]]);
    } finally {
      await hs.close();
    }
    await assert.rejects(get(p1, '/'), /ECONNREFUSED/);
  });

  it('a port it cannot bind is skipped (and retried at the next sync), the others still open', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const taken = (busy.address() as { port: number }).port;
    const free = await freePort();
    const errors: string[] = [];
    const hs = new ServiceHealthServer({
      proxyHealthy: () => true, addresses: () => ['127.0.0.1'],
      log: { error: (o) => errors.push(JSON.stringify(o)), warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} },
    });
    try {
      await hs.syncServices(new Map([['ns/x', taken], ['ns/y', free]]));
      assert.deepEqual([...hs.ports.keys()], ['ns/y']);
      assert.match(errors[0]!, /EADDRINUSE/);
      await new Promise<void>((r) => busy.close(() => r()));
      await hs.syncServices(new Map([['ns/x', taken], ['ns/y', free]]));
      assert.deepEqual([...hs.ports.keys()].sort(), ['ns/x', 'ns/y']);
    } finally {
      await hs.close();
    }
  });
});

describe('proxy: metrics', () => {
  it('exports kube-proxy\'s metric names, the mode\'s failure counter, and process metrics', async () => {
    const metrics = new ProxyMetrics('nftables', [4, 6]);
    metrics.syncDuration.labels('IPv4').observe(0.003);
    const text = await metrics.text();
    for (const name of [
      'kubeproxy_sync_proxy_rules_duration_seconds', 'kubeproxy_sync_full_proxy_rules_duration_seconds', 'kubeproxy_sync_partial_proxy_rules_duration_seconds',
      'kubeproxy_network_programming_duration_seconds', 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds',
      'kubeproxy_sync_proxy_rules_endpoint_changes_pending', 'kubeproxy_sync_proxy_rules_endpoint_changes_total', 'kubeproxy_sync_proxy_rules_service_changes_pending',
      'kubeproxy_sync_proxy_rules_service_changes_total', 'kubeproxy_sync_proxy_rules_no_local_endpoints_total', 'kubeproxy_sync_proxy_rules_nftables_sync_failures_total',
      'kubeproxy_proxy_healthz_total', 'kubeproxy_proxy_livez_total', 'kubeproxy_conntrack_reconciler_deleted_entries_total',
      'process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds',
    ]) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    assert.match(text, /^kubeproxy_sync_proxy_rules_nftables_sync_failures_total\{ip_family="IPv6"\} 0$/m);
    assert.match(text, /^kubeproxy_conntrack_reconciler_deleted_entries_total\{ip_family="IPv4"\} 0$/m);
    assert.match(text, /^kubeproxy_sync_proxy_rules_no_local_endpoints_total\{ip_family="IPv4",traffic_policy="external"\} 0$/m);
    assert.match(text, /^kubeproxy_sync_proxy_rules_duration_seconds_bucket\{le="0.002",ip_family="IPv4"\} 0$/m, 'exponential buckets from 1 ms');
    assert.match(text, /^kubeproxy_sync_proxy_rules_duration_seconds_bucket\{le="0.004",ip_family="IPv4"\} 1$/m);
    assert.match(text, /^kubeproxy_sync_proxy_rules_duration_seconds_bucket\{le="16.384",ip_family="IPv4"\} 1$/m, '15 buckets: the last is 1 ms x 2^14');
    const ipvs = await new ProxyMetrics('ipvs', [4], { processMetrics: false }).text();
    assert.match(ipvs, /^# TYPE kubeproxy_sync_proxy_rules_iptables_restore_failures_total counter$/m);
    assert.doesNotMatch(ipvs, /process_cpu_seconds_total/);
  });
});
