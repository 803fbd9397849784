// What the JS fuzz targets share: loads the libFuzzer driver addon and the
// instrumented build (native/fuzz/build/js/, made by instrument.mjs and
// driver.cc; scripts/fuzz.sh builds both), registers one counter per
// instrumentation point with libFuzzer, and runs the fuzzing loop with this
// process's arguments as libFuzzer's (`node TARGET.mjs -max_total_time=10 DIR`).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const build = new URL('../build/js/', import.meta.url);
const coverage = JSON.parse(readFileSync(new URL('coverage.json', build), 'utf8'));
const driver = createRequire(import.meta.url)(fileURLToPath(new URL('driver.node', build)));

// The instrumented modules read these when they load: the counters, and a list they add their index to.
globalThis.__dataplaneFuzz = { counters: driver.counters(Buffer.from(coverage.flags, 'base64')), loaded: [] };

/** Imports an instrumented module by its path in the repository ('src/nft/rule.js'). */
export function load(path) {
  return import(new URL(path, build).href);
}

/** Runs libFuzzer, calling target(bytes) for every input; an exception is a crash. Normally does not return. */
export function fuzz(target) {
  const loaded = globalThis.__dataplaneFuzz.loaded.map((i) => coverage.modules[i]);
  const counters = loaded.reduce((n, m) => n + m.count, 0);
  // scripts/fuzz.sh reads this line to put libFuzzer's `cov:` (counters hit) against the total.
  console.error(`INFO: JS counters: ${counters} in the ${loaded.length} modules loaded (of ${coverage.counters} in ${coverage.modules.length} instrumented)`);
  return driver.run([process.argv[1], ...process.argv.slice(2)], target);
}
