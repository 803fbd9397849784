// Ipvs: the IPVS API over generic netlink, bound to one network namespace.
import { NetlinkHandle, type OpenOptions } from '../handle.js';
import { IpvsClient } from './client.js';
import { encodeOps } from './encode.js';
import { decodeOutput } from './table.js';
import type { IpvsOpWire, IpvsResultWire } from './wire.js';

class IpvsSocket extends NetlinkHandle {
  static async open(options: OpenOptions): Promise<IpvsSocket> {
    return new IpvsSocket(await NetlinkHandle.openNative('generic', options, 'ipvs.open'));
  }

  async exec(operation: string, ops: IpvsOpWire[]): Promise<IpvsResultWire[]> {
    const { nums, strs } = encodeOps(ops);
    // Typed arrays and one string for the whole batch: far cheaper than
    // building thousands of objects property by property through N-API.
    const out = await this.run(operation, (n) => n.ipvs(nums, strs));
    return decodeOutput(out, ops.map((o) => o.op === 'listAll'));
  }
}

/**
 * IPVS (the kernel's L4 load balancer) through its generic netlink family,
 * with a socket bound to one network namespace. The family id is resolved
 * once per handle. Every call is a Promise; bulk calls ({@link apply},
 * {@link list}) go in one native call with pipelined messages.
 *
 * ```ts
 * const ipvs = await Ipvs.open({ netns: 'director' });
 * await ipvs.addService({ protocol: 'tcp', address: '10.96.0.10', port: 80, scheduler: 'rr', persistence: 50 });
 * await ipvs.addDest({ protocol: 'tcp', address: '10.96.0.10', port: 80 }, { address: '10.244.1.5', port: 8080, forward: 'masq' });
 * ```
 */
export class Ipvs extends IpvsClient {
  readonly #socket: IpvsSocket;

  private constructor(socket: IpvsSocket) {
    super();
    this.#socket = socket;
  }

  /** Opens a generic netlink socket in `options.netns` (default: the caller's namespace). */
  static async open(options: OpenOptions = {}): Promise<Ipvs> {
    return new Ipvs(await IpvsSocket.open(options));
  }

  protected override exec(operation: string, ops: IpvsOpWire[]): Promise<IpvsResultWire[]> {
    return this.#socket.exec(operation, ops);
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#socket.closed;
  }

  /** Releases the socket after the calls already queued. */
  override async close(): Promise<void> {
    await this.#socket.close();
  }
}
