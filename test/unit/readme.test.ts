// The README's examples type-check as written (strict, the project's own
// compiler options), so a user pasting one into a TypeScript project gets
// no errors. That they run is checked in test/host/readme.test.ts and
// test/vm/readme.test.ts.
import assert from 'node:assert/strict';

import { repoReadmeExamples, typecheckExamples } from '../readme-examples.js';

describe('README examples (types)', () => {
  it('every example that runs type-checks with tsc', function () {
    this.timeout(180_000);
    const examples = repoReadmeExamples().filter((e) => e.where === 'host' || e.where === 'vm');
    const r = typecheckExamples(examples);
    assert.ok(r.files >= 10, `${r.files} examples`);
    assert.equal(r.status, 0, r.output.replace(/example-line-/g, 'README.md:'));
  });
});
