// The README's TypeScript/JavaScript examples as programs: extracted, their
// `dataplane` imports pointed at this repository's sources, and run as a
// user would run them (as root, `node` on the file) in a fresh network
// namespace and a private /run/netns, so the namespaces an example makes
// never meet anyone else's and vanish with it. Shared by
// test/host/readme.test.ts and test/vm/readme.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const repo = resolve(import.meta.dirname, '..');

/** Where a README example runs, from the HTML comment just before its code block. */
export type ExampleWhere = 'host' | 'vm' | 'not run';

export interface Example {
  /** The README line of the opening fence (1-based). */
  line: number;
  where: ExampleWhere | undefined;
  /** The comment's words after `example: host|vm|not run`, e.g. "(IPVS)". */
  note: string;
  /** The text of the preceding heading, to name the test. */
  heading: string;
  code: string;
}

const MARK = /^<!-- example: (host|vm|not run)\b\s*(.*?)\s*-->$/;

/** Every ```ts / ```js block of a Markdown text, with its `<!-- example: ... -->` mark. */
export function readmeExamples(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^#+ /.test(line)) heading = line.replace(/^#+ /, '');
    const fence = /^```(\w*)\s*$/.exec(line);
    if (fence === null) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`README line ${i + 1}: code block never closed`);
    if (['ts', 'js', 'typescript', 'javascript', 'mjs'].includes(fence[1]!)) {
      let j = i - 1;
      while (j >= 0 && lines[j]!.trim() === '') j--;
      const mark = MARK.exec(lines[j] ?? '');
      examples.push({ line: i + 1, where: mark?.[1] as ExampleWhere | undefined, note: mark?.[2] ?? '', heading, code: lines.slice(i + 1, end).join('\n') });
    }
    i = end;
  }
  return examples;
}

/** The README's examples. */
export function repoReadmeExamples(): Example[] {
  return readmeExamples(readFileSync(join(repo, 'README.md'), 'utf8'));
}

const SUBPATHS: Record<string, string> = { dataplane: 'src/index.ts', 'dataplane/proxy': 'src/proxy/index.ts', 'dataplane/testing': 'src/testing/index.ts' };

/**
 * The example with `from 'dataplane'` (and its /proxy, /testing exports)
 * pointed at the sources: file URLs for node, or plain paths for tsc.
 */
export function withRepoImports(code: string, as: 'url' | 'path' = 'url'): string {
  return code.replace(/(\bfrom\s+|\bimport\s*\(\s*)(['"])(dataplane(?:\/\w+)?)\2/g, (all, lead: string, q: string, spec: string) => {
    const target = SUBPATHS[spec];
    if (target === undefined) throw new Error(`README example imports ${spec}, which the package does not export`);
    const file = join(repo, target);
    return `${lead}${q}${as === 'url' ? pathToFileURL(file).href : file}${q}`;
  });
}

/**
 * Type-checks every example that runs with tsc under the project's own
 * compiler options (strict; unused imports allowed, since an example may
 * import names only to show them); resolves to tsc's output and status.
 */
export function typecheckExamples(examples: Example[]): { status: number | null; output: string; files: number } {
  const dir = mkdtempSync(join(tmpdir(), 'dataplane-readme-tsc-'));
  try {
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const files = examples.map((e) => {
      const file = `example-line-${e.line}.ts`;
      writeFileSync(join(dir, file), `${withRepoImports(e.code, 'path')}\nexport {};\n`);
      return file;
    });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      extends: join(repo, 'tsconfig.json'),
      compilerOptions: { noEmit: true, allowImportingTsExtensions: true, noUnusedLocals: false, rootDir: '/', typeRoots: [join(repo, 'node_modules/@types')] },
      files,
    }));
    const r = spawnSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: dir, encoding: 'utf8' });
    return { status: r.status, output: r.stdout + r.stderr, files: files.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ExampleRun { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }

/**
 * Runs an example as an ES module with tsx, as root, in a fresh network
 * namespace (lo up, as on any machine) with a private tmpfs on /run/netns;
 * killed after timeoutMs (an example that does not end by itself fails).
 */
export function runExample(example: Example, timeoutMs: number): ExampleRun {
  const dir = mkdtempSync(join(tmpdir(), 'dataplane-readme-'));
  try {
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));  // tsx, @kubernetes/client-node
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'example.ts'), withRepoImports(example.code) + '\n');
    mkdirSync('/run/netns', { recursive: true });
    const script = 'mount -t tmpfs dataplane-readme /run/netns && ip link set lo up && exec "$0" --import tsx example.ts';
    const r = spawnSync('unshare', ['--net', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, process.execPath],
      { cwd: dir, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
