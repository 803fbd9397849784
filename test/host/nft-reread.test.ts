// toTransaction({ asPrinted: true }) against the real nft on rules whose
// printed text nft reads back as another rule (test/fixtures/nft/reread.t):
// for each rule nft reads its own listing of, our encoding is nft's batch for
// that text byte for byte; toTransaction() recreates the kernel's bytes; and
// the cases do exercise what asPrinted changes (nft's round trip changes
// most of them). The corpus runner is nft-py's (test/fixtures/nft-py/corpus.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { parseTestFile, runFile } from '../fixtures/nft-py/corpus.js';

describe('toTransaction({ asPrinted }): nft\'s batch for the printed text, on rules nft\'s round trip changes', function () {
  this.timeout(120_000);

  it('reread.t: asPrinted is nft\'s batch wherever nft reads its text; toTransaction() holds the kernel\'s bytes', async () => {
    const file = new URL('../fixtures/nft/reread.t', import.meta.url).pathname;
    const r = await runFile(parseTestFile('reread.t', readFileSync(file, 'utf8')));
    const checked = r.rules.filter((x) => x.refused === undefined && x.reload === 'same');
    assert.ok(checked.length >= 60, `only ${checked.length} rules nft reads back`);
    assert.deepEqual(checked.filter((x) => x.encodedPrinted !== true).map((x) => `${x.line} ${x.family} ${x.nft}\n${x.encodedPrintedDiff}`), []);
    assert.deepEqual(r.rules.filter((x) => x.refused === undefined && x.recreateBytes !== 'same').map((x) => `${x.line} ${x.family} ${x.nft}`), []);
    assert.deepEqual(checked.filter((x) => x.nft !== x.ours).map((x) => `${x.line} ${x.family}: ${x.ours} != ${x.nft}`), []);
    const changed = checked.filter((x) => x.nftRoundTrip === 'changed');
    assert.ok(changed.length >= 30, `nft's round trip changes only ${changed.length} of ${checked.length}`);
    // Where nft keeps the rule, toTransaction() alone is nft's batch too.
    assert.deepEqual(checked.filter((x) => x.nftRoundTrip === 'same' && x.encoded !== true).map((x) => `${x.line} ${x.family} ${x.nft}`), []);
  });
});
