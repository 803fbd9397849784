// nftables' own py tests (tests/py/**/*.t of nft 1.0.6) as the measure of
// our fidelity to nft: for every `;ok` rule line, in every table family the
// file names, nft adds it on the host kernel and
//   - our list() + printRule() prints the line `nft list` prints,
//   - list().toTransaction().encode() sends nft's batch byte for byte
//     (the rule with its anonymous sets; sets, elements and objects too),
//     and so does toTransaction({ asPrinted: true }) where nft, reading
//     its own listing, makes another rule than the kernel held (nft's own
//     round trip, compared byte for byte, says which rules those are),
//   - our printed text, loaded with nft, lists as the original or is
//     refused (it never means something else), and
//   - list().toTransaction(), committed elsewhere, lists as the original
//     and holds its bytes.
// test/fixtures/nft-py/known.json lists what differs today, file by file,
// with what this kernel refuses: any change (worse or better) fails the
// file's test, so each one shows in review. NFT_PY_UPDATE=1 rewrites it;
// NFT_PY_REPORT=FILE writes every rule's result as JSON. The closing test
// prints the figures per directory and per table family.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';

import { sh } from '../helpers.js';
import { CORPUS, corpusFiles, parseTestFile, runFile, type FileResult, type RuleResult } from '../fixtures/nft-py/corpus.js';

const KNOWN = `${CORPUS}known.json`;

/** What differs from nft for one file, one line per rule and aspect: `12 ip print`, `ip test-ip4 table-encode`. */
function differences(r: FileResult): string[] {
  const out: string[] = [];
  for (const x of r.rules) {
    const at = `${x.line} ${x.family}`;
    if (x.refused !== undefined) { out.push(`${at} refused: ${x.refused}`); continue; }
    if (x.nft !== x.ours) out.push(`${at} print`);
    if (x.encoded !== true) out.push(`${at} encode`);
    if (x.encodedPrinted !== true) out.push(`${at} encode-as-printed`);
    if (x.nftRoundTrip === 'changed') out.push(`${at} nft-round-trip-changed`);
    if (x.recreateBytes === 'different') out.push(`${at} recreate-bytes`);
    if (x.reload !== 'same') out.push(`${at} reload-${x.reload ?? 'missing'}`);
    if (x.recreate !== 'same') out.push(`${at} recreate-${x.recreate ?? 'missing'}`);
  }
  for (const t of r.tables) {
    for (const k of ['print', 'encode', 'reload', 'recreate'] as const) if (t[k] !== undefined) out.push(`${t.family} ${t.table} table-${k}`);
  }
  return [...new Set(out)].sort();
}

const percent = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);

function summary(results: FileResult[]): string {
  const groups = new Map<string, RuleResult[]>();
  const add = (k: string, x: RuleResult) => { if (!groups.has(k)) groups.set(k, []); groups.get(k)!.push(x); };
  for (const r of results) {
    for (const x of r.rules) {
      add(`${r.file.split('/')[0]}/*.t`, x);
      add(`${x.family} tables`, x);
      add('all', x);
    }
  }
  // checked: rule tests nft and the kernel accept; encode: toTransaction({ asPrinted }) is nft's batch for the printed
  // text; as listed: toTransaction() is too; nft rt: rules nft's own round trip (its listing read back) changes;
  // changed: printed rules that reload as something else; bytes: the recreated rule holds the original's bytes.
  const rows = [['', 'checked', 'refused', 'print', 'encode', 'as listed', 'nft rt', 'reload ok', 'changed', 'recreate', 'bytes']];
  const rank = (k: string) => (k === 'all' ? 0 : k.endsWith('.t') ? 1 : 2);
  for (const [k, xs] of [...groups].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))) {
    const ok = xs.filter((x) => x.refused === undefined);
    const share = (f: (x: RuleResult) => boolean) => percent(ok.filter(f).length, ok.length);
    rows.push([k, String(ok.length), String(xs.length - ok.length), share((x) => x.nft === x.ours), share((x) => x.encodedPrinted === true),
      share((x) => x.encoded === true), String(ok.filter((x) => x.nftRoundTrip === 'changed').length), share((x) => x.reload !== 'changed'),
      String(ok.filter((x) => x.reload === 'changed').length), share((x) => x.recreate === 'same'), share((x) => x.recreateBytes === 'same')]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

describe('nft 1.0.6 py test corpus: print, encode, reload and recreate as nft does', function () {
  this.timeout(120_000);
  const known = JSON.parse(readFileSync(KNOWN, 'utf8')) as Record<string, string[]>;
  const results: FileResult[] = [];

  before(() => {
    assert.match(sh('nft', ['--version']), /v1\.0\.6\b/, 'the corpus is nft 1.0.6\'s: its nft must be the oracle');
    sh('strace', ['-V']);
  });

  for (const file of corpusFiles()) {
    it(file, async () => {
      const r = await runFile(parseTestFile(file, readFileSync(`${CORPUS}${file}`, 'utf8')));
      results.push(r);
      // toTransaction() holds the kernel's bytes; it differs from nft's batch for the printed text only where nft, reading that text, makes another rule.
      const unexplained = r.rules.filter((x) => x.refused === undefined && x.encoded === false && x.nftRoundTrip !== 'changed' && !(x.encodeDiff ?? '').startsWith('toTransaction() refused'));
      assert.deepEqual(unexplained.map((x) => `${x.line} ${x.family}: ${x.encodeDiff}`), [], `${file}: toTransaction() differs from nft's batch where nft's own round trip keeps the rule`);
      const got = differences(r);
      if (process.env.NFT_PY_UPDATE === '1') return;
      assert.deepEqual(got, known[file] ?? [], `${file}: differences from nft changed (NFT_PY_UPDATE=1 rewrites ${KNOWN})`);
    });
  }

  after(() => {
    if (process.env.NFT_PY_UPDATE === '1' && results.length === corpusFiles().length) {
      const next: Record<string, string[]> = {};
      for (const r of [...results].sort((a, b) => a.file.localeCompare(b.file))) {
        const d = differences(r);
        if (d.length > 0) next[r.file] = d;
      }
      writeFileSync(KNOWN, `${JSON.stringify(next, null, 1)}\n`);
    }
    if (process.env.NFT_PY_REPORT !== undefined) writeFileSync(process.env.NFT_PY_REPORT, JSON.stringify(results, null, 1));
    if (results.length > 0) console.log(`\n${summary(results)}\n`);
  });
});
