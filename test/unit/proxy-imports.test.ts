// What each entry point loads, read from the sources' import graph
// (static and dynamic imports): the library's root import loads neither
// the proxy nor any of its packages; dataplane/proxy loads the client only
// where it watches.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '../..');

/** Every source file and package reached from `entry`. */
function closure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [resolve(ROOT, entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (fileName.startsWith('.')) todo.push(resolve(dirname(file), fileName.replace(/\.js$/, '.ts')));
      else if (!fileName.startsWith('node:')) packages.add(fileName.startsWith('@') ? fileName.split('/').slice(0, 2).join('/') : fileName.split('/')[0]!);
    }
  }
  return { files: new Set([...files].map((f) => relative(ROOT, f))), packages };
}

describe('proxy: entry points and what they load', () => {
  it('the root import (src/index.ts) loads no proxy code and none of its packages', () => {
    const { files, packages } = closure('src/index.ts');
    assert.deepEqual([...files].filter((f) => f.startsWith('src/proxy/') || f.startsWith('src/testing/')), []);
    for (const p of ['@kubernetes/client-node', 'pino', 'prom-client', 'commander', 'yaml']) assert.equal(packages.has(p), false, p);
  });

  it('the model, proxier, config and health load no Kubernetes client', () => {
    for (const entry of ['src/proxy/model/trackers.ts', 'src/proxy/proxier.ts', 'src/proxy/config/resolve.ts', 'src/proxy/health/service-health.ts']) {
      assert.equal(closure(entry).packages.has('@kubernetes/client-node'), false, entry);
    }
  });

  it('dataplane/proxy (src/proxy/index.ts) carries the watch layer', () => {
    assert.equal(closure('src/proxy/index.ts').packages.has('@kubernetes/client-node'), true);
  });
});
