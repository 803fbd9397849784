// The real kubectl, run as a user would against the demo's cluster (its
// kubeconfig; its discovery cache in the demo's temporary directory, so
// nothing is left in ~/.kube). Always asynchronous: the API server runs in
// this process, and a blocking call would stop it from answering.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** /usr/bin/kubectl, else the first kubectl on PATH, else undefined. */
export function findKubectl(): string | undefined {
  if (existsSync('/usr/bin/kubectl')) return '/usr/bin/kubectl';
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(`${dir}/kubectl`)) return `${dir}/kubectl`;
  }
  return undefined;
}

/** kubectl's client minor version (`kubectl version --client -o json`), or undefined if it cannot tell. */
export async function kubectlMinor(path: string): Promise<number | undefined> {
  try {
    const { stdout } = await run(path, ['version', '--client', '-o', 'json'], { timeout: 10_000 });
    const minor = Number.parseInt((JSON.parse(stdout) as { clientVersion?: { minor?: string } }).clientVersion?.minor ?? '', 10);
    return Number.isNaN(minor) ? undefined : minor;
  } catch {
    return undefined;
  }
}

/** kubectl bound to one kubeconfig. */
export class Kubectl {
  constructor(
    readonly path: string,
    readonly kubeconfig: string,
    private readonly cacheDir: string,
    /** Flags added to `apply` (--validate=false for kubectl before 1.27, which wants OpenAPI v2). */
    readonly applyFlags: readonly string[] = [],
  ) {}

  /** The command line as a reader would type it. */
  shown(args: readonly string[]): string {
    return ['kubectl', '--kubeconfig', this.kubeconfig, ...args].join(' ');
  }

  /** Runs kubectl; resolves to its stdout, rejects with its stderr. */
  async run(args: readonly string[]): Promise<string> {
    const argv = ['--kubeconfig', this.kubeconfig, ...args, ...(args[0] === 'apply' ? this.applyFlags : [])];
    try {
      const { stdout } = await run(this.path, argv, { timeout: 60_000, env: { ...process.env, KUBECACHEDIR: this.cacheDir } });
      return stdout;
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`${this.shown(args)} failed: ${(err.stderr ?? '').trim() || err.message}`);
    }
  }
}
