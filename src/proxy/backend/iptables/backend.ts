// The iptables backend: kube-proxy's iptables mode semantics in legacy
// x_tables (ip_tables and ip6_tables), written by the library's atomic
// table replace, never by iptables-restore. Each sync writes the nat table,
// then the filter table, of each family, one replace each; a partial sync
// plans only the changed service ports, and the chains of the others are
// copied as the kernel holds them (never decoded).
import { parseCidr, type IpFamily } from '../../../addr.js';
import { Iptables, type IptablesInterface } from '../../../iptables/index.js';
import type { NodeInfo, ProxyState } from '../../model/types.js';
import type { Backend, BackendOptions, SyncRequest, SyncResult } from '../backend.js';
import { localAddresses, nodePortMatch, nodePortsOnLoopback4, type NodePortMatch } from '../node-ports.js';
import { ensureSysctls, isOwnNetns, procSys, type SysctlAccess } from '../sysctl.js';
import { filterTable, localTraffic, natTable, nodePortDestinations } from './base.js';
import { isOurs } from './names.js';
import { planService, type PlanContext, type ServiceRules } from './plan.js';
import { removeOurs, writeTable } from './write.js';

/** What the backend may be given instead of what it would open or read itself (tests). */
export interface IptablesBackendDeps {
  /** The handles per family (default: Iptables.open in options.netns, closed by close()). */
  readonly iptables?: Partial<Record<IpFamily, IptablesInterface>>;
  /** The node's addresses of a family, for NodePorts on CIDRs (default: rtnetlink in options.netns). */
  readonly localAddresses?: (family: IpFamily) => Promise<string[]>;
  /** How sysctls are read and written (default: /proc/sys of this process, which must run in the node's namespace). */
  readonly sysctl?: SysctlAccess;
}

/** Lets DNATed traffic from 127.0.0.0/8 be routed out (IPv4 localhost NodePorts). */
const ROUTE_LOCALNET = { name: 'net/ipv4/conf/all/route_localnet', value: '1' } as const;

// What was written for one family at the last sync.
interface Belief {
  readonly services: Map<string, ServiceRules>;
  readonly ctx: PlanContext;
}

const familyOfKey = (key: string): IpFamily => (key.startsWith('v6 ') ? 6 : 4);
const nodeKey = (n: NodeInfo): string => JSON.stringify([n.name, n.labels, n.primaryIPs]);

function checkOptions(o: BackendOptions): void {
  if (!Array.isArray(o.families) || o.families.length === 0 || o.families.some((f) => f !== 4 && f !== 6) || new Set(o.families).size !== o.families.length) {
    throw new TypeError('iptables backend: families must list 4 and/or 6 once each');
  }
  if (!Number.isInteger(o.masqueradeBit) || o.masqueradeBit < 0 || o.masqueradeBit > 31) throw new RangeError('iptables backend: masqueradeBit must be 0..31');
  const d = o.detectLocal;
  if (d.mode === 'ClusterCIDR' || d.mode === 'NodeCIDR') d.cidrs.forEach((c, i) => parseCidr(c, `iptables backend: detectLocal.cidrs[${i}]`));
  const ifname = d.mode === 'BridgeInterface' ? d.interface : d.mode === 'InterfaceNamePrefix' ? d.prefix : undefined;
  if (ifname !== undefined && (typeof ifname !== 'string' || ifname === '' || Buffer.byteLength(ifname) > (d.mode === 'InterfaceNamePrefix' ? 14 : 15) || ifname.includes('\0'))) {
    throw new TypeError(`iptables backend: detectLocal: not an interface name: ${JSON.stringify(ifname)}`);
  }
  if (!('primary' in o.nodePortAddresses)) o.nodePortAddresses.cidrs.forEach((c, i) => parseCidr(c, `iptables backend: nodePortAddresses.cidrs[${i}]`));
}

/**
 * Keeps legacy iptables in line with the proxy's state: kube-proxy
 * `--proxy-mode iptables`, its chains named DP-* (README, "dataplane-proxy,
 * iptables mode"). `iptables-legacy-save -t nat` shows what it wrote.
 */
