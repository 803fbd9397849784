// Every README example runs as written (see test/readme-examples.ts): the
// ones marked `<!-- example: host -->` here, on the host kernel; the ones
// that need IPVS, dummy links or flowtables in the vm suite. Every ts/js
// block must carry a mark, so no new example escapes.
import assert from 'node:assert/strict';

import { readmeExamples, repoReadmeExamples, runExample, withRepoImports } from '../readme-examples.js';

describe('README examples (host)', function () {
  const examples = repoReadmeExamples();

  it('every ts/js code block says where it runs (<!-- example: host|vm|not run ... -->); most run', () => {
    const unmarked = examples.filter((e) => e.where === undefined).map((e) => `README.md:${e.line}`);
    assert.deepEqual(unmarked, []);
    const notRun = examples.filter((e) => e.where === 'not run');
    for (const e of notRun) assert.match(e.note, /^\(.{20,}\)$/, `README.md:${e.line}: say why it cannot run`);
    assert.ok(notRun.length <= 1, `${notRun.length} examples are not run`);
  });

  it('the extraction and the import mapping do what the runner relies on', () => {
    const md = '# A\n<!-- example: host -->\n```ts\nimport { Rtnl } from \'dataplane\';\nimport("dataplane/testing");\n```\n\n```sh\nls\n```\n```js\nx\n```\n';
    const got = readmeExamples(md);
    assert.deepEqual(got.map((e) => [e.line, e.where, e.heading]), [[3, 'host', 'A'], [11, undefined, 'A']]);
    const code = withRepoImports(got[0]!.code);
    assert.match(code, /^import \{ Rtnl \} from 'file:\/\/\/.*\/src\/index\.ts';\nimport\("file:\/\/\/.*\/src\/testing\/index\.ts"\);$/);
    assert.throws(() => withRepoImports("import x from 'dataplane/nosuch';"), /does not export/);
  });

  for (const example of examples.filter((e) => e.where === 'host')) {
    it(`README.md:${example.line} (${example.heading}) runs as written`, function () {
      this.timeout(90_000);
      const r = runExample(example, 60_000);
      assert.ok(!r.timedOut, `still running after 60 s\n${r.stdout}${r.stderr}`);
      assert.equal(r.status, 0, `exit ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
    });
  }
});
