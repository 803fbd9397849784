// When syncs run: kube-proxy's BoundedFrequencyRunner (pkg/util/async),
// with an async function and retry backoff. Requests are coalesced; runs are
// serialized; at most `burst` runs back to back, then one per minInterval
// (a token bucket that refills one token per minInterval); at least one run
// per maxInterval (the periodic resync); after a failed run, a retry after
// a backoff that doubles per consecutive failure up to maxInterval.
import { realClock, type Clock, type ClockTimer } from './clock.js';

/** Why a run happens: asked for (run()), the periodic timer, or a retry after a failure. */
export type RunReason = 'requested' | 'periodic' | 'retry';

export interface RunnerOptions {
  /** Minimum time between runs, modulo bursts (--iptables-min-sync-period). 0: no limit. */
  readonly minIntervalMs: number;
  /** Maximum time between runs (--iptables-sync-period). */
  readonly maxIntervalMs: number;
  /** Runs allowed back to back (kube-proxy uses 2). */
  readonly burst?: number;
  /** First retry delay after a failure (default: minIntervalMs, at least 1 s); doubles per failure up to maxIntervalMs. */
  readonly retryBaseMs?: number;
  readonly clock?: Clock;
}

/** The function a runner runs: resolves true on success; false or a rejection is a failure (retried). */
export type RunFn = (reason: RunReason) => Promise<boolean>;

export class BoundedFrequencyRunner {
  readonly #fn: RunFn;
  readonly #clock: Clock;
  readonly #min: number;
  readonly #max: number;
  readonly #burst: number;
  readonly #retryBase: number;
  #tokens: number;
  #tokensAt: number;
  #timer: ClockTimer | undefined;
  #periodicAt = Infinity;
  #retryAt = Infinity;
  #requested = false;
  #failures = 0;
  #running: Promise<void> | undefined;
  #started = false;
  #stopped = false;

  constructor(fn: RunFn, opts: RunnerOptions) {
    if (!(opts.maxIntervalMs >= opts.minIntervalMs)) throw new RangeError(`maxIntervalMs (${opts.maxIntervalMs}) must be >= minIntervalMs (${opts.minIntervalMs})`);
    this.#fn = fn;
    this.#clock = opts.clock ?? realClock;
    this.#min = opts.minIntervalMs;
    this.#max = opts.maxIntervalMs;
    this.#burst = Math.max(1, opts.burst ?? 2);
    this.#retryBase = opts.retryBaseMs ?? Math.max(1000, this.#min);
    this.#tokens = this.#burst;
    this.#tokensAt = this.#clock.now();
  }

  /** Consecutive failed runs so far (0 after a success). */
  get failures(): number {
    return this.#failures;
  }

  /** Starts the periodic timer (kube-proxy's Loop); runs happen only after start(). */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#periodicAt = this.#clock.now() + this.#max;
    this.#reschedule();
  }

  /** Asks for a run as soon as allowed; requests made before it happens are coalesced into it. */
  run(): void {
    this.#requested = true;
    this.#reschedule();
  }

  /** Makes sure a run happens no later than `ms` from now (it counts as a retry). */
  retryAfter(ms: number): void {
    this.#retryAt = Math.min(this.#retryAt, this.#clock.now() + ms);
    this.#reschedule();
  }

  /** Stops the timers and waits for a run in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#running;
  }

  /** Refills the bucket; returns ms until a token is available (0: one is). */
  #refill(): number {
    if (this.#min === 0) return 0;
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#tokensAt) / this.#min);
    this.#tokensAt = now;
    return this.#tokens >= 1 - 1e-9 ? 0 : Math.ceil((1 - this.#tokens) * this.#min - 1e-6);
  }

  /** Arms the one timer for the earliest due run: a request (when a token allows), a retry, or the periodic one. */
  #reschedule(): void {
    if (!this.#started || this.#stopped || this.#running !== undefined) return;
    const now = this.#clock.now();
    const due = Math.max(now + this.#refill(), Math.min(this.#periodicAt, this.#retryAt, this.#requested ? now : Infinity));
    this.#timer?.cancel();
    this.#timer = this.#clock.setTimer(due - now, () => {
      this.#timer = undefined;
      this.#fire();
    });
  }

  #fire(): void {
    if (this.#stopped || this.#running !== undefined) return;
    const now = this.#clock.now();
    const reason: RunReason | undefined = now >= this.#retryAt ? 'retry' : this.#requested ? 'requested' : now >= this.#periodicAt ? 'periodic' : undefined;
    if (reason === undefined || this.#refill() > 0) {
      this.#reschedule();
      return;
    }
    if (this.#min > 0) this.#tokens -= 1;
    this.#requested = false;
    this.#retryAt = Infinity;
    this.#running = this.#execute(reason);
  }

  async #execute(reason: RunReason): Promise<void> {
    let ok = false;
    try {
      ok = await this.#fn(reason);
    } catch {
      ok = false;
    }
    this.#running = undefined;
    const now = this.#clock.now();
    this.#periodicAt = now + this.#max;
    if (ok) {
      this.#failures = 0;
    } else {
      this.#retryAt = Math.min(this.#retryAt, now + Math.min(this.#max, this.#retryBase * 2 ** this.#failures));
      this.#failures += 1;
    }
    this.#reschedule();
  }
}
