// The IPVS API shared by the kernel-backed Ipvs and the in-memory FakeIpvs:
// validation into wire ops (before anything is sent), results back into
// public types. Subclasses only execute wire ops.
import { denseArray } from '../check.js';
import { NetlinkError } from '../errors.js';
import { daemonFromWire, daemonRole, daemonWire, type Daemon, type DaemonRole, type DaemonSpec } from './daemon.js';
import { destKeyWire, destWire, type Dest, type DestKey, type DestSpec } from './dest.js';
import { checkU32, serviceKeyWire, serviceWire, type Service, type ServiceKey, type ServiceSpec } from './service.js';
import type { IpvsOpWire, IpvsResultWire } from './wire.js';

/** A virtual service with its real servers (`ipvsadm -Ln`). */
export interface ServiceWithDests extends Service {
  dests: Dest[];
}

/** Connection timeouts in seconds (`ipvsadm --set TCP TCPFIN UDP`); 0 in a set = unchanged. */
export interface Timeouts {
  tcp: number;
  tcpFin: number;
  udp: number;
}

/** IPVS version and connection-table size ("IP Virtual Server version 1.2.1 (size=4096)"). */
export interface IpvsInfo {
  version: string;
  versionCode: number;
  connectionTableSize: number;
}

/** One change in a bulk {@link IpvsClient.apply} call. */
export type IpvsOperation =
  | { op: 'addService' | 'updateService'; service: ServiceSpec }
  | { op: 'deleteService'; service: ServiceKey }
  | { op: 'addDest' | 'updateDest'; service: ServiceKey; dest: DestSpec }
  | { op: 'deleteDest'; service: ServiceKey; dest: DestKey };

/** The outcome of one operation of a bulk call. */
export interface IpvsOperationResult {
  op: IpvsOperation['op'];
  error?: NetlinkError;
}

const WIRE_OP = { addService: 'addService', updateService: 'editService', deleteService: 'deleteService',
  addDest: 'addDest', updateDest: 'editDest', deleteDest: 'deleteDest' } as const;

/** Validates one bulk operation into its wire op (throws TypeError/RangeError). */
export function operationWire(o: IpvsOperation, what: string): IpvsOpWire {
  if (typeof o !== 'object' || o === null || typeof o.op !== 'string' || !Object.hasOwn(WIRE_OP, o.op)) throw new TypeError(`${what}.op must be one of ${Object.keys(WIRE_OP).join(', ')}`);
  switch (o.op) {
    case 'addService':
    case 'updateService':
      return { op: WIRE_OP[o.op], service: serviceWire(o.service, `${what}.service`) };
    case 'deleteService':
      return { op: 'deleteService', service: serviceKeyWire(o.service, `${what}.service`) };
    case 'addDest':
    case 'updateDest': {
      const service = serviceKeyWire(o.service, `${what}.service`);
      return { op: WIRE_OP[o.op], service, dest: destWire(service, o.dest, `${what}.dest`) };
    }
    case 'deleteDest': {
      const service = serviceKeyWire(o.service, `${what}.service`);
      return { op: 'deleteDest', service, dest: destKeyWire(service, o.dest, `${what}.dest`) };
    }
  }
}

/** The IPVS API; see {@link Ipvs} (the kernel) and {@link FakeIpvs} (in memory). */
export abstract class IpvsClient {
  /** Runs wire ops in one round (one native call); one result each. */
  protected abstract exec(operation: string, ops: IpvsOpWire[]): Promise<IpvsResultWire[]>;

  abstract close(): Promise<void>;

