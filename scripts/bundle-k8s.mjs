// Rewrites dist/proxy/watch/k8s.js (what the proxy runs of
// @kubernetes/client-node: KubeConfig and Watch) as one self-contained
// module, so that node never loads client-node's generated index: its
// config.js imports that index for two names, and the bundler keeps only
// what those reach. The proxy's RSS before its first list drops by about
// 50 MiB (see src/proxy/watch/k8s.ts). Run after tsc (npm run build:ts).
import { readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(root, 'dist/proxy/watch/k8s.js');
if (!readFileSync(file, 'utf8').includes('@kubernetes/client-node/dist/')) {
  throw new Error(`${file} does not import client-node's modules: compile it first (tsc), or it was bundled already`);
}
await build({
  entryPoints: [file],
  outfile: file,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS dependencies inside an ES module need a require of their own.
  banner: { js: "import { createRequire as __dataplaneCreateRequire } from 'node:module';\nconst require = __dataplaneCreateRequire(import.meta.url);" },
  minifyWhitespace: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
// tsc's source map describes the file before bundling.
rmSync(`${file}.map`, { force: true });
console.log(`[bundle-k8s] ${file}: ${(statSync(file).size / 1024).toFixed(0)} KiB`);
