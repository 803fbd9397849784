// A list+watch informer that keeps going, with a thin cache of its own
// (client-node's ListWatch keeps every whole object it sees, and lists in
// one request): list in pages (limit/continue, 500 objects a page as
// client-go's reflector), then watch from the list's resourceVersion with
// bookmarks; 410 Gone -> relist (objects gone meanwhile are deleted); a
// stream the server closes -> rewatch; any other error -> restart with
// exponential backoff. Handlers receive each object as `slim` makes it
// (only what the proxy reads) and the previous one; the cache keeps what
// `keep` leaves of it.
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { listConnection, listRaw, Watch } from './k8s.js';
import { realClock, type Clock, type ClockTimer } from '../clock.js';
import { silentLogger, type ProxyLogger } from '../log.js';

export interface InformerHandlers<T> {
  /** An object appeared (`previous` undefined) or changed. */
  readonly update: (previous: T | undefined, current: T) => void;
  readonly delete: (obj: T) => void;
  /** The first list completed and was delivered (kube-proxy's OnXxxSynced). Called once. */
  readonly synced?: () => void;
}

/** One list request's page parameters (client-node's list calls take them as they are). */
export interface ListPage {
  readonly limit: number;
  readonly _continue?: string;
}

export interface InformerOptions<T extends Named> {
  /** The watch path, e.g. /api/v1/services. */
  readonly path: string;
  /**
   * One page of the list (`kubectl get --chunk-size`). Default: a GET of
   * `path` with the selectors, as JSON (objects as the watch hands them).
   */
  readonly list?: (page: ListPage) => Promise<KubernetesListObject<KubernetesObject>>;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Objects per list request (default 500). */
  readonly pageSize?: number;
  /** What handlers get of each listed or watched object (default: the object as it came). */
  readonly slim?: (obj: KubernetesObject) => T;
  /** What the cache keeps of an object once delivered, handed back as `previous` and to delete (default: all of it). */
  readonly keep?: (obj: T) => T;
  /** First restart delay after an error (default 1 s), doubled per failure up to maxBackoffMs (default 30 s). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly log?: ProxyLogger;
  readonly clock?: Clock;
  /** What the log calls this informer ('services'). */
  readonly name?: string;
}

/** What the informer reads of an object it keeps. */
export interface Named {
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly resourceVersion?: string };
}

// join: one flat string per cached object (a template literal keeps its pieces).
const keyOf = (o: Named): string => [o.metadata?.namespace ?? '', o.metadata?.name ?? ''].join('/');
const isGone = (e: unknown): boolean => (e as { statusCode?: number; code?: number } | null)?.statusCode === 410 || (e as { code?: number } | null)?.code === 410;

/** One resource's informer, restarted with backoff after errors until stop(). */
export class ResilientInformer<T extends Named> {
  readonly #kc: KubeConfig;
  readonly #o: InformerOptions<T>;
  readonly #handlers: InformerHandlers<T>;
  readonly #known = new Map<string, T>();
  /** The resourceVersion to watch from ('' : list first). */
  #rv = '';
  #watch: AbortController | undefined;
  #synced = false;
  #failures = 0;
  #restart: ClockTimer | undefined;
  #stopped = false;
  /** Lists that completed (a relist after 410 counts too). */
  lists = 0;
  /** Restarts after errors. */
  restarts = 0;

  constructor(kc: KubeConfig, opts: InformerOptions<T>, handlers: InformerHandlers<T>) {
    this.#kc = kc;
    this.#o = opts;
    this.#handlers = handlers;
  }

  /** True once the first list was delivered. */
  get synced(): boolean {
    return this.#synced;
  }

  /** The objects known now, as the cache keeps them. */
  objects(): T[] {
    return [...this.#known.values()];
  }

  #deliver(raw: KubernetesObject): string {
    const obj = this.#o.slim !== undefined ? this.#o.slim(raw) : raw as T;
    const k = keyOf(obj);
    const previous = this.#known.get(k);
    const rv = obj.metadata?.resourceVersion;
    // A relist hands back objects that did not change: nothing to tell.
    if (previous !== undefined && rv !== undefined && previous.metadata?.resourceVersion === rv) return k;
    this.#known.set(k, this.#o.keep !== undefined ? this.#o.keep(obj) : obj);
    this.#handlers.update(previous, obj);
    return k;
  }

