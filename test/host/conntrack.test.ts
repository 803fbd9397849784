// conntrack against the real host kernel: entries made by real UDP traffic
// through an nft DNAT (client netns -> router netns -> two backend netns) and
// by `conntrack -I`, checked against the `conntrack` tool both ways.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

import { binding, type NativeCtEntry } from '../../src/binding.js';
import { Conntrack, type ConntrackEntry, type ConntrackTuple } from '../../src/index.js';
import { freshNetnsPerTest, makeNetns, sh } from '../helpers.js';

/** One line of `conntrack -L -o extended,id`, split into its parts. */
interface ToolEntry {
  family: 4 | 6;
  protocol: string;
  timeout: number;
  state?: string;
  original: Record<string, string>;
  reply: Record<string, string>;
  flags: string[];
  top: Record<string, string>;
}

function parseConntrack(text: string): ToolEntry[] {
  return text.split('\n').filter((l) => /^ipv[46]\s/.test(l)).map((line) => {
    const [fam, , protocol, , timeout, ...rest] = line.trim().split(/\s+/);
    const e: ToolEntry = { family: fam === 'ipv6' ? 6 : 4, protocol: protocol!, timeout: Number(timeout), original: {}, reply: {}, flags: [], top: {} };
    if (rest[0] !== undefined && !rest[0].includes('=') && !rest[0].startsWith('[')) e.state = rest.shift();
    let dir = e.original;
    for (const tok of rest) {
      if (tok.startsWith('[')) { e.flags.push(tok.slice(1, -1)); continue; }
      const [k, v] = tok.split('=') as [string, string];
      if (k === 'mark' || k === 'zone' || k === 'use' || (k === 'id' && 'use' in e.top)) e.top[k] = v;
      else {
        if (k === 'src' && 'src' in e.original) dir = e.reply;
        dir[k] = v;
      }
    }
    return e;
  });
}

function toolList(ns: string, ...args: string[]): ToolEntry[] {
  return parseConntrack(sh('ip', ['netns', 'exec', ns, 'conntrack', '-L', '-o', 'extended,id', ...args]));
}

function ct(ns: string, ...args: string[]): void {
  sh('ip', ['netns', 'exec', ns, 'conntrack', ...args]);
}

function assertTupleEqual(ours: ConntrackTuple, theirs: Record<string, string>, what: string): void {
  assert.equal(ours.source, theirs.src, `${what} src`);
  assert.equal(ours.destination, theirs.dst, `${what} dst`);
  if (theirs.sport !== undefined) {
    assert.equal(ours.sourcePort, Number(theirs.sport), `${what} sport`);
    assert.equal(ours.destinationPort, Number(theirs.dport), `${what} dport`);
  } else {
    assert.equal(ours.sourcePort, undefined, `${what} sport`);
  }
  if (theirs.type !== undefined) {
    assert.deepEqual(ours.icmp, { id: Number(theirs.id), type: Number(theirs.type), code: Number(theirs.code) }, `${what} icmp`);
  }
}

/** Field-by-field: every entry the tool shows is ours, and nothing more. */
function assertSameEntries(ours: ConntrackEntry[], theirs: ToolEntry[]): void {
  assert.equal(ours.length, theirs.length, 'entry count');
  for (const t of theirs) {
    const o = ours.find((e) => e.id === Number(t.top.id));
    assert.ok(o, `entry id ${t.top.id} missing from ours`);
    assert.equal(o.family, t.family);
    assert.equal(String(o.protocol), t.protocol);
    assertTupleEqual(o.original, t.original, 'original');
    assertTupleEqual(o.reply, t.reply, 'reply');
    assert.equal(o.mark, Number(t.top.mark ?? 0));
    assert.equal(o.zone, Number(t.top.zone ?? 0));
    assert.equal(o.use, Number(t.top.use));
    assert.equal(o.status.seenReply, !t.flags.includes('UNREPLIED'));
    assert.equal(o.status.assured, t.flags.includes('ASSURED'));
    assert.equal(o.tcpState, t.state?.toLowerCase());
    // Read before the tool ran: the tool cannot see more time left than we did.
    assert.ok(o.timeout >= t.timeout && o.timeout > 0, `timeout ${o.timeout} vs ${t.timeout}`);
    if (t.original.packets !== undefined) {
      assert.deepEqual(o.counters, {
        original: { packets: Number(t.original.packets), bytes: Number(t.original.bytes) },
        reply: { packets: Number(t.reply.packets), bytes: Number(t.reply.bytes) },
      });
    } else {
      assert.equal(o.counters, undefined);
    }
  }
}

