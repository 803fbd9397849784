// `npm run demo -- --proxy-mode=ipvs` under the IPVS kernel, as the demo
// tells users to run it on a host without IPVS (scripts/vm/run.sh). The
// twin is spread exactly round robin (rr), nginx-service keeps the client on
// one pod through a persistence template, both move off the deleted pod,
// and nothing is left behind (test/fixtures/demo.ts).
import assert from 'node:assert/strict';

import { leftovers, PODS, pods, rounds, runDemo } from '../fixtures/demo.js';

describe('npm run demo -- --proxy-mode=ipvs', function () {
  // Under TCG the proxy alone takes up to a minute or more to start.
  this.timeout(600_000);

  it('spreads the twin round robin, keeps nginx-service on one pod, moves both off the deleted pod, exits 0 and leaves nothing', async () => {
    const r = await runDemo(['--proxy-mode=ipvs']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const [before, after, more] = rounds(r.stdout);
    assert.ok(before !== undefined && after !== undefined && more === undefined, r.stdout);
    // rr: 30 new connections in a row give each of 3 pods exactly 10, each of 2 exactly 15.
    assert.deepEqual(before.get('nginx-no-affinity'), new Map(PODS.map((p) => [p, 10])), r.stdout);
    const [stuck, ...others] = pods(before.get('nginx-service'));
    assert.ok(stuck !== undefined && others.length === 0, r.stdout);
    assert.match(r.stdout, new RegExp(`delete pod ${stuck}\\n`));
    const left = PODS.filter((p) => p !== stuck);
    assert.deepEqual(after.get('nginx-no-affinity'), new Map(left.map((p) => [p, 15])), r.stdout);
    const stuckAfter = pods(after.get('nginx-service'));
    assert.equal(stuckAfter.length, 1, r.stdout);
    assert.ok(left.includes(stuckAfter[0]!), r.stdout);
    // It showed the IPVS table and the client's persistence template.
    assert.match(r.stdout, /\n +TCP {2}10\.96\.0\.\d+:80 rr persistent 50\n( +-> 10\.244\.1\.\d+:80 +Masq +1 .*\n){3}/);
    assert.match(r.stdout, new RegExp(`Right now: 192\\.168\\.0\\.100 -> ${stuck} \\(the template expires in \\d+ s`));
    assert.match(r.stdout, /had set 10\.244\.1\.\d+ to weight 0 in both virtual servers/);
    assert.deepEqual(leftovers(r.pid, r.stdout), []);
  });
});
