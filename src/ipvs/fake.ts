// FakeIpvs: the Ipvs API over an in-memory table, for users' unit tests.
// Same validation (it shares IpvsClient) and the kernel's errors: EEXIST for
// duplicates, ESRCH for a missing service or daemon, ENOENT for a missing
// real server or an unknown scheduler.
import { formatIp, parseIp } from '../addr.js';
import { HandleClosedError, type NativeErrorInfo } from '../errors.js';
import { IpvsClient } from './client.js';
import { destOf, type Dest } from './dest.js';
import { serviceOf, wireKeyText, type Service } from './service.js';
import { statsAt, zeroStatsSlots } from './stats.js';
import type { DaemonOut, DestWire, IpvsOpWire, IpvsResultWire, ServiceWire } from './wire.js';

const ERRORS: Record<string, [number, string]> = {
  EEXIST: [17, 'File exists'], ESRCH: [3, 'No such process'], ENOENT: [2, 'No such file or directory'],
};

function fail(code: 'EEXIST' | 'ESRCH' | 'ENOENT'): IpvsResultWire {
  const [errno, message] = ERRORS[code]!;
  const error: NativeErrorInfo = { errno, code, message };
  return { error };
}

// The kernel stores binary addresses; the fake compares canonical text.
function text(_af: number, addr: string): string {
  return formatIp(parseIp(addr).bytes);
}

// Stored as what was sent (addresses canonical) with counter slots; every
// read builds fresh public objects, as a kernel read would.
interface StoredService { w: ServiceWire; stats: BigUint64Array }
interface StoredDest { w: DestWire; stats: BigUint64Array }

function serviceOut({ w, stats }: StoredService): Service {
  const addr = w.fwmark !== 0 || w.addr === undefined ? null : text(w.af, w.addr);
  return serviceOf(w.af, w.protocol, addr, w.port, w.fwmark, w.scheduler ?? '', w.pe ?? '', (w.flags ?? 0) | 0x2 /* hashed */,
    w.timeout ?? 0, w.netmask ?? 0, statsAt(stats.slice(), 0));
}

function destOut({ w, stats }: StoredDest): Dest {
  return destOf(w.af, text(w.af, w.addr), w.port, w.fwd ?? 0, w.weight ?? 0, w.uThresh ?? 0, w.lThresh ?? 0,
    w.tunType ?? 0, w.tunPort ?? 0, w.tunFlags ?? 0, 0, 0, 0, statsAt(stats.slice(), 0));
}

const destKey = (d: DestWire) => `${text(d.af, d.addr)}/${d.port}`;

/** The schedulers the fake accepts: those of Linux 6.2 and later (twos arrived in 6.2; a 6.1 kernel refuses it with ENOENT). */
export const FAKE_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'];

/**
 * An in-memory IPVS with the same interface, validation and errors as
 * {@link Ipvs}, for unit tests that must run without privilege.
 *
 * ```ts
 * const ipvs = new FakeIpvs();
 * await ipvs.addService({ protocol: 'tcp', address: '10.0.0.1', port: 80, scheduler: 'rr' });
 * await assert.rejects(ipvs.addService({ protocol: 'tcp', address: '10.0.0.1', port: 80 }), isExists);
 * ```
 */
export class FakeIpvs extends IpvsClient {
  readonly #services = new Map<string, { svc: StoredService; dests: Map<string, StoredDest> }>();
  readonly #daemons = new Map<number, DaemonOut>();
  #timeouts = { tcp: 900, tcpFin: 120, udp: 300 };
  /** Every wire op executed, in order (for assertions on what would have been sent). */
  readonly log: IpvsOpWire[] = [];

  #closed = false;

  protected override async exec(operation: string, ops: IpvsOpWire[]): Promise<IpvsResultWire[]> {
    if (this.#closed) throw new HandleClosedError(operation);
    return ops.map((op) => {
      this.log.push(op);
      return this.#apply(op);
    });
  }

  /** Later calls fail with ERR_HANDLE_CLOSED, as on a real handle. */
  override async close(): Promise<void> {
    this.#closed = true;
  }

  #key(s: ServiceWire): string {
    return wireKeyText(s.addr === undefined ? s : { ...s, addr: text(s.af, s.addr) });
  }