const ECHO_SERVER = `const s = require('dgram').createSocket('udp4');
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.bind(5353, () => console.log('ready'));`;

// argv: VIP COUNT [VIP COUNT ...]; one socket (one source port, one flow) per datagram.
const UDP_CLIENT = `const dgram = require('dgram');
const args = process.argv.slice(1);
(async () => {
  for (let i = 0; i < args.length; i += 2) {
    for (let n = 0; n < Number(args[i + 1]); n++) {
      const s = dgram.createSocket('udp4');
      await new Promise((ok, fail) => {
        const t = setTimeout(() => fail(new Error('no reply from ' + args[i])), 5000);
        s.once('message', () => { clearTimeout(t); ok(); });
        s.send('ping', 53, args[i]);
      });
      s.close();
    }
  }
})().catch((e) => { console.error(e.message); process.exit(1); });`;

interface Topology {
  client: string;
  router: string;
  backends: [string, string];
  servers: ChildProcess[];
  remove: () => void;
}

const VIP1 = '10.96.0.10';
const VIP2 = '10.96.0.11';
const BACKEND1 = '10.0.2.2';
const BACKEND2 = '10.0.3.2';

async function startServer(ns: string): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', ECHO_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  assert.equal(line, 'ready');
  return child;
}

/** client 10.0.1.2 -> router (DNAT VIP1:53 -> 10.0.2.2:5353, VIP2:53 -> 10.0.3.2:5353) -> backends. */
async function buildTopology(): Promise<Topology> {
  const made = [makeNetns(), makeNetns(), makeNetns(), makeNetns()];
  const [client, router, b1, b2] = made.map((n) => n.name) as [string, string, string, string];
  const servers: ChildProcess[] = [];
  const topo: Topology = {
    client, router, backends: [b1, b2], servers,
    remove: () => { for (const s of servers) s.kill(); for (const n of made) n.remove(); },
  };
  try {
    const ip = (ns: string, ...args: string[]) => sh('ip', ['-n', ns, ...args]);
    const links: [string, string, string, string][] = [[client, '10.0.1.2', 'r0', '10.0.1.1'], [b1, BACKEND1, 'r1', '10.0.2.1'], [b2, BACKEND2, 'r2', '10.0.3.1']];
    for (const [ns, addr, rdev, raddr] of links) {
      ip(router, 'link', 'add', rdev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip(router, 'addr', 'add', `${raddr}/24`, 'dev', rdev);
      ip(router, 'link', 'set', rdev, 'up');
      ip(ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
      ip(ns, 'link', 'set', 'eth0', 'up');
      ip(ns, 'link', 'set', 'lo', 'up');
      ip(ns, 'route', 'add', 'default', 'via', raddr);
    }
    sh('ip', ['netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    sh('ip', ['netns', 'exec', router, 'sysctl', '-qw', 'net.netfilter.nf_conntrack_acct=1']);
    sh('ip', ['netns', 'exec', router, 'nft', [
      'table ip nat {',
      ' chain prerouting {',
      '  type nat hook prerouting priority dstnat;',
      `  ip daddr ${VIP1} udp dport 53 dnat to ${BACKEND1}:5353`,
      `  ip daddr ${VIP2} udp dport 53 dnat to ${BACKEND2}:5353`,
      ' }',
      '}',
    ].join('\n')]);
    servers.push(await startServer(b1), await startServer(b2));
    return topo;
  } catch (e) {
    topo.remove();
    throw e;
  }
}

function sendUdp(topo: Topology, ...targets: [string, number][]): void {
  sh('ip', ['netns', 'exec', topo.client, process.execPath, '-e', UDP_CLIENT, ...targets.flat().map(String)]);
}

describe('conntrack on the host kernel: UDP through a DNAT', () => {
  let topo: Topology;
  let conntrack: Conntrack;
  beforeEach(async () => {
    topo = await buildTopology();
    conntrack = await Conntrack.open({ netns: topo.router });
    sendUdp(topo, [VIP1, 3], [VIP2, 2]);
  });
  afterEach(async () => {
    await conntrack.close();
    topo.remove();
  });

  it('lists exactly what `conntrack -L` shows, tuple by tuple, counters included', async () => {
    const ours = await conntrack.list();
    const theirs = toolList(topo.router);
    assert.equal(theirs.length, 5);
    assertSameEntries(ours, theirs);
    for (const e of ours) {
      assert.equal(e.protocol, 'udp');
      assert.equal(e.original.source, '10.0.1.2');
      assert.ok(e.status.dstNat && e.status.dstNatDone && e.status.seenReply && e.status.confirmed);
      assert.equal(e.reply.sourcePort, 5353);
      assert.equal(e.reply.destination, '10.0.1.2');
      assert.ok(e.counters !== undefined && e.counters.original.packets === 1 && e.counters.reply.packets === 1);
    }
    assert.deepEqual(ours.filter((e) => e.original.destination === VIP1).map((e) => e.reply.source), [BACKEND1, BACKEND1, BACKEND1]);
  });

  it('filters like `conntrack -L -p udp --orig-dst VIP`', async () => {
    const ours = await conntrack.list({ protocol: 'udp', original: { destination: VIP2 } });
    assertSameEntries(ours, toolList(topo.router, '-p', 'udp', '--orig-dst', VIP2));
    assert.equal(ours.length, 2);
    const one = ours[0]!;
    const exact = await conntrack.list({ family: 4, protocol: 'udp', original: { source: '10.0.1.2', sourcePort: one.original.sourcePort!, destinationPort: 53 } });
    assert.deepEqual(exact.map((e) => e.id), [one.id]);
    assert.deepEqual(await conntrack.list({ protocol: 'tcp' }), []);
    assert.equal((await conntrack.list({ reply: { sourcePort: 5353 } })).length, 5);
  });

  it('deletes exactly the flows of one backend (`conntrack -D -p udp --reply-src BACKEND1`)', async () => {
    const before = toolList(topo.router);
    const n = await conntrack.delete({ protocol: 'udp', reply: { source: BACKEND1 } });
    const after = toolList(topo.router);
    assert.equal(n, 3);
    assert.equal(before.length - after.length, n);
    assert.equal(after.length, 2);
    assert.ok(after.every((t) => t.reply.src === BACKEND2 && t.original.dst === VIP2));
    assert.deepEqual(await conntrack.list({ reply: { source: BACKEND1 } }), []);
    // nothing left to match: nothing deleted, nothing counted
    assert.equal(await conntrack.delete({ protocol: 'udp', reply: { source: BACKEND1 } }), 0);
    // new traffic to VIP1 makes new flows that a later delete removes again
    sendUdp(topo, [VIP1, 1]);
    assert.equal(await conntrack.delete({ reply: { source: BACKEND1, sourcePort: 5353 } }), 1);
    assert.equal(toolList(topo.router).length, 2);
  });

  it('deleteEntries removes what list returned, skips what is already gone, and honours the id', async () => {
    const flows = await conntrack.list({ original: { destination: VIP2 } });
    assert.equal(flows.length, 2);
    // a stale id: same tuple, other id -> the kernel refuses, nothing counted, entry stays
    assert.equal(await conntrack.deleteEntries([{ ...flows[0]!, id: (flows[0]!.id + 1) >>> 0 }]), 0);
    assert.equal(toolList(topo.router, '--orig-dst', VIP2).length, 2);
    assert.equal(await conntrack.deleteEntries(flows), 2);
    assert.equal(toolList(topo.router, '--orig-dst', VIP2).length, 0);
    assert.equal(await conntrack.deleteEntries(flows), 0);
    assert.equal(toolList(topo.router).length, 3);
  });
});

describe('conntrack on the host kernel: entries made by `conntrack -I`', () => {
  const ns = freshNetnsPerTest();
  let conntrack: Conntrack;
  beforeEach(async () => { conntrack = await Conntrack.open({ netns: ns.name }); });
  afterEach(async () => { await conntrack.close(); });

  function insertMix(): void {
    ct(ns.name, '-I', '-s', '10.1.0.1', '-d', '10.96.0.10', '-p', 'udp', '--sport', '40000', '--dport', '53',
      '-r', '10.244.1.5', '-q', '10.1.0.1', '--reply-port-src', '5353', '--reply-port-dst', '40000', '--timeout', '300', '--mark', '42');
    ct(ns.name, '-I', '-s', '10.1.0.1', '-d', '10.1.0.9', '-p', 'tcp', '--sport', '1234', '--dport', '80',
      '--state', 'ESTABLISHED', '--timeout', '300', '-u', 'SEEN_REPLY,ASSURED');
    // (conntrack-tools 1.4.7 garbles --mark when -u is given too, so the marked entry is another one)
    ct(ns.name, '-I', '-s', '10.1.0.1', '-d', '10.1.0.9', '-p', 'udp', '--sport', '8', '--dport', '8', '--timeout', '300', '--mark', '322');
    ct(ns.name, '-I', '-s', '10.1.0.1', '-d', '10.1.0.9', '-p', 'icmp', '--icmp-type', '8', '--icmp-code', '0', '--icmp-id', '77', '--timeout', '300');
    ct(ns.name, '-I', '-s', '2001:db8::1', '-d', 'fd00::10', '-p', 'udp', '--sport', '1000', '--dport', '53', '--timeout', '300', '--mark', '43');
    ct(ns.name, '-I', '-s', '2001:db8::1', '-d', '2001:db8::2', '-p', 'tcp', '--sport', '5000', '--dport', '443', '--state', 'SYN_SENT', '--timeout', '300');
    ct(ns.name, '-I', '-s', '2001:db8::1', '-d', '2001:db8::2', '-p', 'icmpv6', '--icmpv6-type', '128', '--icmpv6-code', '0', '--icmpv6-id', '9', '--timeout', '300');
    ct(ns.name, '-I', '-s', '10.1.0.1', '-d', '10.1.0.9', '-p', 'udp', '--sport', '7', '--dport', '7', '--timeout', '300', '--zone', '5');
  }

  it('decodes IPv4 and IPv6 udp, tcp, icmp, icmpv6 and zoned entries as the tool shows them, both directions', async () => {
    insertMix();
    const ours = await conntrack.list();
    const theirs = toolList(ns.name);
    assert.equal(theirs.length, 8);
    assertSameEntries(ours, theirs);
    const nat = ours.find((e) => e.original.destinationPort === 53 && e.family === 4)!;
    assert.deepEqual(nat.reply, { source: '10.244.1.5', destination: '10.1.0.1', sourcePort: 5353, destinationPort: 40000 });
    const tcp = ours.find((e) => e.protocol === 'tcp' && e.family === 4)!;
    assert.equal(tcp.tcpState, 'established');
    assert.ok(tcp.status.assured && tcp.status.seenReply);
    const icmp6 = ours.find((e) => e.protocol === 'icmpv6')!;
    assert.deepEqual(icmp6.original.icmp, { id: 9, type: 128, code: 0 });
    assert.equal(icmp6.reply.icmp?.type, 129);
    assertSameEntries(await conntrack.list({ family: 6 }), toolList(ns.name, '-f', 'ipv6'));
    assertSameEntries(await conntrack.list({ protocol: 'icmp' }), toolList(ns.name, '-p', 'icmp'));
    assertSameEntries(await conntrack.list({ zone: 5 }), toolList(ns.name, '--zone', '5'));
  });

  it('filters by mark and mask like `conntrack -L --mark 42[/MASK]`', async () => {
    insertMix();
    const by42 = await conntrack.list({ mark: 42 });
    assertSameEntries(by42, toolList(ns.name, '--mark', '42'));
    assert.equal(by42.length, 1);
    assert.equal(by42[0]!.original.destination, '10.96.0.10');
    const masked = await conntrack.list({ mark: 0x42, markMask: 0xff });
    assertSameEntries(masked, toolList(ns.name, '--mark', '0x42/0xff'));
    assert.deepEqual(masked.map((e) => e.mark), [0x142]);
    assert.deepEqual(await conntrack.list({ mark: 7 }), []);
  });

  it('deletes IPv6 flows by filter and zoned entries by reference; a non-existent tuple is not counted', async () => {
    insertMix();
    assert.equal(await conntrack.delete({ family: 6, protocol: 'udp' }), 1);
    assert.equal(toolList(ns.name, '-f', 'ipv6').length, 2);
    assert.equal(await conntrack.delete({ original: { source: '2001:db8::1' } }), 2);
    assert.equal(toolList(ns.name, '-f', 'ipv6').length, 0);
    const ghost = { protocol: 'udp' as const, original: { source: '10.9.9.9', destination: '10.9.9.8', sourcePort: 1, destinationPort: 2 } };
    assert.equal(await conntrack.deleteEntries([ghost]), 0);
    const zoned = await conntrack.list({ zone: 5 });
    assert.equal(zoned.length, 1);
    assert.equal(await conntrack.deleteEntries([...zoned, ghost]), 1);
    assert.equal(toolList(ns.name, '--zone', '5').length, 0);
    assert.equal(toolList(ns.name).length, 4);
  });

  it('bad input is refused before anything is deleted', async () => {
    insertMix();
    const before = toolList(ns.name).length;
    await assert.rejects(conntrack.delete({ orig: { source: '10.1.0.1' } } as never), TypeError);
    await assert.rejects(conntrack.delete({ protocol: 'udp', reply: { source: '10.1.0.300' } }), TypeError);
    await assert.rejects(conntrack.delete({ original: { sourcePort: 70000 } }), RangeError);
    await assert.rejects(conntrack.delete({ mark: -1 }), RangeError);
    await assert.rejects(conntrack.delete(undefined as never), TypeError);
    await assert.rejects(conntrack.deleteEntries([{ protocol: 'udp', original: { source: '10.1.0.1', destination: '10.1.0.9', sourcePort: 7, destinationPort: 7 } },
      { protocol: 'udp', original: { source: '10.1.0.1', destination: 'nope' } }]), TypeError);
    assert.equal(toolList(ns.name).length, before);
  });

  it('a filter that would select everything by mistake deletes nothing; { all: true } deletes every entry', async () => {
    insertMix();
    const before = toolList(ns.name);
    assert.equal(before.length, 8);
    const ep: { proto?: 'udp'; ip?: string } = {};
    class Filter { protocol = 'udp'; }
    const bad: unknown[] = [
      {}, { protocol: ep.proto, reply: { source: ep.ip } }, { protocol: 'udp', reply: { source: undefined } }, { reply: {} },
      new Date(), new Map([['protocol', 'udp']]), new Filter(), Object.assign(Object.create({ protocol: 'udp' }) as object, {}),
      [], { all: false }, { all: true, protocol: 'udp' }, { all: 'yes' }, null, undefined,
    ];
    for (const f of bad) {
      await assert.rejects(conntrack.delete(f as never), (e: Error) => e instanceof TypeError && /filter/.test(e.message), String(f));
    }
    assert.deepEqual(toolList(ns.name), before);
    // list() still takes an empty or missing filter: it only reads.
    assert.equal((await conntrack.list({})).length, 8);
    assert.equal(await conntrack.delete({ all: true }), 8);
    assert.equal(toolList(ns.name).length, 0);
  });

  it('the kernel itself filters the dump by protocol, address, port, mark and zone', async () => {
    insertMix();
    // Straight to the binding: what comes back is what the kernel chose to send.
    const native = new (binding().Handle)(binding().protocols.netfilter);
    await native.open({ path: `/run/netns/${ns.name}` }, {});
    try {
      const dump = async (op: Record<string, unknown>): Promise<NativeCtEntry[]> => {
        const [r] = await native.conntrack([{ op: 'list', family: 0, ...op } as never]);
        assert.equal(r!.error, undefined);
        return r!.entries!;
      };
      assert.equal((await dump({})).length, 8);
      assert.equal((await dump({ family: 10 })).length, 3);
      assert.deepEqual((await dump({ mark: 42, markMask: 0xffffffff })).map((e) => e.mark), [42]);
      const udp4 = await dump({ family: 2, original: { protocol: 17 } });
      assert.equal(udp4.length, 3);
      assert.ok(udp4.every((e) => e.original.protocol === 17 && e.family === 2));
      const bySrc = await dump({ family: 2, reply: { source: Uint8Array.from([10, 244, 1, 5]) } });
      assert.deepEqual(bySrc.map((e) => e.reply.sourcePort), [5353]);
      const byPort = await dump({ family: 2, original: { protocol: 17, destinationPort: 7 } });
      assert.deepEqual(byPort.map((e) => e.zone), [5]);
      assert.deepEqual((await dump({ zone: 5 })).map((e) => e.original.sourcePort), [7]);
    } finally {
      native.close();
    }
  });
});
