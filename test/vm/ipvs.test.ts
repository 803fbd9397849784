// IPVS against the real kernel and the real ipvsadm, inside the VM.
// Both directions: what we create reads back identically in `ipvsadm -Sn`
// (and `-Ln`, `-Ln --thresholds`), and what `ipvsadm -R` creates decodes to
// the same objects as ours.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

import { formatList, Ipvs, isExists, isNotFound, NetlinkError, type IpvsOperation, type ServiceWithDests } from '../../src/index.js';
import { makeNetns, sh } from '../helpers.js';

/**
 * A fresh netns with lo up: until the netns has a local routing table, the
 * kernel classifies every IPv4 real-server address as broadcast and refuses
 * it with EINVAL (ip_vs_ctl.c checks inet_addr_type).
 */
function director(): ReturnType<typeof makeNetns> {
  const ns = makeNetns();
  sh('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up']);
  return ns;
}

/** Runs ipvsadm inside a netns; stdin optional. */
function ipvsadm(ns: string, args: string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'ipvsadm', ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

const web = { protocol: 'tcp', address: '10.2.0.3', port: 443 } as const;
const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'];

// Each operation with the `ipvsadm -S` line it must read back as.
const TABLE: [IpvsOperation, string][] = [
  ...SCHEDULERS.map((s, i): [IpvsOperation, string] => [
    { op: 'addService', service: { protocol: 'tcp', address: `10.1.0.${i + 1}`, port: 80, scheduler: s } },
    `-A -t 10.1.0.${i + 1}:80 -s ${s}`]),
  [{ op: 'addService', service: { ...web, scheduler: 'wlc', persistence: 50, netmask: '255.255.255.0' } }, '-A -t 10.2.0.3:443 -s wlc -p 50 -M 255.255.255.0'],
  [{ op: 'addDest', service: web, dest: { address: '192.168.1.1', port: 8080, forward: 'masq', weight: 5, upperThreshold: 200, lowerThreshold: 20 } },
    '-a -t 10.2.0.3:443 -r 192.168.1.1:8080 -m -w 5'],
  [{ op: 'addDest', service: web, dest: { address: '192.168.1.2', forward: 'route', weight: 0 } }, '-a -t 10.2.0.3:443 -r 192.168.1.2:443 -g -w 0'],
  [{ op: 'addDest', service: web, dest: { address: '192.168.1.3', forward: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: 'none' } } },
    '-a -t 10.2.0.3:443 -r 192.168.1.3:443 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum'],
  [{ op: 'addDest', service: web, dest: { address: '192.168.1.4', forward: 'tunnel', tunnel: { type: 'gre', checksum: 'csum' } } },
    '-a -t 10.2.0.3:443 -r 192.168.1.4:443 -i -w 1 --tun-type gre --tun-csum'],
  [{ op: 'addDest', service: web, dest: { address: '192.168.1.5', forward: 'tunnel', weight: 2 } }, '-a -t 10.2.0.3:443 -r 192.168.1.5:443 -i -w 2 --tun-type ipip'],
  [{ op: 'addDest', service: web, dest: { address: '192.168.1.6', forward: 'tunnel', tunnel: { type: 'gue', port: 6081, checksum: 'remcsum' } } },
    '-a -t 10.2.0.3:443 -r 192.168.1.6:443 -i -w 1 --tun-type gue --tun-port 6081 --tun-remcsum'],
  [{ op: 'addService', service: { protocol: 'udp', address: '10.2.0.4', port: 5060, scheduler: 'rr', persistence: 60, persistenceEngine: 'sip' } },
    '-A -u 10.2.0.4:5060 -s rr -p 60 --pe sip'],
  [{ op: 'addService', service: { protocol: 'udp', address: '10.2.0.5', port: 53, scheduler: 'dh', onePacket: true } }, '-A -u 10.2.0.5:53 -s dh -o'],
  [{ op: 'addDest', service: { protocol: 'udp', address: '10.2.0.5', port: 53 }, dest: { address: '10.3.0.1', forward: 'masq', weight: 7 } },
    '-a -u 10.2.0.5:53 -r 10.3.0.1:53 -m -w 7'],
  [{ op: 'addService', service: { protocol: 'sctp', address: '10.2.0.2', port: 5000, scheduler: 'mh', schedulerFlags: ['mh-fallback', 'mh-port'] } },
    '-A --sctp-service 10.2.0.2:5000 -s mh -b mh-fallback,mh-port'],
  [{ op: 'addDest', service: { protocol: 'sctp', address: '10.2.0.2', port: 5000 }, dest: { address: '10.3.0.2', port: 5001, forward: 'masq' } },
    '-a --sctp-service 10.2.0.2:5000 -r 10.3.0.2:5001 -m -w 1'],
  [{ op: 'addService', service: { protocol: 'udp', address: 'fd00::1', port: 53, scheduler: 'sh', schedulerFlags: ['sh-fallback', 'sh-port'] } },
    '-A -u [fd00::1]:53 -s sh -b sh-fallback,sh-port'],
  [{ op: 'addDest', service: { protocol: 'udp', address: 'fd00::1', port: 53 }, dest: { address: '192.168.1.9', forward: 'tunnel' } },
    '-a -u [fd00::1]:53 -r 192.168.1.9:53 -i -w 1 --tun-type ipip'],
  [{ op: 'addDest', service: { protocol: 'udp', address: 'fd00::1', port: 53 }, dest: { address: 'fd00::10', port: 5353, forward: 'masq' } },
    '-a -u [fd00::1]:53 -r [fd00::10]:5353 -m -w 1'],
  [{ op: 'addService', service: { protocol: 'tcp', address: 'fd00::2', port: 80, scheduler: 'rr', persistence: 300, netmask: 64 } },
    '-A -t [fd00::2]:80 -s rr -p 300 -M 64'],
  [{ op: 'addDest', service: { protocol: 'tcp', address: 'fd00::2', port: 80 }, dest: { address: 'fd00::20', forward: 'route', weight: 4 } },
    '-a -t [fd00::2]:80 -r [fd00::20]:80 -g -w 4'],
  [{ op: 'addService', service: { fwmark: 42, scheduler: 'lc' } }, '-A -f 42 -s lc'],
  [{ op: 'addDest', service: { fwmark: 42 }, dest: { address: '192.168.1.7', forward: 'route' } }, '-a -f 42 -r 192.168.1.7:0 -g -w 1'],
  [{ op: 'addService', service: { fwmark: 43, family: 6, scheduler: 'sed', persistence: 30, netmask: 64 } }, '-A -f 43 -6 -s sed -p 30 -M 64'],
  [{ op: 'addDest', service: { fwmark: 43, family: 6 }, dest: { address: 'fd00::30', forward: 'masq', weight: 9 } }, '-a -f 43 -6 -r [fd00::30]:0 -m -w 9'],
];

