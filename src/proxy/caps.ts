// Privilege check at start: the proxy programs netfilter, which needs
// CAP_NET_ADMIN in the node's network namespace. Read from
// /proc/self/status (no shell-outs, no libcap).
import { readFileSync } from 'node:fs';

/** capability.h: CAP_NET_ADMIN is bit 12. */
export const CAP_NET_ADMIN = 12;

/** The effective capability mask of this process (CapEff in /proc/self/status). */
export function effectiveCapabilities(status: string = readFileSync('/proc/self/status', 'utf8')): bigint {
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(status);
  if (m === null) throw new Error('cannot read CapEff from /proc/self/status');
  return BigInt(`0x${m[1]}`);
}

/** True if the effective set holds capability `bit`. */
export function hasCapability(bit: number, status?: string): boolean {
  return (effectiveCapabilities(status) & (1n << BigInt(bit))) !== 0n;
}

/**
 * Throws unless the process has CAP_NET_ADMIN, with a message an operator
 * can act on.
 */
export function requireNetAdmin(status?: string): void {
  if (hasCapability(CAP_NET_ADMIN, status)) return;
  throw new Error('dataplane-proxy needs CAP_NET_ADMIN to program the kernel (nftables, conntrack): ' +
    'run it as root, or grant the capability (securityContext.capabilities.add: [NET_ADMIN] in a pod; ' +
    'setcap cap_net_admin+ep, or capsh, on a host)');
}
