// `npm run demo` as a user runs it (test/fixtures/demo.ts): its printed
// outcome (who answered each Service before and after a pod is deleted) is
// checked, and nothing may be left behind afterwards. Also interrupted
// midway (Ctrl-C to the process group, SIGTERM to the demo), run without
// root, and asked for IPVS mode on a kernel without IPVS. IPVS mode itself
// runs in the vm suite (test/vm/demo-ipvs.test.ts).
import assert from 'node:assert/strict';

import { leftovers, PODS, pods, rounds, runDemo } from '../fixtures/demo.js';
import { sh } from '../helpers.js';

/** Does this kernel have IPVS? ipvsadm (which loads ip_vs if it can) answers. */
function kernelHasIpvs(): boolean {
  try {
    sh('ipvsadm', ['-Ln']);
    return true;
  } catch {
    return false;
  }
}

describe('npm run demo', function () {
  this.timeout(120_000);

  it('spreads the twin over the three pods, keeps nginx-service on one, moves both off the deleted pod, exits 0 and leaves nothing', async () => {
    const r = await runDemo([], { npm: true });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const [before, after, more] = rounds(r.stdout);
    assert.ok(before !== undefined && after !== undefined && more === undefined, r.stdout);
    // Before: the twin reached every pod (30 random picks miss one of 3 with odds of 1 in 60,000).
    assert.deepEqual(pods(before.get('nginx-no-affinity')), PODS, r.stdout);
    // nginx-service: all 10 connections to one pod, and that is the pod deleted.
    const [stuck, ...others] = pods(before.get('nginx-service'));
    assert.ok(stuck !== undefined && others.length === 0, r.stdout);
    assert.match(r.stdout, new RegExp(`delete pod ${stuck}\\n`));
    const left = PODS.filter((p) => p !== stuck);
    // After: the twin spreads over the two pods left; nginx-service sticks to one of them.
    assert.deepEqual(pods(after.get('nginx-no-affinity')), left, r.stdout);
    const stuckAfter = pods(after.get('nginx-service'));
    assert.equal(stuckAfter.length, 1, r.stdout);
    assert.ok(left.includes(stuckAfter[0]!), r.stdout);
    // It showed the ruleset: the sticky service's chain with its affinity sets, the twin's endpoint map.
    assert.match(r.stdout, /chain service-default\/nginx-service\/tcp\/http \{\n.*\n.*update @affinity-default\/nginx-service\/tcp\/http__/);
    assert.match(r.stdout, /map service-default\/nginx-no-affinity\/tcp\/http \{[^}]*elements = \{ 0 : 10\.244\.1\.\d+ \. 80, 1 : /);
    assert.deepEqual(leftovers(r.pid, r.stdout), []);
  });

  it('Ctrl-C (SIGINT to the process group) once the proxy runs: stops, removes everything, exits 130', async () => {
    const r = await runDemo([], { npm: true, onLine: (l, signal) => { if (/first full sync was done/.test(l)) signal('SIGINT', true); } });
    assert.match(r.stdout, /SIGINT: stopping/, r.stdout);
    assert.doesNotMatch(r.stdout, /FAILED/);
    assert.equal(r.code, 130, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(leftovers(r.pid, r.stdout), []);
  });

  it('Ctrl-C while kubectl deletes the pod (kubectl, the proxy and the cluster all busy): stops, removes everything, exits 130', async () => {
    const r = await runDemo([], { npm: true, onLine: (l, signal) => { if (/ delete pod nginx-\d$/.test(l)) signal('SIGINT', true); } });
    assert.match(r.stdout, /delete pod nginx-\d\n(.*\n)*.*SIGINT: stopping/, r.stdout);
    assert.doesNotMatch(r.stdout, /FAILED/);
    assert.equal(r.code, 130, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(leftovers(r.pid, r.stdout), []);
  });

  it('SIGTERM to the demo while the pods are being created: stops, removes everything, exits 143', async () => {
    const r = await runDemo([], { onLine: (l, signal) => { if (/dpdemo-\d+-node +the node/.test(l)) signal('SIGTERM', false); } });
    assert.match(r.stdout, /SIGTERM: stopping/, r.stdout);
    assert.equal(r.code, 143, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(leftovers(r.pid, r.stdout), []);
  });

  it('without root: says it needs root and how, exits 2, creates nothing', async () => {
    const r = await runDemo([], { user: 65534 });
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /needs:\n- root: .*sudo npm run demo/);
    assert.deepEqual(leftovers(r.pid, r.stdout), []);
  });

  it('--proxy-mode=ipvs on a kernel without IPVS: says it needs one and how to boot one (the VM harness), exits 2, creates nothing', async function () {
    if (kernelHasIpvs()) this.skip(); // the vm suite runs the demo in IPVS mode
    const r = await runDemo(['--proxy-mode=ipvs']);
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /--proxy-mode=ipvs needs:\n- a kernel with IPVS \(ip_vs\): this one has none\..*\n.*: bash scripts\/vm\/run\.sh npm run demo -- --proxy-mode=ipvs\n$/);
    assert.deepEqual(leftovers(r.pid, r.stdout), []);
  });

  it('--proxy-mode=iptables: the same story through statistic and recent rules, shown as iptables-legacy-save prints them; leaves nothing', async () => {
    const r = await runDemo(['--proxy-mode=iptables'], { npm: true });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const [before, after] = rounds(r.stdout);
    assert.ok(before !== undefined && after !== undefined, r.stdout);
    assert.deepEqual(pods(before.get('nginx-no-affinity')), PODS, r.stdout);
    const [stuck, ...others] = pods(before.get('nginx-service'));
    assert.ok(stuck !== undefined && others.length === 0, r.stdout);
    assert.deepEqual(pods(after.get('nginx-no-affinity')), PODS.filter((p) => p !== stuck), r.stdout);
    assert.equal(pods(after.get('nginx-service')).length, 1, r.stdout);
    assert.match(r.stdout, /-A DP-SVC-\w+ -m comment --comment "default\/nginx-no-affinity:http -> [\d.:]+" -m statistic --mode random --probability 0\.33333333349 -j DP-SEP-/);
    assert.match(r.stdout, /-m recent --rcheck --seconds 50 --reap --name DP-SEP-\w+ --mask 255\.255\.255\.255 --rsource -j DP-SEP-/);
    assert.match(r.stdout, /Right now: 192\.168\.\d+\.\d+ -> nginx-\d \(in the list DP-SEP-\w+\)/);
    assert.deepEqual(leftovers(r.pid, r.stdout), []);
  });
});
