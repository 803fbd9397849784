// ipvsadm's text layouts (`ipvsadm -Ln`, `-Ln --stats`, `-Ln --rate`),
// rendered from our own objects, for `dataplane ipvs list`. Services and
// real servers are sorted the way ipvsadm sorts them.
import { parseIp } from '../addr.js';
import type { ServiceWithDests, IpvsInfo } from './client.js';
import type { Dest } from './dest.js';
import type { Service } from './service.js';
import type { Stats } from './stats.js';

export type ListFormat = 'plain' | 'stats' | 'rate';

const FORWARD_NAMES: Record<Dest['forward'], string> = { masq: 'Masq', local: 'Local', tunnel: 'Tunnel', route: 'Route', bypass: 'Bypass' };

// libipvs compares 32-bit words by subtracting them as C ints; do the same.
function cmpWords(a: string, b: string): number {
  const x = parseIp(a).bytes;
  const y = parseIp(b).bytes;
  const view = (u: Uint8Array) => new DataView(u.buffer, u.byteOffset, u.byteLength);
  for (let i = 0; i < x.length; i += 4) {
    const r = (view(x).getUint32(i) - view(y).getUint32(i)) | 0;
    if (r !== 0) return r;
  }
  return 0;
}

const PROTO_NUMBER = { tcp: 6, udp: 17, sctp: 132 } as const;

/** ipvsadm's service order: fwmark, family, protocol, address, port. */
export function compareServices(a: Service, b: Service): number {
  return ((a.fwmark ?? 0) - (b.fwmark ?? 0)) || (a.family - b.family) ||
    ((a.protocol ? PROTO_NUMBER[a.protocol] : 0) - (b.protocol ? PROTO_NUMBER[b.protocol] : 0)) ||
    (a.address !== undefined && b.address !== undefined ? cmpWords(a.address, b.address) : 0) || ((a.port ?? 0) - (b.port ?? 0));
}

/** ipvsadm's real-server order: family, address, port. */
export function compareDests(a: Dest, b: Dest): number {
  return (a.family - b.family) || (a.family === b.family ? cmpWords(a.address, b.address) : 0) || (a.port - b.port);
}

const hostPort = (family: number, address: string, port: number) => (family === 6 ? `[${address}]:${port}` : `${address}:${port}`);

function serviceName(s: Service): string {
  if (s.fwmark !== undefined) return `FWM  ${s.fwmark}${s.family === 6 ? ' IPv6' : ''}`;
  return `${s.protocol!.toUpperCase().padEnd(4)} ${hostPort(s.family, s.address!, s.port!)}`;
}

// ipvsadm's print_largenum: 9 columns, K/M/G/T beyond 100 million.
function largenum(n: bigint): string {
  if (n < 100_000_000n) return n.toString().padStart(9);
  if (n < 1_000_000_000n) return `${(n / 1000n).toString().padStart(8)}K`;
  if (n < 100_000_000_000n) return `${(n / 1_000_000n).toString().padStart(8)}M`;
  if (n < 100_000_000_000_000n) return `${(n / 1_000_000_000n).toString().padStart(8)}G`;
  return `${(n / 1_000_000_000_000n).toString().padStart(8)}T`;
}

function numbers(st: Stats, format: ListFormat): string {
  const v = format === 'stats' ? [st.connections, st.inPackets, st.outPackets, st.inBytes, st.outBytes]
    : [st.connectionRate, st.inPacketRate, st.outPacketRate, st.inByteRate, st.outByteRate];
  return v.map(largenum).join('');
}

function serviceLine(s: Service, format: ListFormat): string {
  const name = serviceName(s);
  if (format !== 'plain') return `${name.padEnd(33)}${numbers(s.stats, format)}`;
  let line = `${name} ${s.scheduler}`;
  if (s.schedulerFlags.length > 0) line += ` (${s.schedulerFlags.join(',')})`;
  if (s.persistence !== undefined) {
    line += ` persistent ${s.persistence}`;
    if (s.family === 4 ? s.netmask !== '255.255.255.255' : s.netmask !== 128) line += ` mask ${s.netmask}`;
    if (s.persistenceEngine !== undefined) line += ` pe ${s.persistenceEngine}`;
  }
  if (s.onePacket) line += ' ops';
  return line;
}

function destLine(d: Dest, format: ListFormat): string {
  const name = hostPort(d.family, d.address, d.port);
  if (format !== 'plain') return `  -> ${name.padEnd(28)}${numbers(d.stats, format)}`;
  return `  -> ${name.padEnd(28)} ${FORWARD_NAMES[d.forward].padEnd(7)} ${String(d.weight).padEnd(6)} ` +
    `${String(d.activeConnections).padEnd(10)} ${String(d.inactiveConnections).padEnd(10)}`;
}

const HEADERS: Record<ListFormat, string[]> = {
  plain: ['Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn'],
  stats: ['Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes', '  -> RemoteAddress:Port'],
  rate: ['Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS', '  -> RemoteAddress:Port'],
};

/** The text of `ipvsadm -Ln` (or `--stats` / `--rate`), newline-terminated. */
export function formatList(info: IpvsInfo, services: ServiceWithDests[], format: ListFormat = 'plain'): string {
  const lines = [`IP Virtual Server version ${info.version} (size=${info.connectionTableSize})`, ...HEADERS[format]];
  for (const s of [...services].sort(compareServices)) {
    lines.push(serviceLine(s, format));
    for (const d of [...s.dests].sort(compareDests)) lines.push(destLine(d, format));
  }
  return `${lines.join('\n')}\n`;
}
