// The bad-input sweep against the real kernel: a sample of the unit sweep's
// broken calls (random places, random hostile values: fast-check) on real
// handles in a fresh netns that holds a table, links, addresses and
// conntrack entries. Every refusal is a typed error of ours, and a call that
// is refused leaves the namespace as it was, as `nft list ruleset`,
// `ip -j addr` and `conntrack -L` show it.
import assert from 'node:assert/strict';

import fc from 'fast-check';

import { Conntrack, Genl, Ipvs, Nftables, Rtnl } from '../../src/index.js';
import { CALLS, type Call, type Handles } from '../fixtures/hostile/calls.js';
import { mutate, mustRefuse, paths, at, type Mutation } from '../fixtures/hostile/sweep.js';
import { anyHostile, classify, type Outcome } from '../fixtures/hostile/values.js';
import { makeNetns, sh } from '../helpers.js';

// HOSTILE_REPORT=1 counts instead of failing (for a figure on older code).
const report = process.env.HOSTILE_REPORT === '1';

describe('hostile input against the real kernel (fresh netns)', function () {
  this.timeout(600_000);
  let ns: ReturnType<typeof makeNetns>;
  let h: Handles;

  // What the namespace holds, as the tools show it.
  const state = (): string => [
    sh('ip', ['netns', 'exec', ns.name, 'nft', 'list', 'ruleset']),
    sh('ip', ['-n', ns.name, '-j', 'addr']),
    // Entries without their timeouts, which count down.
    sh('ip', ['netns', 'exec', ns.name, 'conntrack', '-L']).replace(/^(\S+\s+\d+\s+)\d+/gm, '$1T'),
  ].join('\n');

  before(async () => {
    ns = makeNetns();
    sh('ip', ['netns', 'exec', ns.name, 'nft', 'add table ip t; add chain ip t c; add chain ip t c2; add set ip t s { type ipv4_addr; }']);
    sh('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up']);
    for (const [src, dst] of [['10.244.1.5', '10.0.0.9'], ['10.96.0.10', '10.244.1.5']]) {
      sh('ip', ['netns', 'exec', ns.name, 'conntrack', '-I', '-p', 'udp', '-s', src!, '-d', dst!, '--sport', '5353', '--dport', '53', '-t', '600']);
    }
    const netns = ns.name;
    h = { nft: await Nftables.open({ netns }), ipvs: await Ipvs.open({ netns }), rtnl: await Rtnl.open({ netns }),
      ct: await Conntrack.open({ netns }), genl: await Genl.open({ netns }) };
  });
  after(async () => {
    for (const x of [h?.nft, h?.ipvs, h?.rtnl, h?.ct, h?.genl]) await x?.close();
    ns?.remove();
  });

  it('random broken calls: typed errors only, and a refused call changes nothing', async () => {
    // addVeth's peer would go to pid 1's namespace: here it goes nowhere else than the test's own.
    const calls: Call[] = CALLS.map((c) => (c.name !== 'rtnl.addVeth' ? c : { ...c, args: () => ['v0', 'v1', { mtu: 1500, up: false, peerNetns: ns.name }] }));
    const counts: Record<Outcome, number> = { ok: 0, sent: 0, kernel: 0, ours: 0, engine: 0, untyped: 0 };
    let current = state();
    let changedOnRefusal = 0;
    let accepted = 0;
    await fc.assert(fc.asyncProperty(fc.constantFrom(...calls), fc.nat(), anyHostile, fc.constantFrom('set', 'set', 'delete'),
      async (call, pick, value, how) => {
        const all = paths(call.args());
        const path = all[pick % all.length]!;
        const m: Mutation = how === 'set' ? { path, how, value } : { path, how: 'delete' };
        const e = await Promise.resolve().then(() => call.run(h, mutate(call.args(), m))).then(() => undefined, (x: unknown) => x ?? new Error('undefined thrown'));
        const outcome = classify(e);
        counts[outcome]++;
        const what = `${call.name} ${path.join('.')} ${how === 'set' ? value.label : how}: ${String(e)}`;
        const refuse = mustRefuse(call, m, at(call.args(), path));
        if (refuse !== undefined && outcome !== 'ours') accepted++;
        if (!report) {
          assert.ok(outcome !== 'engine' && outcome !== 'untyped', what);
          assert.ok(refuse === undefined || outcome === 'ours', `${what} (${refuse})`);
        }
        if (outcome === 'ours' || outcome === 'engine' || outcome === 'untyped') {
          const now = state();
          if (now !== current) changedOnRefusal++;
          if (!report) assert.equal(now, current, `${what}: the namespace changed`);
          current = now;
        } else {
          current = state();
        }
        return true;
      }), { numRuns: Number(process.env.HOSTILE_HOST_RUNS ?? 250), seed: Number(process.env.HOSTILE_SEED ?? 15) });
    console.log(`      ${Object.values(counts).reduce((a, b) => a + b, 0)} calls: ${JSON.stringify(counts)}; must-refuse accepted ${accepted}; changed on refusal ${changedOnRefusal}`);
    assert.ok(counts.ours > 100);
  });
});
