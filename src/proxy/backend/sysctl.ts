// Sysctls as the proxy's modes set them, through /proc/sys the way
// kube-proxy does (read, and write only what differs): IPVS mode's, and
// iptables mode's route_localnet. /proc/sys/net always shows the network
// namespace of the process reading it, so these are written only when the
// node's namespace is the process's own: the proxy runs inside the node's
// namespace (hostNetwork, or `ip netns exec`), never pointed at another one
// from outside.
import { statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

import type { NetnsOption } from '../../index.js';

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

/** One sysctl a mode sets. */
export interface SysctlSetting {
  readonly name: string;
  readonly value: string;
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
