// Protocol and service names, as iptables looks them up with
// getprotobynumber/getprotobyname and getservbyname: first iptables' own
// table of protocols, then /etc/protocols and /etc/services, read once on
// first use (no lookups beyond these files). A machine without them
// (no netbase) gets numbers, as iptables does there.
import { readFileSync } from 'node:fs';

/** xtables_chain_protos (iptables 1.8.9): names tried before /etc/protocols, in order. */
const CHAIN_PROTOS: readonly [string, number][] = [
  ['tcp', 6], ['sctp', 132], ['udp', 17], ['udplite', 136], ['icmp', 1], ['ipv6-icmp', 58], ['icmpv6', 58],
  ['esp', 50], ['ah', 51], ['mobility-header', 135], ['ipv6-mh', 135], ['mh', 135], ['all', 0],
];

interface Db {
  protoByName: Map<string, number>;
  protoByNumber: Map<number, string>;
  services: Map<string, number>; // "name/proto" -> port
}

let db: Db | undefined;

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n');
  } catch {
    return [];
  }
}

function load(): Db {
  if (db !== undefined) return db;
  const protoByName = new Map<string, number>();
  const protoByNumber = new Map<number, string>();
  for (const line of readLines('/etc/protocols')) {
    const words = line.replace(/#.*/, '').trim().split(/\s+/);
    if (words.length < 2 || !/^\d+$/.test(words[1]!)) continue;
    const num = Number(words[1]);
    if (!protoByNumber.has(num)) protoByNumber.set(num, words[0]!);
    for (const name of [words[0]!, ...words.slice(2)]) if (!protoByName.has(name)) protoByName.set(name, num);
  }
  const services = new Map<string, number>();
  for (const line of readLines('/etc/services')) {
    const words = line.replace(/#.*/, '').trim().split(/\s+/);
    const m = words.length >= 2 ? /^(\d+)\/(\w+)$/.exec(words[1]!) : null;
    if (m === null) continue;
    for (const name of [words[0]!, ...words.slice(2)]) {
      const key = `${name}/${m[2]}`;
      if (!services.has(key)) services.set(key, Number(m[1]));
    }
  }
  db = { protoByName, protoByNumber, services };
  return db;
}

/** The name iptables-save prints for a protocol number, or undefined (it prints the number). */
export function protocolName(num: number): string | undefined {
  for (const [name, n] of CHAIN_PROTOS) if (n === num) return name;
  return num === 0 ? undefined : load().protoByNumber.get(num);
}

/** The number of a protocol name (iptables' table, then /etc/protocols), or undefined. */
export function protocolNumber(name: string): number | undefined {
  const lower = name.toLowerCase();
  for (const [n, num] of CHAIN_PROTOS) if (n === lower) return num;
  return load().protoByName.get(name) ?? load().protoByName.get(lower);
}

/** A service name's port for a protocol name ('tcp', 'udp', ...), from /etc/services. */
export function servicePort(name: string, protocol: string): number | undefined {
  return load().services.get(`${name}/${protocol}`);
}
