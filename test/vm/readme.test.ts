// The README examples marked `<!-- example: vm ... -->` (they need IPVS,
// dummy links or flowtables, which the host kernel lacks), run as written
// inside the VM's Debian kernel (see test/readme-examples.ts).
// Each is a node process of its own: under TCG on a loaded 2-core host one
// took 104 s (load average 18), hence the generous limit.
import assert from 'node:assert/strict';

import { repoReadmeExamples, runExample } from '../readme-examples.js';

describe('README examples (vm)', function () {
  const examples = repoReadmeExamples().filter((e) => e.where === 'vm');

  it('each example that needs the VM says what for; the IPVS, dummy-link and flowtable ones are here', () => {
    for (const e of examples) assert.match(e.note, /^\(.+\)$/, `README.md:${e.line}`);
    for (const need of ['(dummy links)', '(IPVS)', '(flowtables)']) assert.ok(examples.some((e) => e.note === need), need);
  });

  for (const example of examples) {
    it(`README.md:${example.line} (${example.heading}) runs as written`, function () {
      this.timeout(330_000);
      const r = runExample(example, 300_000);
      assert.ok(!r.timedOut, `still running after 300 s\n${r.stdout}${r.stderr}`);
      assert.equal(r.status, 0, `exit ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
    });
  }
});
