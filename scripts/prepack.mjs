#!/usr/bin/env node
// `npm pack` / `npm publish` run this first: the package must carry a
// linux-x64 prebuild made from the current native sources, so that installs
// with install scripts skipped (--ignore-scripts, npm 11's allowScripts)
// still load the addon. `npm run prebuild` makes it.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const prebuild = 'prebuilds/linux-x64/dataplane.node';
const sources = ['binding.gyp', ...['native/nl', 'native/codec', 'native/napi']
  .flatMap((dir) => readdirSync(dir).map((f) => join(dir, f)))];

function fail(why) {
  process.stderr.write(`prepack: ${why}: run \`npm run prebuild\` first\n`);
  process.exit(1);
}

if (!existsSync(prebuild)) fail(`${prebuild} is missing`);
const built = statSync(prebuild).mtimeMs;
const newer = sources.filter((f) => statSync(f).mtimeMs > built);
if (newer.length > 0) fail(`${prebuild} is older than ${newer.slice(0, 3).join(', ')}${newer.length > 3 ? ', ...' : ''}`);
