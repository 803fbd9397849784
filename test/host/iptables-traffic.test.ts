// Real packets through rules we wrote with Iptables (kube-proxy's iptables
// shape): a client connects to a virtual IP; a router namespace picks an
// endpoint with -m statistic (or pins the client with -m recent), DNATs to
// a backend namespace and MASQUERADEs, so the backend sees the router.
// IPv4 and IPv6.
//
//   c (.0.1) --- lb (.0.254 | .1.254 | .2.254, forwarding) --- b1 (.1.1:8080)
//                                                          \-- b2 (.2.1:8080)
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';

import { Iptables, type IptablesChain, type IptablesRule } from '../../src/index.js';
import { makeNetns, sh } from '../helpers.js';

interface Net {
  vip: string;
  client: string;
  lb: (i: number) => string;
  backend: (i: number) => string;
  plen: number;
  /** The client as /proc/net/xt_recent prints it. */
  recentText: string;
}

const NET: Record<4 | 6, Net> = {
  4: { vip: '10.96.0.10', client: '10.0.0.1', lb: (i) => `10.0.${i}.254`, backend: (i) => `10.0.${i}.1`, plen: 24, recentText: '10.0.0.1' },
  6: { vip: 'fd00:96::10', client: 'fd00::1', lb: (i) => `fd00:${i}::fe`, backend: (i) => `fd00:${i}::1`, plen: 64, recentText: 'fd00:0000:0000:0000:0000:0000:0000:0001' },
};

/** `count` TCP connections from the client namespace to VIP:80; what each answered ("b1 <peer address>"). */
function connect(ns: string, vip: string, count: number): Promise<string[]> {
  const script = `const net=require('node:net');(async()=>{const out=[];for(let i=0;i<${count};i++){out.push(await new Promise((r)=>{
    const s=net.connect({host:'${vip}',port:80,timeout:3000});let d='';s.on('data',(x)=>{d+=x;});s.on('end',()=>r(d));
    s.on('timeout',()=>{s.destroy();r('timeout');});s.on('error',(e)=>r('error '+e.code));}));}
    process.stdout.write(JSON.stringify(out));})();`;
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`client exited ${code}`))));
  });
}

/** A backend that answers every connection with its name and the address the connection came from. */
function backend(ns: string, name: string): Promise<ChildProcess> {
  const script = `require('node:net').createServer((s)=>s.end('${name} '+s.remoteAddress.replace(/^::ffff:/,''))).listen(8080,'::',()=>process.stdout.write('ready'));`;
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`backend ${name} exited ${code}`)));
  });
}

/** The nat table of the router: VIP:80 -> KUBE-SVC (statistic or recent) -> two KUBE-SEP chains -> DNAT; masquerade. */
function natTable(n: Net, family: 4 | 6, affinity: boolean): IptablesChain[] {
  const host = family === 4 ? '/32' : '/128';
  const mask = family === 4 ? '255.255.255.255' : 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
  const seps = [1, 2].map((i) => ({ chain: `KUBE-SEP-B${i}`, ip: n.backend(i) }));
  const svc: IptablesRule[] = [];
  if (affinity) {
    for (const s of seps) {
      svc.push({ matches: [{ name: 'recent', mode: 'rcheck', seconds: 10800, reap: true, list: s.chain, mask }], target: { name: 'jump', chain: s.chain } });
    }
  }
  svc.push({ matches: [{ name: 'statistic', mode: 'random', probability: 0.5 }], target: { name: 'jump', chain: seps[0]!.chain } });
  svc.push({ target: { name: 'jump', chain: seps[1]!.chain } });
  return [
    { name: 'PREROUTING', policy: 'ACCEPT', rules: [{ destination: n.vip + host, protocol: 'tcp', matches: [{ name: 'tcp', destinationPort: 80 }], target: { name: 'jump', chain: 'KUBE-SVC-TEST' } }] },
    { name: 'INPUT', policy: 'ACCEPT', rules: [] },
    { name: 'OUTPUT', policy: 'ACCEPT', rules: [] },
    { name: 'POSTROUTING', policy: 'ACCEPT', rules: [{ matches: [{ name: 'conntrack', ctstate: ['DNAT'] }], target: { name: 'MASQUERADE', randomFully: true } }] },
    { name: 'KUBE-SVC-TEST', rules: svc },
    ...seps.map((s) => ({
      name: s.chain,
      rules: [{
        protocol: 'tcp',
        matches: [...(affinity ? [{ name: 'recent' as const, mode: 'set' as const, list: s.chain, mask }] : []), { name: 'tcp' as const }],
        target: { name: 'DNAT' as const, address: s.ip, port: 8080 },
      }],
    })),
  ];
}