  #onEvent(phase: string, raw: any): void {
    if (phase === 'ERROR') {
      // 410: the resourceVersion is gone; end this stream, relist.
      if (raw?.code === 410) {
        this.#rv = '';
        this.#watch?.abort();
      }
      return;
    }
    if (phase === 'ADDED' || phase === 'MODIFIED') this.#deliver(raw as KubernetesObject);
    else if (phase === 'DELETED') {
      const k = keyOf(raw as KubernetesObject);
      const known = this.#known.get(k);
      if (known !== undefined) {
        this.#known.delete(k);
        this.#handlers.delete(known);
      }
    }
    this.#failures = 0;
    this.#rv = raw?.metadata?.resourceVersion ?? this.#rv;
  }

  /** Lists page by page, delivering as it goes; then deletes what the list no longer has. */
  async #list(): Promise<void> {
    const seen = new Set<string>();
    const list = this.#o.list ?? await this.#rawLister();
    let page: KubernetesListObject<KubernetesObject> | undefined;
    let _continue: string | undefined;
    do {
      page = await list({ limit: this.#o.pageSize ?? 500, ...(_continue !== undefined ? { _continue } : {}) });
      if (this.#stopped) return;
      for (const item of page.items ?? []) seen.add(this.#deliver(item));
      // A typed list names it _continue, the JSON continue.
      const meta = page.metadata as { _continue?: string; continue?: string } | undefined;
      _continue = meta?._continue || meta?.continue || undefined;
    } while (_continue !== undefined);
    for (const [k, obj] of this.#known) {
      if (seen.has(k)) continue;
      this.#known.delete(k);
      this.#handlers.delete(obj);
    }
    this.#rv = page.metadata?.resourceVersion ?? '';
    this.lists++;
    this.#failures = 0;
  }

  /** The default list: plain GETs of the watched path, one connection setup per list. */
  async #rawLister(): Promise<(page: ListPage) => Promise<KubernetesListObject<KubernetesObject>>> {
    const conn = await listConnection(this.#kc);
    const { path, labelSelector, fieldSelector } = this.#o;
    return (page) => listRaw(conn, path, { limit: page.limit, continue: page._continue, labelSelector, fieldSelector });
  }

  #onError(err: unknown): void {
    if (this.#stopped) return;
    const base = this.#o.backoffMs ?? 1000;
    const delay = Math.min(this.#o.maxBackoffMs ?? 30_000, base * 2 ** this.#failures);
    this.#failures++;
    this.restarts++;
    const e = err as { statusCode?: number; message?: string; code?: string };
    (this.#o.log ?? silentLogger).warn({ informer: this.#o.name ?? this.#o.path, err: e?.message ?? String(err), status: e?.statusCode, retryInMs: delay },
      'Watch failed; restarting');
    this.#restart?.cancel();
    this.#restart = (this.#o.clock ?? realClock).setTimer(delay, () => {
      this.#restart = undefined;
      void this.#run();
    });
  }

  /** The watch ended: rewatch (relist if its resourceVersion is gone), or back off after an error. */
  #onDone(err: unknown): void {
    this.#watch = undefined;
    if (this.#stopped) return;
    if (err !== null && err !== undefined && !isGone(err) && this.#rv !== '') return this.#onError(err);
    if (isGone(err)) this.#rv = '';
    void this.#run();
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    try {
      if (this.#rv === '') await this.#list();
      if (this.#stopped) return;
      if (!this.#synced) {
        this.#synced = true;
        this.#handlers.synced?.();
      }
      const params = { resourceVersion: this.#rv, allowWatchBookmarks: true, labelSelector: this.#o.labelSelector, fieldSelector: this.#o.fieldSelector };
      this.#watch = await new Watch(this.#kc).watch(this.#o.path, params, (phase, obj) => this.#onEvent(phase, obj), (err) => this.#onDone(err));
      if (this.#stopped) this.#watch.abort();
    } catch (e) {
      this.#onError(e);
    }
  }

  /** Lists and starts watching; resolves after the first attempt (synced tells whether it listed). */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#restart?.cancel();
    this.#watch?.abort();
  }
}
