// The one interface between the proxy's model and the kernel. The proxier
// (watch -> trackers -> runner) calls a Backend; only backends touch the
// kernel, each through the library (nftables, ipvs + nftables, iptables).
import type { IpFamily } from '../../addr.js';
import type { NetnsOption } from '../../handle.js';
import type { ProxyState } from '../model/types.js';
import type { IpvsOptions } from './ipvs/options.js';

export type ProxyMode = 'nftables' | 'ipvs' | 'iptables';

/** How traffic from inside the cluster is told apart (--detect-local-mode). */
export type DetectLocal =
  | { readonly mode: 'ClusterCIDR' | 'NodeCIDR'; readonly cidrs: readonly string[] }
  | { readonly mode: 'BridgeInterface'; readonly interface: string }
  | { readonly mode: 'InterfaceNamePrefix'; readonly prefix: string }
  /** Nothing configured: every source counts as outside (kube-proxy without --cluster-cidr). */
  | { readonly mode: 'None' };

/** What every backend is built with: the resolved config, read once at start. */
export interface BackendOptions {
  /** The node's network namespace (default: the process's own). */
  readonly netns?: NetnsOption;
  /** The IP families the proxy serves. */
  readonly families: readonly IpFamily[];
  readonly detectLocal: DetectLocal;
  /** Masquerade every service connection (--masquerade-all). */
  readonly masqueradeAll: boolean;
  /** The fwmark bit that marks a connection for masquerade (default 14). */
  readonly masqueradeBit: number;
  /** NodePorts listen on the node's primary IPs, or on local addresses inside these CIDRs (0.0.0.0/0, ::/0: all). */
  readonly nodePortAddresses: { readonly primary: true } | { readonly cidrs: readonly string[] };
  /** IPVS mode's settings (the `ipvs:` section, --ipvs-* flags; durations in ms); other modes ignore them. Defaults: kube-proxy's. */
  readonly ipvs?: Partial<IpvsOptions>;
  /** iptables mode's settings (the `iptables:` section, --iptables-* flags); other modes ignore them. */
  readonly iptables?: IptablesModeOptions;
}

/** What only iptables mode takes. */
export interface IptablesModeOptions {
  /**
   * IPv4 NodePorts answer on 127.0.0.0/8 too (--iptables-localhost-nodeports;
   * kube-proxy's default, and the config's, is true; absent here: false):
   * sets net.ipv4.conf.all.route_localnet=1 so DNATed loopback traffic can
   * leave the node, and drops martian traffic to 127.0.0.0/8 from elsewhere.
   */
  readonly localhostNodePorts?: boolean;
}

/** What one sync must bring into line. */
export interface SyncRequest {
  /**
   * Rebuild everything from `state` and repair whatever differs in the
   * kernel (start, after a failure, on the sync period, when the node's
   * labels change). Otherwise a partial sync.
   */
  readonly full: boolean;
  /**
   * Service port keys whose ServicePort or endpoints changed since the last
   * successful sync, deleted ones included (absent from `state` then). A
   * partial sync touches only these; ignored when `full`.
   */
  readonly changed: ReadonlySet<string>;
}

/** What a sync did, for metrics and logs. */
export interface SyncResult {
  /** Service ports with no usable endpoint from this node under Local policy (kubeproxy_sync_proxy_rules_no_local_endpoints_total). */
  readonly noLocalEndpoints: { readonly internal: number; readonly external: number };
  /** Kernel objects written (rules, elements, virtual servers...), for logs. */
  readonly written: number;
}

export interface Backend {
  readonly mode: ProxyMode;
  /** Checks and prepares what the backend needs (probes, sysctls); throws a clear error if the kernel cannot do it. */
  setup(): Promise<void>;
  /** Brings the kernel in line with `state`; throws (and the runner retries with a full sync) on failure. Never half-applies a shard/table. */
  sync(state: ProxyState, request: SyncRequest): Promise<SyncResult>;
  /** Removes everything this backend (in any version) ever created in the node's namespace. */
  cleanup(): Promise<void>;
  close(): Promise<void>;
}