  #apply(op: IpvsOpWire): IpvsResultWire {
    switch (op.op) {
      case 'addService':
      case 'editService': {
        const key = this.#key(op.service);
        const have = this.#services.get(key);
        if (op.op === 'addService' && have) return fail('EEXIST');
        if (op.op === 'editService' && !have) return fail('ESRCH');
        if (!FAKE_SCHEDULERS.includes(op.service.scheduler ?? '')) return fail('ENOENT');
        if (have) have.svc = { w: op.service, stats: have.svc.stats };
        else this.#services.set(key, { svc: { w: op.service, stats: zeroStatsSlots() }, dests: new Map() });
        return {};
      }
      case 'deleteService':
        return this.#services.delete(this.#key(op.service)) ? {} : fail('ESRCH');
      case 'getService': {
        const have = this.#services.get(this.#key(op.service));
        return have ? { services: [serviceOut(have.svc)] } : fail('ESRCH');
      }
      case 'listServices':
        return { services: [...this.#services.values()].map((s) => serviceOut(s.svc)) };
      case 'listAll':
        return {
          services: [...this.#services.values()].map((s) => ({ ...serviceOut(s.svc), dests: [...s.dests.values()].map(destOut) })),
        };
      case 'listDests': {
        const have = this.#services.get(this.#key(op.service));
        return have ? { dests: [...have.dests.values()].map(destOut) } : fail('ESRCH');
      }
      case 'addDest':
      case 'editDest':
      case 'deleteDest': {
        const have = this.#services.get(this.#key(op.service));
        if (!have) return fail('ESRCH');
        const key = destKey(op.dest);
        const d = have.dests.get(key);
        if (op.op === 'addDest') {
          if (d) return fail('EEXIST');
          have.dests.set(key, { w: op.dest, stats: zeroStatsSlots() });
        } else if (!d) {
          return fail('ENOENT');
        } else if (op.op === 'editDest') {
          have.dests.set(key, { w: op.dest, stats: d.stats });
        } else {
          have.dests.delete(key);
        }
        return {};
      }
      case 'flush':
        this.#services.clear();
        return {};
      case 'zero': {
        const targets = op.service ? [this.#services.get(this.#key(op.service))] : [...this.#services.values()];
        if (targets[0] === undefined && op.service) return fail('ESRCH');
        for (const t of targets) {
          t!.svc.stats = zeroStatsSlots();
          for (const d of t!.dests.values()) d.stats = zeroStatsSlots();
        }
        return {};
      }
      case 'getTimeouts':
        return { timeouts: { ...this.#timeouts } };
      case 'setTimeouts':
        this.#timeouts = { tcp: op.tcp || this.#timeouts.tcp, tcpFin: op.tcpFin || this.#timeouts.tcpFin, udp: op.udp || this.#timeouts.udp };
        return {};
      case 'getInfo':
        return { info: { version: 0x010201, connTabSize: 4096 } };
      case 'addDaemon': {
        const d = op.daemon;
        if (this.#daemons.has(d.state)) return fail('EEXIST');
        this.#daemons.set(d.state, {
          state: d.state, ifname: d.ifname ?? '', syncid: d.syncid ?? 0, maxlen: d.maxlen || 1472,
          groupAf: d.groupAf || 2, group: d.group ? text(d.groupAf!, d.group) : '224.0.0.81', port: d.port || 8848, ttl: d.ttl || 1,
        });
        return {};
      }
      case 'deleteDaemon':
        return this.#daemons.delete(op.daemon.state) ? {} : fail('ESRCH');
      case 'listDaemons':
        return { daemons: [...this.#daemons.values()].map((d) => ({ ...d })) };
    }
  }
}
