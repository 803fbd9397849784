// When a change becomes visible in the kernel, seen from outside the proxy:
// the nf_tables multicast events of the node's namespace (`nft monitor`
// through the library). The kernel sends a batch's events when it commits
// it, and one NEWGEN event last; the commit that carries a service port's
// objects (its map's elements, its chains' rules, its sets) is the one the
// change is waited for, and its NEWGEN's arrival is the time taken.
import { Nftables, type NftEvent } from '../../src/index.js';
import { wallNow } from './proxy-util.js';

interface Waiter {
  readonly base: string;
  seen: boolean;
  readonly resolve: (v: { at: number; pid: number | undefined }) => void;
}

// The names an event is about: a set (elements, a set itself), a chain (a rule, a chain).
function namesOf(e: NftEvent): string[] {
  switch (e.type === 'generation' || e.type === 'lost' ? e.type : e.kind) {
    case 'element': return [(e as { set: string }).set];
    case 'rule': return [(e as { rule: { chain: string } }).rule.chain];
    case 'set': return [(e as { set: { name: string } }).set.name];
    case 'chain': return [(e as { chain: { name: string } }).chain.name];
    default: return [];
  }
}

/** Watches the ruleset of one namespace for the commits of service ports. */
export class KernelWatch {
  #waiter: Waiter | undefined;
  #stopped = false;
  #loop: Promise<void> = Promise.resolve();
  /** Events dropped by the kernel (a full receive buffer): the measurement is void if not 0. */
  lost = 0;

  private constructor(private readonly nft: Nftables) {}

  static async start(netns: string): Promise<KernelWatch> {
    const w = new KernelWatch(await Nftables.open({ netns }));
    w.#loop = w.#run();
    return w;
  }

  async #run(): Promise<void> {
    // monitor() subscribes when called, so no change made after start() is missed.
    for await (const e of this.nft.monitor()) {
      if (this.#stopped) break;
      if (e.type === 'lost') { this.lost++; continue; }
      const w = this.#waiter;
      if (w === undefined) continue;
      if (e.type === 'generation') {
        if (w.seen) {
          this.#waiter = undefined;
          w.resolve({ at: wallNow(), pid: e.pid });
        }
      } else if (namesOf(e).some((n) => n.includes(w.base))) {
        w.seen = true;
      }
    }
  }

  /**
   * Resolves with the wall-clock time (ms since the epoch) at which the next
   * commit touching an object named after `base` (`ns/name/tcp/http`) was
   * seen complete, and the pid of the process that committed it.
   */
  next(base: string): Promise<{ at: number; pid: number | undefined }> {
    if (this.#waiter !== undefined) throw new Error('one change at a time');
    return new Promise((resolve) => { this.#waiter = { base, seen: false, resolve }; });
  }

  /** Stops watching (a commit of our own wakes the loop), closes the handle. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const tx = this.nft.transaction();
    tx.addTable({ family: 'ip', name: 'dp-bench-wake' });
    tx.deleteTable({ family: 'ip', name: 'dp-bench-wake' });
    await this.nft.commit(tx);
    await this.#loop;
    await this.nft.close();
  }
}
