// The sysctls IPVS mode needs, written through /proc/sys the way kube-proxy
// sets them (read, and write only what differs). /proc/sys/net always shows
// the network namespace of the process reading it, so these are written only
// when the node's namespace is the process's own: the proxy runs inside the
// node's namespace (hostNetwork, or `ip netns exec`), never pointed at
// another one from outside.
import { statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

import type { NetnsOption } from '../../../index.js';

/** Reads and writes sysctls by their /proc/sys path ('net/ipv4/ip_forward'). */
export interface SysctlAccess {
  read(name: string): Promise<string>;
  write(name: string, value: string): Promise<void>;
}

/** /proc/sys of the calling process's own network namespace. Equivalent to: `sysctl -n NAME` / `sysctl -w NAME=VALUE`. */
export const procSys: SysctlAccess = {
  async read(name) {
    return (await readFile(`/proc/sys/${name}`, 'utf8')).trim();
  },
  async write(name, value) {
    await writeFile(`/proc/sys/${name}`, `${value}\n`);
  },
};

function netnsFile(netns: NetnsOption): string {
  if (typeof netns === 'string') return netns.startsWith('/') ? netns : `/run/netns/${netns}`;
  return 'path' in netns ? netns.path : `/proc/${netns.pid}/ns/net`;
}

/** True when `netns` (omitted: the caller's own) is the namespace this process runs in. */
export function isOwnNetns(netns: NetnsOption | undefined): boolean {
  if (netns === undefined) return true;
  const theirs = statSync(netnsFile(netns));
  const ours = statSync('/proc/self/ns/net');
  return theirs.dev === ours.dev && theirs.ino === ours.ino;
}

/** One sysctl IPVS mode sets, and why. */
export interface SysctlSetting {
  readonly name: string;
  readonly value: string;
}

/** Linux release ('6.1.0-57-amd64') -> [major, minor]. */
export function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (m === null) throw new Error(`cannot read the kernel version from ${JSON.stringify(release)}`);
  return [Number(m[1]), Number(m[2])];
}

/**
 * kube-proxy's IPVS sysctls: vs/conntrack=1 (IPVS connections go through
 * conntrack, so nftables NAT and masquerade apply), conn_reuse_mode=0 on
 * kernels 4.1..5.8 (a reused port was dropped for a second on those),
 * expire_nodest_conn=1 and expire_quiescent_template=1 (connections and
 * persistence templates of removed or weight-0 servers expire), ip_forward=1,
 * and with strict ARP arp_ignore=1, arp_announce=2.
 */
export function ipvsSysctls(release: string, strictARP: boolean): SysctlSetting[] {
  const [major, minor] = kernelVersion(release);
  const v = major * 1000 + minor;
  const out: SysctlSetting[] = [{ name: 'net/ipv4/vs/conntrack', value: '1' }];
  if (v >= 4001 && v < 5009) out.push({ name: 'net/ipv4/vs/conn_reuse_mode', value: '0' });
  out.push(
    { name: 'net/ipv4/vs/expire_nodest_conn', value: '1' },
    { name: 'net/ipv4/vs/expire_quiescent_template', value: '1' },
    { name: 'net/ipv4/ip_forward', value: '1' },
  );
  if (strictARP) out.push({ name: 'net/ipv4/conf/all/arp_ignore', value: '1' }, { name: 'net/ipv4/conf/all/arp_announce', value: '2' });
  return out;
}

/** Sets each sysctl that differs; returns the names written. Errors name the sysctl. */
export async function ensureSysctls(access: SysctlAccess, settings: readonly SysctlSetting[]): Promise<string[]> {
  const written: string[] = [];
  for (const s of settings) {
    try {
      if ((await access.read(s.name)) === s.value) continue;
      await access.write(s.name, s.value);
      written.push(s.name);
    } catch (e) {
      throw new Error(`cannot set sysctl ${s.name.replaceAll('/', '.')}=${s.value}: ${(e as Error).message}`, { cause: e });
    }
  }
  return written;
}
