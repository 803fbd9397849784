// Decoding the nf_tables multicast group (NFNLGRP_NFTABLES): every change
// committed by anyone (us, nft, iptables-nft) arrives as the same NEW/DEL
// messages a listing returns, then one NEWGEN per committed batch.
import { constants } from 'node:os';

import type { NativeHandle } from '../binding.js';
import { NetlinkError } from '../errors.js';
import { decodeChain, type Chain } from './chain.js';
import { decodeFlowtable, type Flowtable } from './flowtable.js';
import { decodeObject, type NamedObject } from './object.js';
import { decodeRule, type Rule } from './rule.js';
import { decodeElements, decodeSet, type NftSet, type SetElement } from './set.js';
import { decodeTable, type Table } from './table.js';
import * as U from './uapi.js';
import { be32, messageAttrs, messages, type NfMessage } from './wire.js';

export type NftEvent =
  | { type: 'new' | 'delete'; kind: 'table'; table: Table }
  | { type: 'new' | 'delete'; kind: 'chain'; chain: Chain }
  | { type: 'new' | 'delete'; kind: 'rule'; rule: Rule }
  | { type: 'new' | 'delete'; kind: 'set'; set: NftSet }
  | { type: 'new' | 'delete'; kind: 'element'; family: string; table: string; set: string; elements: SetElement[] }
  | { type: 'new' | 'delete'; kind: 'object'; object: NamedObject }
  /**
   * A flowtable added or deleted; when devices were added to (or removed
   * from) a flowtable that stays, `devices` holds only those devices. The
   * kernel may leave the hook out of a deletion.
   */
  | { type: 'new' | 'delete'; kind: 'flowtable'; flowtable: Flowtable }
  /** A batch was committed: the new generation and the process that sent it. */
  | { type: 'generation'; id: number; pid?: number; process?: string }
  /** The receive buffer overflowed: events were dropped; re-list to resync. */
  | { type: 'lost' };

function decodeEvent(m: NfMessage): NftEvent | undefined {
  if (m.type >> 8 !== U.NFNL_SUBSYS_NFTABLES) return undefined;
  const cmd = m.type & 0xff;
  switch (cmd) {
    case U.NFT_MSG_NEWTABLE: case U.NFT_MSG_DELTABLE:
      return { type: cmd === U.NFT_MSG_NEWTABLE ? 'new' : 'delete', kind: 'table', table: decodeTable(m) };
    case U.NFT_MSG_NEWCHAIN: case U.NFT_MSG_DELCHAIN:
      return { type: cmd === U.NFT_MSG_NEWCHAIN ? 'new' : 'delete', kind: 'chain', chain: decodeChain(m) };
    case U.NFT_MSG_NEWRULE: case U.NFT_MSG_DELRULE:
      return { type: cmd === U.NFT_MSG_NEWRULE ? 'new' : 'delete', kind: 'rule', rule: decodeRule(m) };
    case U.NFT_MSG_NEWSET: case U.NFT_MSG_DELSET:
      return { type: cmd === U.NFT_MSG_NEWSET ? 'new' : 'delete', kind: 'set', set: decodeSet(m) };
    case U.NFT_MSG_NEWSETELEM: case U.NFT_MSG_DELSETELEM:
      return { type: cmd === U.NFT_MSG_NEWSETELEM ? 'new' : 'delete', kind: 'element', ...decodeElements(m, () => undefined) };
    case U.NFT_MSG_NEWOBJ: case U.NFT_MSG_DELOBJ:
      return { type: cmd === U.NFT_MSG_NEWOBJ ? 'new' : 'delete', kind: 'object', object: decodeObject(m) };
    case U.NFT_MSG_NEWFLOWTABLE: case U.NFT_MSG_DELFLOWTABLE:
      return { type: cmd === U.NFT_MSG_NEWFLOWTABLE ? 'new' : 'delete', kind: 'flowtable', flowtable: decodeFlowtable(m) };
    case U.NFT_MSG_NEWGEN: {
      const a = messageAttrs(m);
      const e: NftEvent = { type: 'generation', id: a[U.NFTA_GEN_ID] ? be32(a[U.NFTA_GEN_ID], 'generation') : 0 };
      if (a[U.NFTA_GEN_PROC_PID]) e.pid = be32(a[U.NFTA_GEN_PROC_PID], 'pid');
      if (a[U.NFTA_GEN_PROC_NAME]) e.process = a[U.NFTA_GEN_PROC_NAME].toString('utf8').replace(/\0+$/, '');
      return e;
    }
    default:
      return undefined;
  }
}

