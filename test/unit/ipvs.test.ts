// IPVS without a kernel: validation at the public edge (Ipvs and FakeIpvs
// share it), the fake's semantics, the packing of ops for the binding, and
// the ipvsadm -Ln rendering against text ipvsadm printed (the capture run of
// scripts/ipvs/capture.sh, with its traffic left out).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { FakeIpvs, formatList, HandleClosedError, Ipvs, isExists, isNotFound, isUnsupported, NetlinkError, type IpvsOperation } from '../../src/index.js';
import { encodeOps, STRIDE } from '../../src/ipvs/encode.js';

const svc = { protocol: 'tcp', address: '10.0.0.1', port: 80 } as const;

describe('IPVS validation (nothing is sent)', () => {
  let real: Ipvs;
  const fake = new FakeIpvs();
  before(async () => { real = await Ipvs.open(); });
  after(async () => { await real.close(); });

  const bad: [string, (i: Ipvs | FakeIpvs) => Promise<unknown>, typeof TypeError | typeof RangeError][] = [
    ['invalid address', (i) => i.addService({ protocol: 'tcp', address: '10.0.0.256', port: 80 }), TypeError],
    ['address with a zone', (i) => i.addService({ protocol: 'tcp', address: 'fe80::1%eth0', port: 80 }), TypeError],
    ['port above 65535', (i) => i.addService({ protocol: 'tcp', address: '10.0.0.1', port: 65536 }), RangeError],
    ['negative port', (i) => i.addDest(svc, { address: '10.1.1.1', port: -1 }), RangeError],
    ['unknown protocol', (i) => i.addService({ protocol: 'icmp' as never, address: '10.0.0.1', port: 80 }), TypeError],
    ['weight < 0', (i) => i.addDest(svc, { address: '10.1.1.1', weight: -1 }), RangeError],
    ['fractional weight', (i) => i.addDest(svc, { address: '10.1.1.1', weight: 1.5 }), RangeError],
    ['thresholds reversed', (i) => i.addDest(svc, { address: '10.1.1.1', upperThreshold: 10, lowerThreshold: 20 }), RangeError],
    ['fwmark with an address', (i) => i.addService({ fwmark: 5, address: '10.0.0.1' } as never), TypeError],
    ['fwmark 0', (i) => i.addService({ fwmark: 0 }), RangeError],
    ['over-long scheduler', (i) => i.addService({ ...svc, scheduler: 'x'.repeat(16) }), TypeError],
    ['empty scheduler', (i) => i.addService({ ...svc, scheduler: '' }), TypeError],
    ['unknown scheduler flag', (i) => i.addService({ ...svc, schedulerFlags: ['sh-nope' as never] }), TypeError],
    ['one-packet on TCP', (i) => i.addService({ ...svc, onePacket: true }), TypeError],
    ['netmask without persistence', (i) => i.addService({ ...svc, netmask: '255.255.255.0' }), TypeError],
    ['non-contiguous netmask', (i) => i.addService({ ...svc, persistence: 10, netmask: '255.0.255.0' }), RangeError],
    ['IPv6 netmask as text', (i) => i.addService({ protocol: 'tcp', address: 'fd00::1', port: 1, persistence: 10, netmask: 'ffff::' }), TypeError],
    ['prefix length too long', (i) => i.addService({ ...svc, persistence: 10, netmask: 33 }), RangeError],
    ['pe without persistence', (i) => i.addService({ ...svc, persistenceEngine: 'sip' }), TypeError],
    ['unknown forward method', (i) => i.addDest(svc, { address: '10.1.1.1', forward: 'nat' as never }), TypeError],
    ['IPv6 real server behind IPv4 NAT', (i) => i.addDest(svc, { address: 'fd00::1', forward: 'masq' }), TypeError],
    ['tunnel options without tunnel', (i) => i.addDest(svc, { address: '10.1.1.1', forward: 'masq', tunnel: { type: 'ipip' } }), TypeError],
    ['GUE without a port', (i) => i.addDest(svc, { address: '10.1.1.1', forward: 'tunnel', tunnel: { type: 'gue' } }), RangeError],
    ['remcsum on GRE', (i) => i.addDest(svc, { address: '10.1.1.1', forward: 'tunnel', tunnel: { type: 'gre', checksum: 'remcsum' } }), TypeError],
    ['daemon role', (i) => i.startDaemon({ role: 'primary' as never, interface: 'eth0' }), TypeError],
    ['daemon interface', (i) => i.startDaemon({ role: 'master', interface: 'a/b' }), TypeError],
    ['daemon ttl 0', (i) => i.startDaemon({ role: 'master', interface: 'eth0', ttl: 0 }), RangeError],
    ['timeouts', (i) => i.setTimeouts({ tcp: -5 }), RangeError],
    ['service key not an object', (i) => i.deleteService(null as never), TypeError],
  ];

  for (const [what, call, type] of bad) {
    it(`${what}: ${type.name} from Ipvs and FakeIpvs alike`, async () => {
      await assert.rejects(call(real), type);
      await assert.rejects(call(fake), type);
    });
  }

  it('a bulk call with one bad operation sends nothing (nothing half-applied)', async () => {
    const f = new FakeIpvs();
    const ops: IpvsOperation[] = [
      { op: 'addService', service: { ...svc, scheduler: 'rr' } },
      { op: 'addDest', service: svc, dest: { address: '10.1.1.1' } },
      { op: 'addDest', service: svc, dest: { address: '10.1.1.2', weight: -3 } },
    ];
    await assert.rejects(f.apply(ops), /operations\[2\]\.dest\.weight/);
    assert.deepEqual(f.log, []);
    assert.deepEqual(await f.listServices(), []);
    await assert.rejects(real.apply(ops), RangeError);
    await assert.rejects(f.apply([{ op: 'frobnicate' } as never]), TypeError);
  });

  it('without IPVS in the kernel, calls fail as unsupported (not "not found") naming the operation', async function () {
    const outcome = await real.listServices().then(() => undefined, (e: unknown) => e);
    if (outcome === undefined) this.skip();  // this kernel has IPVS (the VM): nothing to check here
    assert.ok(outcome instanceof NetlinkError && outcome.code === 'EOPNOTSUPP' && outcome.operation === 'ipvs.listServices', String(outcome));
    assert.match(outcome.message, /no IPVS in this kernel/);
    assert.ok(isUnsupported(outcome) && !isNotFound(outcome));
    const deleting = await real.deleteService({ protocol: 'tcp', address: '10.0.0.1', port: 80 }).then(() => undefined, (e: unknown) => e);
    assert.ok(isUnsupported(deleting) && !isNotFound(deleting), String(deleting));
  });
});

