// Graceful termination as kube-proxy's IPVS mode does it: a TCP real server
// that is no longer wanted stays at weight 0 (its connections go on, no new
// ones reach it) and is deleted once IPVS counts no active or inactive
// connection on it. Checked on a timer (every --ipvs-sync-period).
import type { Ipvs, IpvsOperation } from '../../../index.js';
import { isNotFound } from '../../../index.js';
import { canonicalAddress, destKey, virtualServerKey, type PlannedDest } from './plan.js';
import type { DestRef } from './reconcile.js';

/** The IPVS calls draining needs (Ipvs or FakeIpvs). */
export type DrainingIpvs = Pick<Ipvs, 'listDests' | 'apply'>;

const vsKeyOf = (r: DestRef): string => virtualServerKey(r.service.protocol, r.service.address, r.service.port);

/** The real servers draining at weight 0, by virtual server. */
export class Draining {
  readonly #byService = new Map<string, Map<string, DestRef>>();

  get size(): number {
    let n = 0;
    for (const m of this.#byService.values()) n += m.size;
    return n;
  }

  add(r: DestRef): void {
    const k = vsKeyOf(r);
    let m = this.#byService.get(k);
    if (m === undefined) this.#byService.set(k, (m = new Map()));
    m.set(destKey(r.dest.address, r.dest.port), r);
  }

  remove(r: DestRef): void {
    const k = vsKeyOf(r);
    const m = this.#byService.get(k);
    if (m === undefined) return;
    m.delete(destKey(r.dest.address, r.dest.port));
    if (m.size === 0) this.#byService.delete(k);
  }

  /** The draining real servers of one virtual server. */
  of(vsKey: string): PlannedDest[] {
    return [...(this.#byService.get(vsKey)?.values() ?? [])].map((r) => r.dest);
  }

  /** Forgets a virtual server (deleted with its real servers). */
  dropService(vsKey: string): void {
    this.#byService.delete(vsKey);
  }

  clear(): void {
    this.#byService.clear();
  }

  /**
   * Deletes the draining real servers that have no connections left;
   * forgets those already gone. Returns how many were deleted. Equivalent
   * to: `ipvsadm -Ln -t VIP:PORT` and `ipvsadm -d` for each idle one.
   */
  async check(ipvs: DrainingIpvs): Promise<number> {
    const keys = [...this.#byService.keys()];
    const ops: IpvsOperation[] = [];
    const done: DestRef[] = [];
    for (const k of keys) {
      const items = this.#byService.get(k)!;
      const service = items.values().next().value!.service;
      let dests;
      try {
        dests = await ipvs.listDests(service);
      } catch (e) {
        if (!isNotFound(e)) throw e;
        this.#byService.delete(k);
        continue;
      }
      const found = new Map(dests.map((d) => [destKey(canonicalAddress(d.address), d.port), d]));
      for (const [dk, r] of items) {
        const d = found.get(dk);
        if (d === undefined) done.push(r);
        else if (d.activeConnections + d.inactiveConnections === 0) {
          ops.push({ op: 'deleteDest', service, dest: { address: r.dest.address, port: r.dest.port } });
          done.push(r);
        }
      }
    }
    const results = ops.length === 0 ? [] : await ipvs.apply(ops);
    const failed = results.find((r) => r.error !== undefined && !isNotFound(r.error));
    if (failed?.error !== undefined) throw failed.error;
    for (const r of done) this.remove(r);
    return ops.length;
  }
}
