// The addon loader: a package whose addon was never built (no prebuild for
// the platform, install scripts skipped) must say so and name the fix.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');

describe('binding loader', () => {
  it('without a prebuild or a build, open() rejects with ERR_DATAPLANE_ADDON_MISSING naming the fix', function () {
    this.timeout(60_000);
    // the package's sources alone, as an install with --ignore-scripts on a
    // platform without a prebuild leaves them: no build/, no prebuilds/
    const dir = mkdtempSync(join(tmpdir(), 'dataplane-nobuild-'));
    try {
      cpSync(join(repo, 'src'), join(dir, 'src'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'dataplane', type: 'module' }));
      symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
      const script = `import { Rtnl } from './src/index.ts';
        try { await Rtnl.open(); console.log('opened'); }
        catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, cause: String(e.cause) })); }`;
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' });
      const got = JSON.parse(out) as { code: string; message: string; cause: string };
      assert.equal(got.code, 'ERR_DATAPLANE_ADDON_MISSING');
      assert.match(got.message, /^dataplane: the native addon is not built \(No native build was found for platform=linux arch=x64 /);
      assert.ok(got.message.includes(join(dir, 'prebuilds')), got.message);
      assert.match(got.message, /npm install-scripts approve dataplane/);
      assert.match(got.message, /npm rebuild dataplane/);
      assert.match(got.message, /allowScripts/);
      assert.match(got.cause, /No native build was found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