for (const family of [4, 6] as const) {
  describe(`iptables (IPv${family}): real traffic through DNAT, statistic, recent and MASQUERADE rules`, function () {
    this.timeout(60000);
    const n = NET[family];
    const spaces: ReturnType<typeof makeNetns>[] = [];
    const servers: ChildProcess[] = [];
    let c = '';
    let lb = '';
    let ipt: Iptables;

    before(async () => {
      const [cs, lbs, b1, b2] = [makeNetns(), makeNetns(), makeNetns(), makeNetns()];
      spaces.push(cs, lbs, b1, b2);
      c = cs.name;
      lb = lbs.name;
      const v = family === 6 ? ['-6'] : [];
      const ends: [string, string, number][] = [[c, 'to-c', 0], [b1.name, 'to-b1', 1], [b2.name, 'to-b2', 2]];
      for (const [peer, dev, i] of ends) {
        sh('ip', ['-n', lb, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peer]);
        sh('ip', ['-n', lb, ...v, 'addr', 'add', `${n.lb(i)}/${n.plen}`, 'dev', dev, ...(family === 6 ? ['nodad'] : [])]);
        sh('ip', ['-n', peer, ...v, 'addr', 'add', `${i === 0 ? n.client : n.backend(i)}/${n.plen}`, 'dev', 'eth0', ...(family === 6 ? ['nodad'] : [])]);
        for (const [ns, d] of [[lb, dev], [peer, 'eth0'], [peer, 'lo']] as const) sh('ip', ['-n', ns, 'link', 'set', d, 'up']);
        sh('ip', ['-n', peer, ...v, 'route', 'add', 'default', 'via', n.lb(i)]);
      }
      sh('ip', ['netns', 'exec', lb, 'sysctl', '-qw', family === 4 ? 'net.ipv4.ip_forward=1' : 'net.ipv6.conf.all.forwarding=1']);
      servers.push(await backend(b1.name, 'b1'), await backend(b2.name, 'b2'));
      ipt = await Iptables.open({ netns: lb, family, lock: false });
    });

    after(async () => {
      await ipt?.close();
      for (const s of servers) s.kill();
      for (const ns of spaces) ns.remove();
    });

    it('statistic spreads connections over both backends, each reached through DNAT and MASQUERADE', async () => {
      await ipt.replace('nat', natTable(n, family, false));
      const answers = await connect(c, n.vip, 40);
      const by = (name: string): string[] => answers.filter((a) => a.startsWith(`${name} `));
      assert.equal(by('b1').length + by('b2').length, 40, JSON.stringify(answers));
      // P(fewer than 5 of 40 on one side) < 1e-6 for p = 0.5.
      assert.ok(by('b1').length >= 5 && by('b2').length >= 5, JSON.stringify(answers));
      assert.deepEqual(new Set(by('b1').map((a) => a.split(' ')[1])), new Set([n.lb(1)]), 'b1 sees the router, not the client');
      assert.deepEqual(new Set(by('b2').map((a) => a.split(' ')[1])), new Set([n.lb(2)]));
      const counters = (await ipt.get('nat')).chain('KUBE-SVC-TEST')!.rules.map((r) => r.counters?.packets ?? 0);
      assert.equal(counters[0]! + counters[1]!, 40, 'each new connection went through the service chain once');
    });

    it('recent pins the client to one backend (ClientIP affinity)', async () => {
      await ipt.replace('nat', natTable(n, family, true));
      const answers = await connect(c, n.vip, 20);
      assert.equal(new Set(answers.map((a) => a.split(' ')[0])).size, 1, JSON.stringify(answers));
      assert.ok(/^b[12] /.test(answers[0]!), answers[0]);
      const lists = sh('ip', ['netns', 'exec', lb, 'sh', '-c', 'cat /proc/net/xt_recent/KUBE-SEP-B*']);
      assert.ok(lists.includes(`src=${n.recentText} `) && lists.includes('oldest_pkt: 20 '), lists);
    });
  });
}