function withoutStats(list: ServiceWithDests[]): unknown {
  return list.map(({ stats: _s, dests, ...s }) => ({ ...s, dests: dests.map(({ stats: _d, ...d }) => d) }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe('IPVS against the kernel and ipvsadm', function () {
  this.timeout(120_000);
  let ns: ReturnType<typeof makeNetns>;
  let ipvs: Ipvs;
  beforeEach(async () => {
    ns = director();
    ipvs = await Ipvs.open({ netns: ns.name });
  });
  afterEach(async () => {
    await ipvs.close();
    ns.remove();
  });

  it('what we create reads back identically in ipvsadm -Sn, -Ln and -Ln --thresholds', async () => {
    const results = await ipvs.apply(TABLE.map(([op]) => op));
    assert.deepEqual(results.filter((r) => r.error !== undefined), []);
    const saved = ipvsadm(ns.name, ['-Sn']).trim().split('\n');
    assert.deepEqual(saved.slice().sort(), TABLE.map(([, line]) => line).sort());
    // ipvsadm sorts; so does our -Ln rendering: the whole text must match.
    const list = await ipvs.list();
    assert.equal(formatList(await ipvs.info(), list), ipvsadm(ns.name, ['-Ln']));
    const thresholds = ipvsadm(ns.name, ['-Ln', '--thresholds']);
    assert.match(thresholds, /-> 192\.168\.1\.1:8080\s+200\s+20\s/);
    const d = list.find((s) => s.address === '10.2.0.3')!.dests.find((x) => x.address === '192.168.1.1')!;
    assert.equal(d.upperThreshold, 200);
    assert.equal(d.lowerThreshold, 20);
  });

  it('what ipvsadm -R creates decodes to the same objects as ours', async () => {
    await ipvs.apply(TABLE.map(([op]) => op));
    // The -S form carries no thresholds; drop them on our side for the comparison.
    await ipvs.updateDest(web, { address: '192.168.1.1', port: 8080, forward: 'masq', weight: 5 });
    const ours = await ipvs.list();
    const other = director();
    const theirs = await Ipvs.open({ netns: other.name });
    try {
      ipvsadm(other.name, ['-R'], `${TABLE.map(([, line]) => line).join('\n')}\n`);
      const decoded = await theirs.list();
      assert.equal(decoded.length, ours.length);
      assert.deepEqual(withoutStats(decoded), withoutStats(ours));
      // and a few fields checked against the table directly
      const fw6 = decoded.find((s) => s.fwmark === 43)!;
      assert.deepEqual([fw6.family, fw6.scheduler, fw6.persistence, fw6.netmask], [6, 'sed', 30, 64]);
      const mixed = decoded.find((s) => s.address === 'fd00::1')!.dests.find((x) => x.family === 4)!;
      assert.deepEqual([mixed.address, mixed.forward, mixed.tunnel?.type], ['192.168.1.9', 'tunnel', 'ipip']);
      const gue = decoded.find((s) => s.address === '10.2.0.3')!.dests.find((x) => x.address === '192.168.1.6')!;
      assert.deepEqual(gue.tunnel, { type: 'gue', port: 6081, checksum: 'remcsum' });
      assert.equal(decoded.find((s) => s.address === '10.2.0.5')!.onePacket, true);
      assert.deepEqual(decoded.find((s) => s.address === '10.2.0.3')!.netmask, '255.255.255.0');
      assert.deepEqual(decoded.find((s) => s.address === '10.2.0.2')!.schedulerFlags, ['mh-fallback', 'mh-port']);
    } finally {
      await theirs.close();
      other.remove();
    }
  });

  it('a list of 600 services (dest dumps spread over sibling sockets; one dump of 150 real servers in many chunks) matches ipvsadm -Sn', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 600; i++) {
      const vip = `10.50.${i >> 8}.${i & 255}:80`;
      lines.push(`-A -t ${vip} -s rr`);
      const dests = i === 7 ? 150 : i % 4;
      for (let k = 0; k < dests; k++) lines.push(`-a -t ${vip} -r 172.20.${k}.${i & 255}:${8000 + (i >> 8)} -m -w ${1 + (k % 9)}`);
    }
    ipvsadm(ns.name, ['-R'], `${lines.join('\n')}\n`);
    const list = await ipvs.list();
    const ours = list.flatMap((s) => [`-A -t ${s.address}:${s.port} -s ${s.scheduler}`,
      ...s.dests.map((d) => `-a -t ${s.address}:${s.port} -r ${d.address}:${d.port} -${d.forward === 'masq' ? 'm' : '?'} -w ${d.weight}`)]);
    assert.equal(list.find((s) => s.address === '10.50.0.7')!.dests.length, 150);
    assert.deepEqual(ours.sort(), ipvsadm(ns.name, ['-Sn']).trim().split('\n').sort());
    assert.deepEqual(ours, lines.slice().sort());
  });

  it('forward methods local and bypass (which ipvsadm cannot set) read back in ipvsadm -Ln and in ours', async () => {
    const svc = { protocol: 'tcp', address: '10.9.0.1', port: 80 } as const;
    const results = await ipvs.apply([{ op: 'addService', service: { ...svc, scheduler: 'rr' } },
      { op: 'addDest', service: svc, dest: { address: '10.9.0.7', port: 8080, forward: 'bypass' } },
      { op: 'addDest', service: svc, dest: { address: '10.9.0.8', port: 8080, forward: 'local' } }]);
    assert.deepEqual(results.filter((r) => r.error !== undefined), []);
    const list = await ipvs.list();
    assert.deepEqual(list[0]!.dests.map((d) => [d.address, d.forward]).sort(), [['10.9.0.7', 'bypass'], ['10.9.0.8', 'local']]);
    // ipvsadm 1.31 has no name for bypass and prints printf's "(null)"; we print "Bypass".
    const theirs = ipvsadm(ns.name, ['-Ln']);
    assert.match(theirs, /-> 10\.9\.0\.8:8080\s+Local\s+1\s/);
    assert.match(theirs, /-> 10\.9\.0\.7:8080\s+\(null\)\s+1\s/);
    assert.equal(formatList(await ipvs.info(), list), theirs.replace('(null)', 'Bypass'));
  });

  it("the seed's example: rr with persistence 50 shows `persistent 50`", async () => {
    await ipvs.addService({ protocol: 'tcp', address: '10.96.0.10', port: 80, scheduler: 'rr', persistence: 50 });
    assert.match(ipvsadm(ns.name, ['-Ln']), /^TCP {2}10\.96\.0\.10:80 rr persistent 50$/m);
    const s = await ipvs.getService({ protocol: 'tcp', address: '10.96.0.10', port: 80 });
    assert.equal(s.persistence, 50);
  });

  it('get, update, delete, flush, zero, timeouts, info, and the kernel refusals', async () => {
    const key = { protocol: 'udp', address: '10.5.0.1', port: 53 } as const;
    await ipvs.addService({ ...key, scheduler: 'rr' });
    await ipvs.updateService({ ...key, scheduler: 'wrr', persistence: 10 });
    assert.match(ipvsadm(ns.name, ['-Ln']), /^UDP {2}10\.5\.0\.1:53 wrr persistent 10$/m);
    await ipvs.addDest(key, { address: '10.6.0.1', forward: 'masq' });
    await ipvs.updateDest(key, { address: '10.6.0.1', forward: 'masq', weight: 0 });
    assert.equal((await ipvs.listDests(key))[0]!.weight, 0);
    await assert.rejects(ipvs.addService({ ...key, scheduler: 'rr' }), (e) => isExists(e) && (e as NetlinkError).operation === 'ipvs.addService');
    await assert.rejects(ipvs.addDest(key, { address: '10.6.0.1', forward: 'masq' }), isExists);
    await assert.rejects(ipvs.addService({ protocol: 'tcp', address: '10.5.0.2', port: 1, scheduler: 'nosuch' }),
      (e) => e instanceof NetlinkError && e.code === 'ENOENT' && e.operation === 'ipvs.addService');
    await assert.rejects(ipvs.getService({ fwmark: 99 }), isNotFound);
    await assert.rejects(ipvs.deleteDest(key, { address: '10.6.0.9' }), isNotFound);
    await ipvs.deleteDest(key, { address: '10.6.0.1' });
    assert.deepEqual(await ipvs.listDests(key), []);
    await ipvs.zero(key);
    await ipvs.zero();
    await ipvs.setTimeouts({ tcp: 901, tcpFin: 121, udp: 301 });
    assert.deepEqual(await ipvs.getTimeouts(), { tcp: 901, tcpFin: 121, udp: 301 });
    assert.match(ipvsadm(ns.name, ['-L', '--timeout']), /Timeout \(tcp tcpfin udp\): 901 121 301/);
    const info = await ipvs.info();
    assert.match(ipvsadm(ns.name, ['-Ln']), new RegExp(`^IP Virtual Server version ${info.version.replace(/\./g, '\\.')} \\(size=${info.connectionTableSize}\\)$`, 'm'));
    await ipvs.deleteService(key);
    await assert.rejects(ipvs.deleteService(key), isNotFound);
    await ipvs.addService({ fwmark: 1 });
    await ipvs.flush();
    assert.deepEqual(await ipvs.listServices(), []);
  });

  it('bulk: each operation gets its own outcome', async () => {
    const results = await ipvs.apply([
      { op: 'addService', service: { fwmark: 7, scheduler: 'rr' } },
      { op: 'addService', service: { fwmark: 7, scheduler: 'rr' } },
      { op: 'addDest', service: { fwmark: 8 }, dest: { address: '10.0.0.1' } },
      { op: 'addDest', service: { fwmark: 7 }, dest: { address: '10.0.0.1' } },
    ]);
    assert.deepEqual(results.map((r) => r.error?.code), [undefined, 'EEXIST', 'ESRCH', undefined]);
    assert.equal(results[1]!.error!.operation, 'ipvs.addService');
    assert.equal(results[2]!.error!.operation, 'ipvs.addDest');
  });

  it('sync daemons: start, list, stop (as ipvsadm --start-daemon / -L --daemon)', async () => {
    sh('ip', ['-n', ns.name, 'link', 'add', 'sync0', 'type', 'dummy']);
    sh('ip', ['-n', ns.name, 'link', 'set', 'sync0', 'up', 'multicast', 'on']);
    sh('ip', ['-n', ns.name, 'addr', 'add', '10.9.9.1/24', 'dev', 'sync0']);
    await ipvs.startDaemon({ role: 'master', interface: 'sync0', syncId: 5 });
    await ipvs.startDaemon({ role: 'backup', interface: 'sync0', syncId: 7, maxLength: 1400, group: '224.0.0.82', port: 8849, ttl: 2 });
    const daemons = (await ipvs.listDaemons()).sort((a, b) => a.role.localeCompare(b.role));
    assert.deepEqual(daemons, [
      { role: 'backup', interface: 'sync0', syncId: 7, maxLength: 1400, group: '224.0.0.82', port: 8849, ttl: 2 },
      { role: 'master', interface: 'sync0', syncId: 5, maxLength: 1472, group: '224.0.0.81', port: 8848, ttl: 1 },
    ]);
    const text = ipvsadm(ns.name, ['-L', '--daemon']);
    assert.match(text, /master sync daemon \(mcast=sync0, syncid=5/);
    assert.match(text, /backup sync daemon \(mcast=sync0, syncid=7/);
    await assert.rejects(ipvs.startDaemon({ role: 'master', interface: 'sync0' }), isExists);
    await ipvs.stopDaemon('master');
    await ipvs.stopDaemon('backup');
    assert.deepEqual(await ipvs.listDaemons(), []);
  });

  it('the CLI prints exactly what ipvsadm -Ln --stats prints (and --rate, plain in-process)', async () => {
    await ipvs.apply(TABLE.map(([op]) => op));
    // One real run of the command (node start-up is slow under TCG), then the other layouts in-process.
    const cli = execFileSync('node', ['--import', 'tsx', 'src/cli/main.ts', 'ipvs', 'list', '-n', '--stats', '--netns', ns.name], { encoding: 'utf8' });
    assert.equal(cli, ipvsadm(ns.name, ['-Ln', '--stats']));
    const info = await ipvs.info();
    const list = await ipvs.list();
    assert.equal(formatList(info, list, 'rate'), ipvsadm(ns.name, ['-Ln', '--rate']));
    assert.equal(formatList(info, list, 'plain'), ipvsadm(ns.name, ['-Ln']));
  });
});
