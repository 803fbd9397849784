// What the shard count costs a packet. NAT chains run for the first packet
// of each connection only, and with shards every shard's NAT output chain
// is tried until one translates. Measured as the time the node takes to
// send a new flow (a TCP SYN from a fresh source port, so a new conntrack
// entry and a NAT lookup each) to a cluster IP, and to the same
// endpoint addressed directly (which passes every shard's chains and
// matches none), from a raw socket in the node's namespace. The endpoint is
// a namespace that takes any address below 128.0.0.0 (the benchmark's
// endpoints) and drops what it gets.
import { execFileSync } from 'node:child_process';

import { clusterIP, endpointIP } from './proxy-nft-state.js';

const FLOWS = 12_000;

// Sends FLOWS SYNs from source ports 10000.. (one new flow each), five
// times over fresh flows; prints the median CPU microseconds per flow the
// sender spent (its system time holds the output path the SYN takes,
// nftables hooks included), which a busy machine disturbs less than the
// wall clock. (No checksum: conntrack checks it on input only, and the
// receiver drops the SYNs.)
const SENDER = `
import socket, struct, sys, time
dst, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
rounds = []
for r in range(5):
    pkts = [struct.pack('!HHIIBBHHH', 1024 + r * n + i, port, 1, 0, 5 << 4, 2, 65535, 0, 0) for i in range(n)]
    t = time.process_time()
    for p in pkts:
        s.sendto(p, (dst, 0))
    rounds.append((time.process_time() - t) * 1e6 / n)
print(sorted(rounds)[2])
`;

function perFlow(ns: string, dst: string, port: number): number {
  execFileSync('ip', ['netns', 'exec', ns, 'conntrack', '-F'], { stdio: 'ignore' });
  return Number(execFileSync('ip', ['netns', 'exec', ns, 'python3', '-c', SENDER, dst, String(port), String(FLOWS)]).toString());
}

/**
 * Microseconds the node spends per new flow to service 1's cluster IP
 * (unless `viaService` is false: a namespace without the ruleset) and to one
 * of its endpoints directly.
 */
export function newFlowCost(ns: string, viaService = true): { service: number; direct: number } {
  const pod = `${ns}-pod`;
  execFileSync('ip', ['netns', 'add', pod]);
  try {
    const ip = (n: string, ...a: string[]) => execFileSync('ip', ['-n', n, ...a]);
    ip(pod, 'link', 'set', 'lo', 'up');
    ip(ns, 'link', 'add', 'vpod', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod);
    ip(ns, 'addr', 'add', '192.168.200.1/24', 'dev', 'vpod');
    ip(pod, 'addr', 'add', '192.168.200.2/24', 'dev', 'eth0');
    ip(ns, 'link', 'set', 'vpod', 'up');
    ip(pod, 'link', 'set', 'eth0', 'up');
    ip(pod, 'route', 'add', 'local', '0.0.0.0/1', 'dev', 'lo');
    ip(ns, 'route', 'add', 'default', 'via', '192.168.200.2');
    execFileSync('ip', ['netns', 'exec', pod, 'nft', 'add table ip sink; add chain ip sink in { type filter hook prerouting priority 0; policy drop; }']);
    // Warm up neighbour resolution and the code paths.
    perFlow(ns, endpointIP(1, 0, 10, 0), 8080);
    return { service: viaService ? perFlow(ns, clusterIP(1), 80) : NaN, direct: perFlow(ns, endpointIP(1, 0, 10, 0), 8080) };
  } finally {
    execFileSync('ip', ['netns', 'del', pod]);
  }
}
