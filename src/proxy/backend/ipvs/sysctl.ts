// The sysctls IPVS mode needs (kube-proxy's), written with ensureSysctls.
import type { SysctlSetting } from '../sysctl.js';

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
