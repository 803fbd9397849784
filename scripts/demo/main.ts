// `npm run demo`: a tiny cluster built from network namespaces on this
// machine, the test cluster as its API server, the real dataplane-proxy on
// its node, two Services applied with kubectl, traffic from a client, the
// proxy's kernel state, and a pod deleted while traffic moves. Everything it
// makes is removed at the end, on an error, and on Ctrl-C or SIGTERM.
//
//   npm run demo [-- --proxy-mode=nftables|ipvs] [-- --keep]
import { createInterface } from 'node:readline';

import { Command, Option } from 'commander';

import type { ProxyMode } from '../../src/proxy/backend/backend.js';
import { Cleanup } from './cleanup.js';
import { demoModes } from './modes.js';
import { preflight } from './preflight.js';
import { Say } from './say.js';
import { setUp, type Demo } from './setup.js';
import { applyServices, deletePod, sendRequests, showKernelState } from './story.js';

interface Options {
  proxyMode: ProxyMode;
  keep: boolean;
}

function parseOptions(argv: string[]): Options {
  return new Command('npm run demo --')
    .description('Runs dataplane-proxy on a node made of network namespaces, with the built-in test cluster, and shows Services at work.')
    .addOption(new Option('--proxy-mode <mode>', 'the proxy mode to show').choices(['nftables', 'ipvs', 'iptables']).default('nftables'))
    .option('--keep', 'keep everything running at the end until Enter (or Ctrl-C), to look around', false)
    .parse(argv, { from: 'user' })
    .opts<Options>();
}

/** Resolves on Enter (or stdin's end) or on SIGINT/SIGTERM. */
function waitForEnter(signals: Set<(s: NodeJS.Signals) => void>): Promise<void> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin });
    const done = (): void => { lines.close(); signals.delete(done); resolve(); };
    lines.once('line', done).once('close', done);
    signals.add(done);
  });
}

/** Step 8: where to look; with --keep, wait. */
async function lookAround(d: Demo, keep: boolean, signals: Set<(s: NodeJS.Signals) => void>): Promise<void> {
  d.say.step(keep ? 'Look around: everything is still running' : 'Look around (with --keep, everything stays up here until you press Enter)');
  d.say.command(d.kubectl.shown(['get', 'pods,services,endpointslices', '-o', 'wide']));
  const sticky = d.cluster.get('Service', 'nginx-service')?.spec.clusterIP as string;
  d.say.command(`ip netns exec ${d.net.clientNs} curl -s http://${sticky}/`);
  for (const c of d.mode.lookCommands(d.net.nodeNs)) d.say.command(c);
  d.say.command(`ip netns exec ${d.net.nodeNs} curl -s localhost:10256/healthz          # the proxy's health`);
  d.say.command(`ip netns exec ${d.net.nodeNs} curl -s localhost:10249/metrics | grep -E '^kubeproxy_sync_proxy_rules_duration_seconds_(sum|count)'`);
  d.say.command(`tail -f ${d.dir}/proxy.log`);
  if (!keep) return;
  d.say.text('', 'Press Enter (or Ctrl-C) to clean up.');
  await waitForEnter(signals);
}

async function runDemo(say: Say, o: Options, kubectl: string, applyFlags: string[], cleanup: Cleanup, signals: Set<(s: NodeJS.Signals) => void>): Promise<void> {
  const d = await setUp(say, demoModes[o.proxyMode]!, kubectl, applyFlags, cleanup);
  const services = await applyServices(d);
  const stuck = await sendRequests(d, services);
  await showKernelState(d, services);
  if (stuck === undefined) throw new Error('nginx-service did not keep this client on one pod');
  await deletePod(d, services, stuck);
  await lookAround(d, o.keep, signals);
}

/** Runs the undo steps and says what was removed (or what could not be). */
async function cleanUp(say: Say, cleanup: Cleanup): Promise<boolean> {
  say.step('Clean up');
  const failures = await cleanup.run();
  if (failures.length === 0) {
    say.text('Stopped dataplane-proxy, the pods\' servers and the client; removed the network namespaces (what the',
      'proxy wrote into the node\'s kernel went with its namespace), the API server and the temporary directory.');
  }
  for (const f of failures) say.text(`FAILED: ${f}`);
  return failures.length === 0;
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  const say = new Say();
  say.title(`dataplane demo: Kubernetes Services on a node made of network namespaces, dataplane-proxy in ${o.proxyMode} mode`,
    'It builds a small cluster on this machine, sends traffic through two Services, and removes all of it',
    `at the end (also on Ctrl-C).${o.proxyMode === 'nftables' ? ' It takes about ten seconds.' : ''}`);
  const pre = await preflight(o.proxyMode);
  if (pre.problems.length > 0) {
    say.title('', `npm run demo${o.proxyMode !== 'nftables' ? ` -- --proxy-mode=${o.proxyMode}` : ''} needs:`, ...pre.problems.map((p) => `- ${p}`));
    return 2;
  }
  const cleanup = new Cleanup();
  const signals = new Set<(s: NodeJS.Signals) => void>();
  const stop = (signal: NodeJS.Signals): void => {
    if (signals.size > 0) { for (const s of signals) s(signal); return; }
    if (cleanup.started) return;
    say.text('', `${signal}: stopping.`);
    void cleanUp(say, cleanup).then(() => process.exit(signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 129));
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => stop(s));
  let ok = true;
  try {
    await runDemo(say, o, pre.kubectl!, pre.applyFlags, cleanup, signals);
  } catch (e) {
    if (cleanup.started) return new Promise(() => {}); // a signal is cleaning up; it exits
    ok = false;
    say.text('', `The demo failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const clean = await cleanUp(say, cleanup);
  if (ok && clean) say.title(o.keep ? '\nDone.' : `\nDone in ${say.elapsed()}.`);
  return ok && clean ? 0 : 1;
}

main().then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`npm run demo: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
