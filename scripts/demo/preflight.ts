// What the demo needs before it touches anything: Linux, root (network
// namespaces and netfilter), iproute2, kubectl, the built addon, and what
// the chosen proxy mode needs. Each missing piece is one line saying what
// to do about it.
import { existsSync } from 'node:fs';

import { Rtnl } from '../../src/index.js';
import { CAP_NET_ADMIN, hasCapability } from '../../src/proxy/caps.js';
import type { ProxyMode } from '../../src/proxy/backend/backend.js';
import { findKubectl, kubectlMinor } from './kubectl.js';
import { missingFor } from './modes.js';

/** capability.h: CAP_SYS_ADMIN (setns and mounts, for `ip netns`). */
const CAP_SYS_ADMIN = 21;

/** What preflight found: the problems (empty: good to go) and the kubectl to use. */
export interface Preflight {
  readonly problems: string[];
  readonly kubectl?: string;
  /** Flags `kubectl apply` needs with this kubectl. */
  readonly applyFlags: string[];
}

function onPath(cmd: string): boolean {
  return [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'].some((d) => d !== '' && existsSync(`${d}/${cmd}`));
}

function privilegeProblems(): string[] {
  if (process.getuid?.() !== 0) {
    return ['root: the demo creates network namespaces and dataplane-proxy programs nftables in one. Run it as root: sudo npm run demo'];
  }
  const missing = [[CAP_NET_ADMIN, 'CAP_NET_ADMIN'], [CAP_SYS_ADMIN, 'CAP_SYS_ADMIN']].filter(([bit]) => !hasCapability(bit as number)).map(([, n]) => n);
  return missing.length === 0 ? [] : [`${missing.join(' and ')}: this root process lacks them (a container without privileges?); network namespaces need both`];
}

async function addonProblem(): Promise<string | undefined> {
  try {
    await (await Rtnl.open()).close();
    return undefined;
  } catch (e) {
    return `the native addon (${e instanceof Error ? e.message : String(e)}): run npm ci, which builds it`;
  }
}

/** Checks everything the demo needs for `mode`. */
export async function preflight(mode: ProxyMode): Promise<Preflight> {
  if (process.platform !== 'linux') return { problems: ['Linux: the demo runs the Linux kernel\'s dataplane'], applyFlags: [] };
  const problems = privilegeProblems();
  if (!onPath('ip')) problems.push('iproute2 (the `ip` command, for `ip netns`): apt-get install iproute2');
  const kubectl = findKubectl();
  const applyFlags: string[] = [];
  if (kubectl === undefined) {
    problems.push('kubectl (the demo applies its Services with it): /usr/bin/kubectl, or apt-get install kubernetes-client');
  } else if (((await kubectlMinor(kubectl)) ?? 99) < 27) {
    applyFlags.push('--validate=false'); // before 1.27 kubectl validates with OpenAPI v2, which the test cluster does not serve
  }
  if (problems.length > 0) return { problems, applyFlags };
  const addon = await addonProblem();
  if (addon !== undefined) problems.push(addon);
  else problems.push(...(await missingFor(mode)));
  return { problems, ...(kubectl !== undefined ? { kubectl } : {}), applyFlags };
}
