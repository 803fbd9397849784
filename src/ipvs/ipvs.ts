// Ipvs: the IPVS API over generic netlink, bound to one network namespace.
import { NetlinkHandle, type OpenOptions } from '../handle.js';
import { IpvsClient } from './client.js';
import { encodeOps } from './encode.js';
import type { IpvsOutputWire } from './table.js';
import { decodeChunk, decodeOutput } from './table.js';
import type { ServiceWithDests } from './client.js';
import type { IpvsOpWire, IpvsResultWire } from './wire.js';

class IpvsSocket extends NetlinkHandle {
  static async open(options: OpenOptions): Promise<IpvsSocket> {
    return new IpvsSocket(await NetlinkHandle.openNative('generic', options, 'ipvs.open'));
  }

  async exec(operation: string, ops: IpvsOpWire[]): Promise<IpvsResultWire[]> {
    const { nums, strs } = encodeOps(ops);
    if (ops.length === 1 && ops[0]!.op === 'listAll') return [await this.#listAll(operation, nums, strs)];
    // Typed arrays and one string for the whole batch: far cheaper than
    // building thousands of objects property by property through N-API.
    const out = await this.run(operation, (n) => n.ipvs(nums, strs));
    return decodeOutput(out, ops.map((o) => o.op === 'listAll'));
  }

  // A large list arrives in chunks while the binding is still dumping, so
  // the objects are built here in the meantime rather than all at the end.
  async #listAll(operation: string, nums: Uint32Array, strs: string): Promise<IpvsResultWire> {
    const chunks: { first: number; services: ServiceWithDests[] }[] = [];
    let failure: unknown;
    let wake: (() => void) | undefined;
    const onChunk = (first: number, rows: IpvsOutputWire): void => {
      try {
        chunks.push({ first, services: decodeChunk(rows) });
      } catch (e) {
        failure ??= e;
        chunks.push({ first, services: [] });
      }
      wake?.();
    };
    const out = await this.run(operation, (n) => n.ipvs(nums, strs, onChunk));
    const [res] = decodeOutput(out, [true]);
    const { streamed, ...result } = res!;
    if (streamed === undefined) return result;
    // The promise may settle before the last chunks' callbacks have run.
    while (chunks.length < streamed) await new Promise<void>((resolve) => { wake = resolve; });
    if (failure !== undefined) throw failure;
    chunks.sort((a, b) => a.first - b.first);
    result.services = chunks.flatMap((c) => c.services);
    return result;
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
