// What differs between proxy modes in the demo: what the mode needs on
// this machine, the proxy's flags, how to show what the proxy wrote into
// the kernel, and how to tell that an endpoint is out of the kernel's
// load balancing. Everything else (namespaces, cluster, pods, kubectl,
// traffic) is the same for every mode.
import { Genl, isNotFound } from '../../src/index.js';
import { implementedModes } from '../../src/proxy/backend/registry.js';
import type { ProxyMode } from '../../src/proxy/backend/backend.js';
import { iptablesMode } from './mode-iptables.js';
import { ipvsMode } from './mode-ipvs.js';
import { nftablesMode } from './mode-nftables.js';

/** A Service of the demo as the proxy sees it. */
export interface DemoService {
  readonly name: string;
  readonly namespace: string;
  readonly portName: string;
  readonly clusterIP: string;
  readonly port: number;
  readonly targetPort: number;
  /** sessionAffinity ClientIP's timeoutSeconds; undefined without affinity. */
  readonly affinitySeconds?: number;
}

/** What a mode is asked to explain: the node, the services, the pods, the cluster CIDR. */
export interface DemoScene {
  readonly nodeNs: string;
  readonly services: readonly DemoService[];
  readonly pods: readonly DemoPod[];
  readonly clusterCIDR: string;
}

/** A demo pod: its name and address. */
export interface DemoPod {
  readonly name: string;
  readonly ip: string;
}

/** One proxy mode's part of the demo. */
export interface DemoMode {
  readonly name: ProxyMode;
  /** More dataplane-proxy flags for this mode (beyond --proxy-mode). */
  readonly proxyFlags: readonly string[];
  /** How a Service without affinity picks a pod, after "every new connection goes to a pod": "picked at random". */
  readonly spread: string;
  /** Why a change waits for its sync in this mode, said when one did (nftables: --iptables-min-sync-period, as in kube-proxy); undefined when syncs are not spaced. */
  readonly minSyncPeriod?: string;
  /** What the proxy did to a deleted pod's endpoint, after "the proxy had": "taken 10.244.1.10 out of both Services" is `taken {ip} out of both Services`. */
  readonly endpointRemoved: string;
  /** Lines explaining the kernel state the proxy wrote for the scene's services. */
  describe(scene: DemoScene): Promise<string[]>;
  /** Resolves with the time (Date.now()) at which it saw that no service sends new connections to `ip` any more. */
  endpointGone(nodeNs: string, services: readonly DemoService[], ip: string, timeoutMs: number): Promise<number>;
  /** Commands that show this mode's kernel state. */
  lookCommands(nodeNs: string): string[];
}

/** Does this kernel have IPVS? (its generic netlink family resolves) */
async function kernelHasIpvs(): Promise<boolean> {
  const genl = await Genl.open();
  try {
    await genl.resolveFamily('IPVS');
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  } finally {
    await genl.close();
  }
}

/** What this machine and this build lack for `mode` (empty when it can run). */
export async function missingFor(mode: ProxyMode): Promise<string[]> {
  const missing: string[] = [];
  if (!implementedModes().includes(mode)) {
    missing.push(`dataplane-proxy's ${mode} backend (in progress): this build has ${implementedModes().join(', ')} only`);
  }
  if (mode === 'ipvs') {
    if (!(await kernelHasIpvs())) {
      missing.push('a kernel with IPVS (ip_vs): this one has none. The VM harness boots one (a Debian 6.1 kernel under\n'
        + '  qemu; the demo then takes a few minutes): bash scripts/vm/run.sh npm run demo -- --proxy-mode=ipvs');
    }
  }
  if (demoModes[mode] === undefined && missing.length === 0) missing.push(`the demo's ${mode} steps (showing the kernel state, scripts/demo/mode-${mode}.ts)`);
  return missing;
}

/** The modes the demo can show. */
export const demoModes: Partial<Record<ProxyMode, DemoMode>> = {
  nftables: nftablesMode,
  ipvs: ipvsMode,
  iptables: iptablesMode,
};
