// The bounded-frequency runner on a fake clock: kube-proxy's
// bounded_frequency_runner_test.go facts (coalescing, min interval with
// bursts, the periodic max interval, retries), plus our failure backoff.
import assert from 'node:assert/strict';

import { FakeClock } from '../../src/proxy/clock.js';
import { BoundedFrequencyRunner, type RunReason } from '../../src/proxy/runner.js';

interface Log {
  runs: { at: number; reason: RunReason }[];
}

function make(o: { min: number; max: number; burst?: number; fail?: () => boolean; durationMs?: number; retryBaseMs?: number }) {
  const clock = new FakeClock(0);
  const log: Log = { runs: [] };
  const runner = new BoundedFrequencyRunner(async (reason) => {
    log.runs.push({ at: clock.now(), reason });
    if (o.durationMs !== undefined) await new Promise<void>((r) => clock.setTimer(o.durationMs!, r));
    return !(o.fail?.() ?? false);
  }, { minIntervalMs: o.min, maxIntervalMs: o.max, burst: o.burst ?? 1, clock, ...(o.retryBaseMs !== undefined ? { retryBaseMs: o.retryBaseMs } : {}) });
  return { clock, log, runner, at: () => log.runs.map((r) => r.at) };
}

describe('proxy: BoundedFrequencyRunner', () => {
  it('does nothing before start(), then runs periodically every maxInterval', async () => {
    const { clock, runner, log } = make({ min: 1000, max: 10_000 });
    runner.run();
    await clock.advance(5000);
    assert.equal(log.runs.length, 0);
    runner.start();
    await clock.advance(0);
    assert.deepEqual(log.runs, [{ at: 5000, reason: 'requested' }]);
    await clock.advance(25_000);
    assert.deepEqual(log.runs.map((r) => [r.at, r.reason]), [[5000, 'requested'], [15_000, 'periodic'], [25_000, 'periodic']]);
  });

  it('coalesces requests and keeps at least minInterval between runs (burst 1)', async () => {
    const { clock, runner, at } = make({ min: 1000, max: 10_000 });
    runner.start();
    runner.run();
    await clock.advance(0);
    assert.deepEqual(at(), [0]);
    // Three requests inside the min interval: one run, when the interval is over.
    await clock.advance(100); runner.run();
    await clock.advance(100); runner.run();
    await clock.advance(100); runner.run();
    await clock.advance(699);
    assert.deepEqual(at(), [0]);
    await clock.advance(1);
    assert.deepEqual(at(), [0, 1000]);
    await clock.advance(5000);
    assert.deepEqual(at(), [0, 1000], 'nothing requested: no run until the periodic one');
  });

  it('allows `burst` runs back to back, then one per minInterval as tokens refill', async () => {
    const { clock, runner, at } = make({ min: 1000, max: 60_000, burst: 2 });
    runner.start();
    for (let i = 0; i < 4; i++) {
      runner.run();
      await clock.advance(1);
    }
    // Two immediate runs (t=0, t=1), then the third waits for a token: 1 s after the bucket emptied.
    assert.deepEqual(at(), [0, 1]);
    await clock.advance(2000);
    assert.deepEqual(at().slice(0, 3), [0, 1, 1000]);
  });

  it('minInterval 0: every request runs at once', async () => {
    const { clock, runner, at } = make({ min: 0, max: 10_000 });
    runner.start();
    for (let i = 0; i < 3; i++) {
      runner.run();
      await clock.advance(1);
    }
    assert.deepEqual(at(), [0, 1, 2]);
  });

  it('runs are serialized: a request during a run runs after it', async () => {
    const { clock, runner, at } = make({ min: 0, max: 100_000, durationMs: 500 });
    runner.start();
    runner.run();
    await clock.advance(100);
    runner.run();
    runner.run();
    await clock.advance(100);
    assert.deepEqual(at(), [0]);
    await clock.advance(300);
    assert.deepEqual(at(), [0, 500]);
    await clock.advance(2000);
    assert.deepEqual(at(), [0, 500], 'the two requests were one');
  });

  it('retries a failed run with a backoff that doubles up to maxInterval, and resets after a success', async () => {
    let failing = 3;
    const { clock, runner, log } = make({ min: 100, max: 10_000, retryBaseMs: 1000, fail: () => failing-- > 0 });
    runner.start();
    runner.run();
    await clock.advance(20_000);
    assert.deepEqual(log.runs.slice(0, 5).map((r) => [r.at, r.reason]), [[0, 'requested'], [1000, 'retry'], [3000, 'retry'], [7000, 'retry'], [17_000, 'periodic']]);
    assert.equal(runner.failures, 0);
  });

  it('the backoff is capped at maxInterval', async () => {
    const { clock, runner, at } = make({ min: 0, max: 3000, retryBaseMs: 1000, fail: () => true });
    runner.start();
    runner.run();
    await clock.advance(12_000);
    assert.deepEqual(at(), [0, 1000, 3000, 6000, 9000, 12_000]);
    assert.equal(runner.failures, 6);
  });

  it('retryAfter() brings the next run forward (and counts as a retry)', async () => {
    const { clock, runner, log } = make({ min: 0, max: 60_000 });
    runner.start();
    runner.retryAfter(2500);
    await clock.advance(3000);
    assert.deepEqual(log.runs, [{ at: 2500, reason: 'retry' }]);
  });

  it('stop() cancels the timers and waits for the run in progress', async () => {
    const { clock, runner, log } = make({ min: 0, max: 1000, durationMs: 200 });
    runner.start();
    runner.run();
    await clock.advance(50);
    const stopped = runner.stop();
    await clock.advance(200);
    await stopped;
    await clock.advance(10_000);
    assert.equal(log.runs.length, 1);
    assert.equal(clock.pendingTimers, 0);
  });

  it('rejects maxInterval < minInterval', () => {
    assert.throws(() => new BoundedFrequencyRunner(async () => true, { minIntervalMs: 10, maxIntervalMs: 5 }), RangeError);
  });
});
