// The permanent bad-input suite: every public call with each place of its
// arguments broken by each hostile value (exhaustively), then random
// hostile values and several broken places at once (fast-check). Every
// refusal must be a typed error of ours (never an engine message), values
// that can never be valid must not be accepted, and nothing is sent or
// applied by a refused call: the real handles run with their native sends
// replaced by a counter that refuses them, the Fakes are compared before
// and after.
//
// HOSTILE_REPORT=1 prints the counts instead of failing (how the "before"
// figure of issue 15 was taken on the code before the fixes).
import assert from 'node:assert/strict';
import { inspect } from 'node:util';

import fc from 'fast-check';

import { Conntrack, FakeIpvs, FakeNftables, Genl, Ipvs, Nftables, Rtnl } from '../../src/index.js';
import { CALLS, type Call, type Handles } from '../fixtures/hostile/calls.js';
import { assertStubbed, mutate, newTally, paths, runOne, stubSends, type Mutation, type Tally } from '../fixtures/hostile/sweep.js';
import { anyHostile, HOSTILE } from '../fixtures/hostile/values.js';

const report = process.env.HOSTILE_REPORT === '1';

function print(name: string, t: Tally): void {
  const line = `${name}: ${t.calls} calls; ok ${t.outcomes.ok}, sent ${t.outcomes.sent}, kernel-refused ${t.outcomes.kernel}, ours ${t.outcomes.ours}, ` +
    `engine-message ${t.outcomes.engine}, untyped ${t.outcomes.untyped}; must-refuse accepted ${t.accepted}; half-applied ${t.halfApplied}`;
  console.log(`      ${line}`);
  if (report) for (const e of t.examples.slice(0, Number(process.env.HOSTILE_EXAMPLES ?? 40))) console.log(`        ${e}`);
}

function mutations(call: Call): Mutation[] {
  const out: Mutation[] = [];
  for (const path of paths(call.args())) {
    for (const value of HOSTILE) out.push({ path, how: 'set', value });
    out.push({ path, how: 'delete' });
    if (typeof path[path.length - 1] === 'number' && path.length > 1) out.push({ path, how: 'hole' });
  }
  return out;
}

describe('hostile input: every public call, every place, every hostile value', function () {
  this.timeout(300_000);
  const counter = { sends: 0 };
  let unstub: () => void;
  let real: Handles;
  const fakeNft = new FakeNftables();
  const fakeIpvs = new FakeIpvs();
  const fakes: Handles = { nft: fakeNft, ipvs: fakeIpvs };

  before(async () => {
    // Sends are refused from the start: nothing here may reach the kernel of the namespace the suite runs in.
    unstub = stubSends(counter);
    real = { nft: await Nftables.open(), ipvs: await Ipvs.open(), rtnl: await Rtnl.open(), ct: await Conntrack.open(), genl: await Genl.open() };
    await assertStubbed(real, counter);
  });
  after(async () => {
    unstub();
    for (const x of [real.nft, real.ipvs, real.rtnl, real.ct, real.genl]) await x?.close();
  });

  // What a Fake holds: FakeNftables' generation, FakeIpvs' services and how many ops it executed (not counting the list() itself).
  const snapFake = (target: Call['target']) => async (): Promise<string | undefined> => {
    // A FakeNftables commit replaces its whole state or nothing, and every commit that applies moves the generation.
    if (target === 'nft') return `generation ${await fakeNft.generation()}`;
    if (target !== 'ipvs') return undefined;
    const n = fakeIpvs.log.length;
    const list = inspect(await fakeIpvs.list(), { depth: 9 });
    fakeIpvs.log.length = n;
    return `${n} ${list}`;
  };

  async function sweep(on: 'real' | 'fake'): Promise<Tally> {
    const tally = newTally();
    for (const call of CALLS) {
      if (on === 'fake' && ((call.target !== 'nft' && call.target !== 'ipvs') || call.realOnly === true)) continue;
      for (const m of mutations(call)) {
        await runOne(call, m, on === 'real' ? real : fakes, tally, counter,
          on === 'real' ? async () => undefined : snapFake(call.target));
      }
    }
    return tally;
  }

  for (const on of ['real', 'fake'] as const) {
    it(`${on === 'real' ? 'Nftables, Ipvs, Rtnl, Conntrack, Genl and the builders (sends refused and counted)' : 'FakeNftables and FakeIpvs'}: exhaustive`, async () => {
      const t = await sweep(on);
      print(on, t);
      if (report) return;
      assert.deepEqual(t.examples, [], `${t.examples.length} failures`);
      assert.ok(t.calls > 1000);
    });
  }

  it('random hostile values, several places at once (fast-check)', async () => {
    const tally = newTally();
    const arb = fc.record({
      call: fc.constantFrom(...CALLS),
      fake: fc.boolean(),
      picks: fc.array(fc.record({ at: fc.nat(), value: anyHostile, how: fc.constantFrom('set', 'set', 'set', 'delete', 'hole') }), { minLength: 1, maxLength: 3 }),
    });
    await fc.assert(fc.asyncProperty(arb, async ({ call, fake, picks }) => {
      const useFake = fake && (call.target === 'nft' || call.target === 'ipvs') && call.realOnly !== true;
      const all = paths(call.args());
      // The first pick is checked as a single mutation; later picks break more places of the same call.
      const muts: Mutation[] = picks.map((p) => {
        const path = all[p.at % all.length]!;
        return p.how === 'set' ? { path, how: 'set', value: p.value } : { path, how: p.how === 'hole' && typeof path[path.length - 1] === 'number' && path.length > 1 ? 'hole' : 'delete' };
      });
      // Other places only, not above or below the checked one (which would undo it).
      const first = muts[0]!.path.join('.');
      const others = muts.slice(1).filter((m) => { const p = m.path.join('.'); return !first.startsWith(p) && !p.startsWith(first); });
      const multi: Call = others.length === 0 ? call : { ...call, valid: call.args, args: () => others.reduce(mutate, call.args()) };
      const failure = await runOne(multi, muts[0]!, useFake ? fakes : real, tally, counter,
        useFake ? snapFake(call.target) : async () => undefined);
      return report || failure === undefined;
    }), { numRuns: Number(process.env.HOSTILE_RUNS ?? 3000), seed: Number(process.env.HOSTILE_SEED ?? 15) });
    print('fast-check', tally);
  });
});