describe('FakeIpvs', () => {
  it('after close(), calls fail with ERR_HANDLE_CLOSED', async () => {
    const ipvs = new FakeIpvs();
    await ipvs.close();
    await assert.rejects(ipvs.listServices(), (e: unknown) => e instanceof HandleClosedError && e.code === 'ERR_HANDLE_CLOSED' && e.operation === 'ipvs.listServices');
    await assert.rejects(ipvs.addService({ ...svc, scheduler: 'rr' }), HandleClosedError);
  });

  it('keeps services and real servers, with the kernel errors', async () => {
    const ipvs = new FakeIpvs();
    await ipvs.addService({ ...svc, scheduler: 'rr', persistence: 50 });
    await assert.rejects(ipvs.addService({ ...svc }), (e) => isExists(e) && (e as NetlinkError).operation === 'ipvs.addService');
    await assert.rejects(ipvs.addService({ protocol: 'udp', address: '10.0.0.1', port: 53, scheduler: 'nosuch' }), (e) => e instanceof NetlinkError && e.code === 'ENOENT');
    await assert.rejects(ipvs.updateService({ fwmark: 9 }), isNotFound);
    await ipvs.addDest(svc, { address: '10.1.1.1', forward: 'masq', weight: 3 });
    await assert.rejects(ipvs.addDest(svc, { address: '10.1.1.1' }), isExists);
    await assert.rejects(ipvs.addDest({ fwmark: 1 }, { address: '10.1.1.1' }), (e) => e instanceof NetlinkError && e.code === 'ESRCH');
    await assert.rejects(ipvs.deleteDest(svc, { address: '10.9.9.9' }), (e) => e instanceof NetlinkError && e.code === 'ENOENT');
    // the same address written differently is the same server
    await ipvs.addService({ protocol: 'tcp', address: 'fd00::1', port: 80 });
    await assert.rejects(ipvs.addService({ protocol: 'tcp', address: 'FD00:0::0:1', port: 80 }), isExists);
    const [s] = await ipvs.list();
    assert.equal(s!.scheduler, 'rr');
    assert.equal(s!.persistence, 50);
    assert.deepEqual(s!.dests.map((d) => [d.address, d.port, d.forward, d.weight]), [['10.1.1.1', 80, 'masq', 3]]);
    assert.equal(s!.stats.connections, 0n);
    await ipvs.updateDest(svc, { address: '10.1.1.1', forward: 'masq', weight: 0 });
    assert.equal((await ipvs.listDests(svc))[0]!.weight, 0);
    const results = await ipvs.apply([
      { op: 'deleteDest', service: svc, dest: { address: '10.1.1.1' } },
      { op: 'deleteDest', service: svc, dest: { address: '10.1.1.1' } },
      { op: 'deleteService', service: svc },
    ]);
    assert.deepEqual(results.map((r) => r.error?.code), [undefined, 'ENOENT', undefined]);
    assert.equal(results[1]!.error!.operation, 'ipvs.deleteDest');
    await ipvs.flush();
    assert.deepEqual(await ipvs.listServices(), []);
  });

  it('timeouts, info, daemons', async () => {
    const ipvs = new FakeIpvs();
    assert.deepEqual(await ipvs.getTimeouts(), { tcp: 900, tcpFin: 120, udp: 300 });
    await ipvs.setTimeouts({ udp: 60 });
    assert.deepEqual(await ipvs.getTimeouts(), { tcp: 900, tcpFin: 120, udp: 60 });
    assert.equal((await ipvs.info()).version, '1.2.1');
    await ipvs.startDaemon({ role: 'master', interface: 'eth0', syncId: 3 });
    await assert.rejects(ipvs.startDaemon({ role: 'master', interface: 'eth0' }), isExists);
    assert.deepEqual(await ipvs.listDaemons(), [{ role: 'master', interface: 'eth0', syncId: 3, maxLength: 1472, group: '224.0.0.81', port: 8848, ttl: 1 }]);
    await ipvs.stopDaemon('master');
    await assert.rejects(ipvs.stopDaemon('master'), isNotFound);
  });
});

