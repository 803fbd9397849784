// Real traffic through IPVS in NAT mode: a client netns -> a virtual IP on a
// dummy link in a director netns -> two backend netns (busybox httpd), each
// on its own veth. rr alternates; persistence keeps a client on one backend;
// weight 0 takes a backend out of new connections; stats grow.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Ipvs, Rtnl } from '../../src/index.js';
import { makeNetns, sh } from '../helpers.js';

const VIP = '10.96.0.10';
const svc = { protocol: 'tcp', address: VIP, port: 80 } as const;

function nsx(ns: string, ...cmd: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * One HTTP request from the client netns to the VIP; returns the backend's
 * name (the body's last line). bash's /dev/tcp is the client: no curl on a
 * bare CI machine, and busybox wget crashes in the guest.
 */
function fetchOnce(client: string): string {
  const script = `exec 3<>/dev/tcp/${VIP}/80 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3`;
  const reply = nsx(client, 'timeout', '5', 'bash', '-c', script).trim().split('\n');
  return reply[reply.length - 1]!.trim();
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, seconds = 10): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('IPVS NAT with real traffic', function () {
  this.timeout(180_000);
  const spaces: ReturnType<typeof makeNetns>[] = [];
  let director: string;
  let client: string;
  let ipvs: Ipvs;

  before(async () => {
    for (let i = 0; i < 4; i++) {
      spaces.push(makeNetns());
      sh('ip', ['-n', spaces[i]!.name, 'link', 'set', 'lo', 'up']);
    }
    [director, client] = [spaces[0]!.name, spaces[1]!.name];
    const backends = [spaces[2]!.name, spaces[3]!.name];
    const rtnl = await Rtnl.open({ netns: director });
    try {
      await rtnl.addDummy('ipvs0', { up: true });
      await rtnl.addAddress('ipvs0', `${VIP}/32`);
      const peers: [string, string, string][] = [[client, '10.0.1', 'c'], [backends[0]!, '10.0.2', 'b1'], [backends[1]!, '10.0.3', 'b2']];
      for (const [ns, net, name] of peers) {
        await rtnl.addVeth(`to-${name}`, 'eth0', { peerNetns: ns, up: true });
        await rtnl.addAddress(`to-${name}`, `${net}.1/24`);
        sh('ip', ['-n', ns, 'addr', 'add', `${net}.2/24`, 'dev', 'eth0']);
        sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
        sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', `${net}.1`]);
      }
    } finally {
      await rtnl.close();
    }
    sh('ip', ['netns', 'exec', director, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    backends.forEach((ns, i) => {
      const dir = mkdtempSync(join(tmpdir(), 'dp-www-'));
      writeFileSync(join(dir, 'index.html'), `b${i + 1}\n`);
      sh('ip', ['netns', 'exec', ns, 'busybox', 'httpd', '-p', '80', '-h', dir]);
    });
    ipvs = await Ipvs.open({ netns: director });
    await ipvs.addService({ ...svc, scheduler: 'rr' });
    await ipvs.apply([
      { op: 'addDest', service: svc, dest: { address: '10.0.2.2', forward: 'masq' } },
      { op: 'addDest', service: svc, dest: { address: '10.0.3.2', forward: 'masq' } },
    ]);
  });

  after(async () => {
    await ipvs?.close();
    for (const s of spaces) {
      try {
        for (const pid of sh('ip', ['netns', 'pids', s.name]).split('\n').filter(Boolean)) process.kill(Number(pid));
      } catch { /* gone */ }
      s.remove();
    }
  });

  it('rr alternates between the two backends', () => {
    const seen = Array.from({ length: 4 }, () => fetchOnce(client));
    assert.ok(seen.every((b) => b === 'b1' || b === 'b2'), seen.join(','));
    for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], `not alternating: ${seen.join(',')}`);
  });

  it('stats grow for the service and its real servers', async () => {
    const stats = await until('the 2 s estimator to fold in the connections', async () => {
      const s = await ipvs.getService(svc);
      return s.stats.connections >= 4n ? s.stats : undefined;
    });
    assert.ok(stats.inPackets > 0n && stats.outPackets > 0n && stats.inBytes > 0n && stats.outBytes > 0n);
    const dests = (await ipvs.list())[0]!.dests;
    assert.ok(dests.every((d) => d.stats.connections >= 2n), dests.map((d) => d.stats.connections).join(','));
  });

  it('with persistence the same client keeps its backend', async () => {
    await ipvs.updateService({ ...svc, scheduler: 'rr', persistence: 50 });
    const seen = Array.from({ length: 4 }, () => fetchOnce(client));
    assert.equal(new Set(seen).size, 1, seen.join(','));
    assert.ok((await ipvs.listDests(svc)).some((d) => d.persistentConnections > 0));
  });

  it('weight 0 takes a backend out of new connections', async () => {
    await ipvs.updateService({ ...svc, scheduler: 'rr' });
    await ipvs.updateDest(svc, { address: '10.0.2.2', forward: 'masq', weight: 0 });
    const seen = Array.from({ length: 4 }, () => fetchOnce(client));
    assert.deepEqual(seen, ['b2', 'b2', 'b2', 'b2']);
    await ipvs.updateDest(svc, { address: '10.0.2.2', forward: 'masq', weight: 1 });
  });
});