export class IptablesBackend implements Backend {
  readonly mode = 'iptables' as const;
  readonly #options: BackendOptions;
  readonly #deps: IptablesBackendDeps;
  readonly #mark: number;
  /** IPv4 NodePorts answer on loopback: route_localnet is set and martians to 127.0.0.0/8 dropped. */
  readonly #localhost: boolean;
  readonly #handles = new Map<IpFamily, IptablesInterface>();
  readonly #opened: Iptables[] = [];
  #belief = new Map<IpFamily, Belief>();
  #node = '';
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: BackendOptions, deps: IptablesBackendDeps = {}) {
    checkOptions(options);
    this.#options = options;
    this.#deps = deps;
    this.#mark = 2 ** options.masqueradeBit;
    this.#localhost = options.iptables?.localhostNodePorts === true && options.families.includes(4) && nodePortsOnLoopback4(options.nodePortAddresses);
  }

  async #handle(family: IpFamily): Promise<IptablesInterface> {
    let h = this.#handles.get(family) ?? this.#deps.iptables?.[family];
    if (h === undefined) {
      const opened = await Iptables.open({ family, ...(this.#options.netns !== undefined ? { netns: this.#options.netns } : {}) });
      this.#opened.push(opened);
      h = opened;
    }
    this.#handles.set(family, h);
    return h;
  }

  // One operation at a time, in the order called.
  #serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(f, f);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Opens the handles and reads the nat and filter tables of each family
   * (the kernel must have ip_tables / ip6_tables); with IPv4 localhost
   * NodePorts, sets net.ipv4.conf.all.route_localnet=1 as kube-proxy does.
   */
  setup(): Promise<void> {
    if (this.#localhost && this.#deps.sysctl === undefined && !isOwnNetns(this.#options.netns)) {
      return Promise.reject(new Error('iptables mode with localhost NodePorts sets net.ipv4.conf.all.route_localnet through /proc/sys, which shows only the ' +
        'namespace this process runs in: run dataplane-proxy inside the node\'s network namespace, or pass --iptables-localhost-nodeports=false'));
    }
    return this.#serial(async () => {
      if (this.#localhost) await ensureSysctls(this.#deps.sysctl ?? procSys, [ROUTE_LOCALNET]);
      for (const family of this.#options.families) {
        const ipt = await this.#handle(family);
        for (const table of ['nat', 'filter'] as const) {
          try {
            await ipt.get(table);
          } catch (e) {
            throw new Error(`iptables mode: cannot read the ${family === 4 ? 'iptables' : 'ip6tables'} ${table} table (legacy x_tables): ${(e as Error).message}`, { cause: e });
          }
        }
      }
    });
  }

  /**
   * A full sync (asked for, the first one, after a failure, or when the
   * node changed) plans every service port and rewrites all our chains,
   * dropping any other chain of ours; a partial one plans the changed
   * ports, rewrites the shared dispatch chains and their chains, and
   * copies the rest. One replace per table and family either way.
   */
  sync(state: ProxyState, request: SyncRequest): Promise<SyncResult> {
    return this.#serial(async () => {
      const full = request.full || this.#belief.size === 0 || nodeKey(state.node) !== this.#node;
      let written = 0;
      try {
        for (const family of this.#options.families) {
          written += full ? await this.#full(family, state) : await this.#partial(family, state, request.changed);
        }
        this.#node = nodeKey(state.node);
      } catch (e) {
        this.#belief = new Map();  // what the kernel holds is no longer known: the next sync is a full one
        throw e;
      }
      let internal = 0, external = 0;
      for (const b of this.#belief.values()) {
        for (const s of b.services.values()) {
          internal += s.noLocal.internal;
          external += s.noLocal.external;
        }
      }
      return { noLocalEndpoints: { internal, external }, written };
    });
  }

  async #full(family: IpFamily, state: ProxyState): Promise<number> {
    const ctx: PlanContext = {
      family, masqueradeMark: this.#mark, masqueradeAll: this.#options.masqueradeAll, node: state.node,
      local: localTraffic(family, this.#options.detectLocal),
      nodePortDestinations: nodePortDestinations(family, await this.#nodePorts(family, state.node), this.#localhost),
    };
    const services = new Map<string, ServiceRules>();
    const keys = [...state.services.keys()].filter((k) => state.services.get(k)!.family === family).sort();
    for (const k of keys) services.set(k, planService(state.services.get(k)!, state.endpoints.get(k) ?? [], ctx));
    this.#belief.delete(family);
    const written = await this.#write(family, services, ctx, undefined, () => true);
    this.#belief.set(family, { services, ctx: { ...ctx, node: state.node } });
    return written;
  }

  async #partial(family: IpFamily, state: ProxyState, changed: ReadonlySet<string>): Promise<number> {
    const belief = this.#belief.get(family)!;
    const ctx = { ...belief.ctx, node: state.node };
    const stale = new Set<string>();
    const mine = new Set<string>();
    for (const k of changed) {
      if (familyOfKey(k) !== family) continue;
      mine.add(k);
      for (const name of belief.services.get(k)?.chains.keys() ?? []) stale.add(name);
      const svc = state.services.get(k);
      if (svc === undefined) belief.services.delete(k);
      else belief.services.set(k, planService(svc, state.endpoints.get(k) ?? [], ctx));
    }
    return this.#write(family, belief.services, ctx, mine, (chain) => stale.has(chain));
  }

  async #write(family: IpFamily, services: Map<string, ServiceRules>, ctx: PlanContext, only: ReadonlySet<string> | undefined,
    drop: (chain: string) => boolean): Promise<number> {
    const ipt = await this.#handle(family);
    const nat = natTable(services.values(), { mark: this.#mark, nodePorts: ctx.nodePortDestinations, ...(only !== undefined ? { only } : {}) });
    let written = await writeTable(ipt, 'nat', nat, drop);
    const localnet = family === 4 && this.#localhost;
    written += await writeTable(ipt, 'filter', filterTable(services.values(), { mark: this.#mark, localnet }), (chain) => isOurs(chain));
    return written;
  }

  #nodePorts(family: IpFamily, node: NodeInfo): Promise<NodePortMatch> {
    return nodePortMatch(this.#options.nodePortAddresses, family, node,
      (f) => this.#deps.localAddresses?.(f) ?? localAddresses(this.#options.netns, f), family === 4 && this.#localhost);
  }

  /**
   * Removes every DP-* chain and every rule jumping to one from the nat and
   * filter tables of both families; a table the kernel does not have (or a
   * family without x_tables) has nothing of ours. Equivalent to deleting
   * them with iptables-legacy -X and -D.
   */
  cleanup(): Promise<void> {
    return this.#serial(async () => {
      this.#belief = new Map();
      for (const family of [4, 6] as const) {
        let ipt: IptablesInterface;
        let tables: string[];
        try {
          ipt = await this.#handle(family);
          tables = await ipt.tables();
        } catch {
          continue;  // no ip_tables / ip6_tables here: nothing of ours either
        }
        for (const table of ['nat', 'filter'] as const) if (tables.includes(table)) await removeOurs(ipt, table);
      }
    });
  }

  /** Closes the handles it opened (handles passed in deps are the caller's). */
  close(): Promise<void> {
    return this.#serial(async () => {
      for (const h of this.#opened.splice(0)) await h.close();
      this.#handles.clear();
    });
  }
}
