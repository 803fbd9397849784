// A list+watch informer that keeps going: @kubernetes/client-node's
// ListWatch (list, then watch from the list's resourceVersion; 410 Gone ->
// relist; a stream the server closes -> rewatch), with what 1.4 lacks:
// watch bookmarks, a restart with exponential backoff after any other error
// (1.4's informer just stops), and add/update/delete handlers that receive
// the previous object too.
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { realClock, type Clock, type ClockTimer } from '../clock.js';
import { silentLogger, type ProxyLogger } from '../log.js';

/** Watch with allowWatchBookmarks, and a 410 ERROR event ending the stream (so the ListWatch relists at once). */
class BookmarkWatch extends Watch {
  override async watch(path: string, queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: any, watchObj?: any) => void, done: (err: any) => void): Promise<AbortController> {
    let controller: AbortController | undefined;
    const onEvent = (phase: string, obj: any, watchObj?: any): void => {
      callback(phase, obj, watchObj);
      if (phase === 'ERROR' && obj?.code === 410) controller?.abort();
    };
    controller = await super.watch(path, { ...queryParams, allowWatchBookmarks: true }, onEvent, done);
    return controller;
  }
}

export interface InformerHandlers<T> {
  /** An object appeared (`previous` undefined) or changed. */
  readonly update: (previous: T | undefined, current: T) => void;
  readonly delete: (obj: T) => void;
  /** The first list completed and was delivered (kube-proxy's OnXxxSynced). Called once. */
  readonly synced?: () => void;
}

export interface InformerOptions<T extends KubernetesObject> {
  /** The watch path, e.g. /api/v1/services. */
  readonly path: string;
  readonly list: () => Promise<KubernetesListObject<T>>;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** First restart delay after an error (default 1 s), doubled per failure up to maxBackoffMs (default 30 s). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly log?: ProxyLogger;
  readonly clock?: Clock;
  /** What the log calls this informer ('services'). */
  readonly name?: string;
}

const keyOf = (o: KubernetesObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** One resource's informer, restarted with backoff after errors until stop(). */
export class ResilientInformer<T extends KubernetesObject> {
  readonly #lw: ListWatch<T>;
  readonly #o: InformerOptions<T>;
  readonly #handlers: InformerHandlers<T>;
  readonly #known = new Map<string, T>();
  #synced = false;
  #failures = 0;
  #restart: ClockTimer | undefined;
  #stopped = false;
  /** Lists that succeeded (a relist after 410 counts too). */
  lists = 0;
  /** Restarts after errors. */
  restarts = 0;

  constructor(kc: KubeConfig, opts: InformerOptions<T>, handlers: InformerHandlers<T>) {
    this.#o = opts;
    this.#handlers = handlers;
    const list = async (): Promise<KubernetesListObject<T>> => {
      const result = await opts.list();
      this.lists++;
      this.#failures = 0;
      return result;
    };
    this.#lw = new ListWatch<T>(opts.path, new BookmarkWatch(kc), list, false, opts.labelSelector, opts.fieldSelector);
    this.#lw.on('add', (obj) => this.#onUpdate(obj));
    this.#lw.on('update', (obj) => this.#onUpdate(obj));
    this.#lw.on('delete', (obj) => this.#onDelete(obj));
    this.#lw.on('error', (err) => this.#onError(err));
  }

  /** True once the first list was delivered. */
  get synced(): boolean {
    return this.#synced;
  }

  /** The objects known now. */
  objects(): T[] {
    return [...this.#known.values()];
  }

  #onUpdate(obj: T): void {
    const k = keyOf(obj);
    const previous = this.#known.get(k);
    this.#known.set(k, obj);
    this.#failures = 0;
    this.#handlers.update(previous, obj);
  }

  #onDelete(obj: T): void {
    const k = keyOf(obj);
    const known = this.#known.get(k);
    this.#known.delete(k);
    this.#handlers.delete(known ?? obj);
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

  async #run(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#lw.start();
    } catch (e) {
      // ListWatch reports list and watch failures as 'error' events; anything it throws is retried the same way.
      this.#onError(e);
      return;
    }
    if (!this.#synced && this.lists > 0 && !this.#stopped) {
      this.#synced = true;
      this.#handlers.synced?.();
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
    await this.#lw.stop();
  }
}