  async #one(operation: string, op: IpvsOpWire): Promise<IpvsResultWire> {
    const [r] = await this.exec(operation, [op]);
    if (r!.error !== undefined) throw new NetlinkError(operation, r!.error);
    return r!;
  }

  /** Adds a virtual service. Equivalent to: `ipvsadm -A -t|-u|--sctp-service ADDR:PORT | -f MARK [-6] -s SCHED [-p T] [-M MASK] [-b FLAGS] [-o] [--pe PE]`. */
  async addService(spec: ServiceSpec): Promise<void> {
    await this.#one('ipvs.addService', { op: 'addService', service: serviceWire(spec) });
  }

  /** Changes a virtual service's scheduler, persistence and flags. Equivalent to: `ipvsadm -E ...` (same options as -A). */
  async updateService(spec: ServiceSpec): Promise<void> {
    await this.#one('ipvs.updateService', { op: 'editService', service: serviceWire(spec) });
  }

  /** Deletes a virtual service and its real servers. Equivalent to: `ipvsadm -D -t|-u|--sctp-service ADDR:PORT | -f MARK`. */
  async deleteService(key: ServiceKey): Promise<void> {
    await this.#one('ipvs.deleteService', { op: 'deleteService', service: serviceKeyWire(key) });
  }

  /** One virtual service; ESRCH (isNotFound) if absent. Equivalent to: `ipvsadm -Ln -t ADDR:PORT` (first line). */
  async getService(key: ServiceKey): Promise<Service> {
    const r = await this.#one('ipvs.getService', { op: 'getService', service: serviceKeyWire(key) });
    return r.services![0]!;
  }

  /** Every virtual service, without real servers. Equivalent to: the service lines of `ipvsadm -Ln`. */
  async listServices(): Promise<Service[]> {
    const r = await this.#one('ipvs.listServices', { op: 'listServices' });
    return r.services!;
  }

  /**
   * Every virtual service with its real servers, in one native call (the
   * service dump, then every service's destination dump, back to back).
   * Equivalent to: `ipvsadm -Ln` / `ipvsadm -Sn`.
   */
  async list(): Promise<ServiceWithDests[]> {
    return (await this.#one('ipvs.list', { op: 'listAll' })).services as ServiceWithDests[];
  }

  /** Adds a real server. Equivalent to: `ipvsadm -a SERVICE -r ADDR[:PORT] -g|-i|-m [-w W] [-x U] [-y L] [--tun-type T ...]`. */
  async addDest(service: ServiceKey, dest: DestSpec): Promise<void> {
    const s = serviceKeyWire(service);
    await this.#one('ipvs.addDest', { op: 'addDest', service: s, dest: destWire(s, dest) });
  }

  /** Changes a real server (weight, method, thresholds, tunnel). Equivalent to: `ipvsadm -e SERVICE -r ADDR[:PORT] ...`. */
  async updateDest(service: ServiceKey, dest: DestSpec): Promise<void> {
    const s = serviceKeyWire(service);
    await this.#one('ipvs.updateDest', { op: 'editDest', service: s, dest: destWire(s, dest) });
  }

  /** Removes a real server. Equivalent to: `ipvsadm -d SERVICE -r ADDR[:PORT]`. */
  async deleteDest(service: ServiceKey, dest: DestKey): Promise<void> {
    const s = serviceKeyWire(service);
    await this.#one('ipvs.deleteDest', { op: 'deleteDest', service: s, dest: destKeyWire(s, dest) });
  }

  /** The real servers of one service. Equivalent to: `ipvsadm -Ln -t ADDR:PORT` (the `->` lines). */
  async listDests(service: ServiceKey): Promise<Dest[]> {
    const r = await this.#one('ipvs.listDests', { op: 'listDests', service: serviceKeyWire(service) });
    return r.dests!;
  }

  /**
   * Applies many changes in one round of pipelined messages and returns each
   * one's outcome (a refusal of one does not stop the others). Every
   * operation is validated first: one bad operation rejects the whole call
   * with a TypeError/RangeError and nothing is sent. Equivalent to: `ipvsadm -R`.
   */
  async apply(operations: IpvsOperation[]): Promise<IpvsOperationResult[]> {
    // A plain loop, not map(): map() skips holes, which would reach the binding as all-zero ops.
    const given = denseArray<IpvsOperation>(operations, 'operations');
    const ops: IpvsOpWire[] = [];
    for (let i = 0; i < given.length; i++) ops.push(operationWire(given[i]!, `operations[${i}]`));
    if (ops.length === 0) return [];
    const results = await this.exec('ipvs.apply', ops);
    return results.map((r, i) => {
      const op = given[i]!.op;
      return r.error === undefined ? { op } : { op, error: new NetlinkError(`ipvs.${op}`, r.error) };
    });
  }

  /** Removes every virtual service. Equivalent to: `ipvsadm -C`. */
  async flush(): Promise<void> {
    await this.#one('ipvs.flush', { op: 'flush' });
  }

  /** Zeroes the counters of one service, or of all. Equivalent to: `ipvsadm -Z [SERVICE]`. */
  async zero(service?: ServiceKey): Promise<void> {
    await this.#one('ipvs.zero', service === undefined ? { op: 'zero' } : { op: 'zero', service: serviceKeyWire(service) });
  }

  /** Equivalent to: `ipvsadm -L --timeout`. */
  async getTimeouts(): Promise<Timeouts> {
    return (await this.#one('ipvs.getTimeouts', { op: 'getTimeouts' })).timeouts!;
  }

  /** Sets connection timeouts; 0 or omitted leaves one unchanged. Equivalent to: `ipvsadm --set TCP TCPFIN UDP`. */
  async setTimeouts(t: Partial<Timeouts>): Promise<void> {
    if (typeof t !== 'object' || t === null) throw new TypeError('timeouts must be an object');
    const v = (x: number | undefined, what: string) => (x === undefined ? 0 : checkU32(x, what, 0x7fffffff));
    await this.#one('ipvs.setTimeouts', { op: 'setTimeouts', tcp: v(t.tcp, 'tcp'), tcpFin: v(t.tcpFin, 'tcpFin'), udp: v(t.udp, 'udp') });
  }

  /** Version and connection-table size. Equivalent to: the first line of `ipvsadm -Ln`. */
  async info(): Promise<IpvsInfo> {
    const i = (await this.#one('ipvs.info', { op: 'getInfo' })).info!;
    const v = i.version;
    return { version: `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`, versionCode: v, connectionTableSize: i.connTabSize };
  }

  /** Starts a sync daemon. Equivalent to: `ipvsadm --start-daemon master|backup --mcast-interface IF [--syncid N] ...`. */
  async startDaemon(spec: DaemonSpec): Promise<void> {
    await this.#one('ipvs.startDaemon', { op: 'addDaemon', daemon: daemonWire(spec) });
  }

  /** Stops a sync daemon. Equivalent to: `ipvsadm --stop-daemon master|backup`. */
  async stopDaemon(role: DaemonRole): Promise<void> {
    await this.#one('ipvs.stopDaemon', { op: 'deleteDaemon', daemon: { state: daemonRole(role) } });
  }

  /** Running sync daemons. Equivalent to: `ipvsadm -L --daemon`. */
  async listDaemons(): Promise<Daemon[]> {
    return (await this.#one('ipvs.listDaemons', { op: 'listDaemons' })).daemons!.map(daemonFromWire);
  }
}