/** Decodes concatenated multicast messages into events (unknown ones are skipped). */
export function decodeEvents(data: Buffer): NftEvent[] {
  const out: NftEvent[] = [];
  for (const m of messages(data)) {
    const e = decodeEvent(m);
    if (e !== undefined) out.push(e);
  }
  return out;
}

/** Options of {@link Nftables.monitor}. */
export interface MonitorOptions {
  /** Stops the monitor when aborted; a next() then pending rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Keep the process alive while the monitor is open (default false: like
   * an unref'd socket, an idle monitor alone does not hold the process).
   * See also {@link NftMonitor.ref}.
   */
  ref?: boolean;
}

// Events waiting to be read beyond this are dropped for one 'lost' (as the
// kernel drops them when the socket's buffer is full).
const MAX_QUEUED = 65536;

/**
 * The events of one NFNLGRP_NFTABLES subscription, as an async iterator.
 * Subscribed before {@link Nftables.monitor} returns. Ends (next() resolves
 * `done`) on return(), a `break` out of `for await`, close(), or the close
 * of the Nftables handle that made it; an aborted signal rejects the pending
 * next() with the signal's reason. Uses no thread: the socket is watched on
 * the event loop, so it never holds up `process.exit()`.
 */
export class NftMonitor implements AsyncIterableIterator<NftEvent> {
  #native: NativeHandle | undefined;
  readonly #queue: NftEvent[] = [];
  readonly #waiting: { resolve: (r: IteratorResult<NftEvent, undefined>) => void; reject: (e: unknown) => void }[] = [];
  #failure: { error: unknown } | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.#end({ error: this.#signal!.reason });
  readonly #onClose: (m: NftMonitor) => void;

  /** @internal Made by Nftables.monitor(). */
  constructor(native: NativeHandle, options: MonitorOptions, onClose: (m: NftMonitor) => void) {
    this.#native = native;
    this.#onClose = onClose;
    this.#signal = options.signal;
    native.watch((data, lost, errno) => this.#receive(data, lost, errno));
    if (options.ref === true) native.watchRef(true);
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** True once the monitor has ended. */
  get closed(): boolean {
    return this.#native === undefined;
  }

  /** Keeps the process alive while the monitor is open. */
  ref(): this {
    this.#native?.watchRef(true);
    return this;
  }

  /** Lets the process exit while the monitor is open (the default). */
  unref(): this {
    this.#native?.watchRef(false);
    return this;
  }

  /** The next event; `done` once the monitor has ended and its queued events were read. */
  next(): Promise<IteratorResult<NftEvent, undefined>> {
    const e = this.#queue.shift();
    if (e !== undefined) return Promise.resolve({ value: e, done: false });
    if (this.#failure !== undefined) {
      const { error } = this.#failure;
      this.#failure = undefined;
      return Promise.reject(error);
    }
    if (this.#native === undefined) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** Ends the monitor (what `break` calls). */
  async return(): Promise<IteratorResult<NftEvent, undefined>> {
    this.#end();
    this.#queue.length = 0;
    return { value: undefined, done: true };
  }

  /** Ends the monitor: the subscription and its socket go at once. */
  async close(): Promise<void> {
    this.#end();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #receive(data: Buffer, lost: boolean, errno: number): void {
    if (lost) this.#push({ type: 'lost' });
    if (data.length > 0) {
      try {
        for (const e of decodeEvents(data)) this.#push(e);
      } catch (e) {
        this.#end({ error: e });
        return;
      }
    }
    if (errno !== 0) this.#end({ error: new NetlinkError('nft.monitor', { errno, code: errnoName(errno), message: 'netlink receive failed' }) });
  }

  #push(e: NftEvent): void {
    const w = this.#waiting.shift();
    if (w !== undefined) {
      w.resolve({ value: e, done: false });
    } else if (this.#queue.length < MAX_QUEUED) {
      this.#queue.push(e);
    } else if (this.#queue.at(-1)?.type !== 'lost') {
      this.#queue.length = 0;
      this.#queue.push({ type: 'lost' });
    }
  }

  // Closes the socket; waiting next() calls get the failure (the first) or done.
  #end(failure?: { error: unknown }): void {
    const native = this.#native;
    if (native === undefined) return;
    this.#native = undefined;
    native.close();
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#onClose(this);
    const waiting = this.#waiting.splice(0);
    if (failure !== undefined && waiting.length === 0) this.#failure = failure;
    waiting.forEach((w, i) => (failure !== undefined && i === 0 ? w.reject(failure.error) : w.resolve({ value: undefined, done: true })));
  }
}

// "EBADF" for 9 (the names Node knows).
function errnoName(errno: number): string {
  return Object.entries(constants.errno).find(([, v]) => v === errno)?.[0] ?? `E${errno}`;
}