describe('IPVS op packing for the binding', () => {
  it('puts each field in its slot (native/napi/ipvs_ops.cc reads the same layout)', () => {
    const { nums, strs } = encodeOps([
      { op: 'addDest', service: { af: 2, protocol: 6, addr: '10.0.0.1', port: 80, fwmark: 0 },
        dest: { af: 10, addr: 'fd00::1', port: 8080, fwd: 2, weight: 7, uThresh: 100, lThresh: 10, tunType: 1, tunPort: 6080, tunFlags: 1 } },
      { op: 'setTimeouts', tcp: 1, tcpFin: 2, udp: 3 },
    ]);
    assert.equal(nums.length, 2 * STRIDE);
    assert.deepEqual([...nums.subarray(0, 18)], [6, 1, 2, 6, 80, 0, 0, 0, 0, 10, 8080, 2, 7, 100, 10, 1, 6080, 1]);
    assert.deepEqual([...nums.subarray(STRIDE, STRIDE + 1)], [13]);
    assert.deepEqual([...nums.subarray(STRIDE + 24, STRIDE + 27)], [1, 2, 3]);
    assert.deepEqual(strs.split('\0'), ['10.0.0.1', '', '', 'fd00::1', '', '', '', '', '', '', '', '']);
  });
});

describe('ipvsadm -Ln rendering', () => {
  it('matches what ipvsadm printed for the same table, sorted like ipvsadm', async () => {
    const ipvs = new FakeIpvs();
    const web = { protocol: 'tcp', address: '10.0.0.1', port: 80 } as const;
    const dns6 = { protocol: 'udp', address: 'fd00::1', port: 53 } as const;
    // Added in an order unlike ipvsadm's, so the sort is exercised.
    const results = await ipvs.apply([
      { op: 'addService', service: { fwmark: 43, family: 6, scheduler: 'sed', persistence: 30, netmask: 64 } },
      { op: 'addService', service: { fwmark: 42, scheduler: 'lc' } },
      { op: 'addDest', service: { fwmark: 42 }, dest: { address: '192.168.1.6' } },
      { op: 'addService', service: { ...dns6, scheduler: 'sh', schedulerFlags: ['sh-fallback', 'sh-port'] } },
      { op: 'addDest', service: dns6, dest: { address: 'fd00::10', port: 5353, forward: 'masq' } },
      { op: 'addDest', service: dns6, dest: { address: '192.168.1.9', forward: 'tunnel' } },
      { op: 'addService', service: { protocol: 'sctp', address: '10.0.0.3', port: 5000, scheduler: 'mh', schedulerFlags: ['mh-fallback', 'mh-port'] } },
      { op: 'addService', service: { protocol: 'udp', address: '10.0.0.5', port: 53, scheduler: 'dh', onePacket: true } },
      { op: 'addService', service: { protocol: 'udp', address: '10.0.0.4', port: 5060, scheduler: 'rr', persistence: 60, persistenceEngine: 'sip' } },
      { op: 'addService', service: { protocol: 'tcp', address: '10.0.0.2', port: 443, scheduler: 'wlc', persistence: 50, netmask: '255.255.255.0' } },
      { op: 'addDest', service: { protocol: 'tcp', address: '10.0.0.2', port: 443 }, dest: { address: '192.168.1.5', forward: 'tunnel', weight: 2 } },
      { op: 'addService', service: { ...web, scheduler: 'wrr' } },
      { op: 'addDest', service: web, dest: { address: '192.168.1.4', forward: 'tunnel', tunnel: { type: 'gre', checksum: 'csum' } } },
      { op: 'addDest', service: web, dest: { address: '192.168.1.1', port: 8080, forward: 'masq', weight: 5 } },
      { op: 'addDest', service: web, dest: { address: '192.168.1.3', forward: 'tunnel', tunnel: { type: 'gue', port: 6080 } } },
      { op: 'addDest', service: web, dest: { address: '192.168.1.2', forward: 'route', weight: 0 } },
    ]);
    assert.deepEqual(results.filter((r) => r.error), []);
    const expected = readFileSync(new URL('../fixtures/ipvs/ipvsadm-Ln.txt', import.meta.url), 'utf8');
    assert.equal(formatList(await ipvs.info(), await ipvs.list()), expected);
  });
});

describe('IPVS binding output tables (src/ipvs/table.ts)', () => {
  it('decodes services with their dests, fwmark services, IPv6, and 64-bit counters exactly', async () => {
    const { decodeOutput, SERVICE_STRIDE, DEST_STRIDE, STATS_STRIDE } = await import('../../src/ipvs/table.js');
    const NO = 0xffffffff;
    // texts: 0 '10.0.0.1', 1 'wlc', 2 '', 3 '192.168.0.9', 4 'fd00::5'
    const texts = ['10.0.0.1', 'wlc', '', '192.168.0.9', 'fd00::5'].join('\0');
    const services = Uint32Array.from([
      2, 6, 80, 0, 0x1 | 0x2, 50, 0x00ffffff, 0, 1, 2, 0, 1, 0,
      10, 0, 0, 42, 0x2, 0, 64, NO, 1, 2, 1, 1, 1,
    ]);
    const dests = Uint32Array.from([
      2, 3, 8080, 0, 5, 100, 10, 0, 0, 0, 3, 4, 1, 2,
      10, 4, 8080, 2, 1, 0, 0, 1, 6080, 2, 0, 0, 0, 3,
    ]);
    const stats = new BigUint64Array(4 * STATS_STRIDE);
    stats[0] = (1n << 60n) + 3n;
    stats[10] = 1n;
    stats[2 * STATS_STRIDE + 4] = 2n ** 64n - 1n;
    stats[3 * STATS_STRIDE + 10] = 0n;
    assert.equal(services.length, 2 * SERVICE_STRIDE);
    assert.equal(dests.length, 2 * DEST_STRIDE);
    const json = JSON.stringify([{ services: [0, 2] }, null, { dests: [1, 1] }, { error: { errno: 3, code: 'ESRCH', message: 'No such process' } }]);
    const [all, none, one, err] = decodeOutput({ json, services, dests, stats, texts }, [true, false, false, false]);
    const [web, mark] = all!.services as import('../../src/index.js').ServiceWithDests[];
    assert.equal(web!.address, '10.0.0.1');
    assert.equal(web!.persistence, 50);
    assert.equal(web!.netmask, '255.255.255.0');
    assert.equal(web!.stats.connections, (1n << 60n) + 3n);
    assert.equal(web!.stats.wide, true);
    assert.deepEqual(web!.dests.map((d) => [d.address, d.port, d.forward, d.weight, d.upperThreshold, d.activeConnections]),
      [['192.168.0.9', 8080, 'masq', 5, 100, 3]]);
    assert.equal(web!.dests[0]!.stats.outBytes, 2n ** 64n - 1n);
    assert.equal(mark!.fwmark, 42);
    assert.equal(mark!.address, undefined);
    assert.equal(mark!.family, 6);
    assert.equal(mark!.netmask, 64);
    assert.equal(mark!.stats.wide, false);
    assert.deepEqual(mark!.dests.map((d) => [d.address, d.forward, d.tunnel]), [['fd00::5', 'tunnel', { type: 'gue', port: 6080, checksum: 'remcsum' }]]);
    assert.deepEqual(none, {});
    assert.deepEqual(one!.dests!.map((d) => d.address), ['fd00::5']);
    assert.equal(err!.error!.code, 'ESRCH');
  });

  it('decodes a streamed list: chunk rows (dest rows relative to the chunk), and the chunk count in the result', async () => {
    const { decodeChunk, decodeOutput, STATS_STRIDE } = await import('../../src/ipvs/table.js');
    // Two services, the second with two dests (rows 0 and 1 of this chunk).
    const texts = ['10.0.0.1', 'rr', '', '10.0.0.2', '172.16.0.1', '172.16.0.2'].join('\0');
    const services = Uint32Array.from([
      2, 6, 80, 0, 0, 0, 0xffffffff, 0, 1, 2, 0, 0, 0,
      2, 17, 53, 0, 0, 0, 0xffffffff, 3, 1, 2, 0, 2, 1,
    ]);
    const dests = Uint32Array.from([
      2, 4, 8080, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2,
      2, 5, 8081, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3,
    ]);
    const stats = new BigUint64Array(4 * STATS_STRIDE);
    stats[3 * STATS_STRIDE] = 7n;
    const chunk = decodeChunk({ json: '', services, dests, stats, texts });
    assert.deepEqual(chunk.map((s) => [s.protocol, s.address, s.port, s.dests.length]), [['tcp', '10.0.0.1', 80, 0], ['udp', '10.0.0.2', 53, 2]]);
    assert.deepEqual(chunk[1]!.dests.map((d) => [d.address, d.port, d.forward, d.weight]), [['172.16.0.1', 8080, 'masq', 1], ['172.16.0.2', 8081, 'masq', 0]]);
    assert.equal(chunk[1]!.dests[1]!.stats.connections, 7n);
    const empty = { services: new Uint32Array(0), dests: new Uint32Array(0), stats: new BigUint64Array(0), texts: '' };
    const [res] = decodeOutput({ json: JSON.stringify([{ streamed: [0, 3] }]), ...empty }, [true]);
    assert.deepEqual(res, { streamed: 3 });
  });
});
