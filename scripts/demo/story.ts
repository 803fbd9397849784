// The second half of the demo: two Services applied with kubectl, traffic
// from the client, the proxy's kernel state, a pod deleted and traffic
// moving, and the commands to look around.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseDocument } from 'yaml';

import { NGINX_SERVICE } from '../../test/fixtures/nginx-service.js';
import type { DemoService } from './modes.js';
import { CLUSTER_CIDR, POD_PORT, type Demo } from './setup.js';
import { duration } from './say.js';

/** The same Service without affinity, named nginx-no-affinity. */
function twinOf(manifest: string): string {
  const doc = parseDocument(manifest);
  doc.setIn(['metadata', 'name'], 'nginx-no-affinity');
  doc.deleteIn(['spec', 'sessionAffinity']);
  doc.deleteIn(['spec', 'sessionAffinityConfig']);
  return doc.toString({ indentSeq: false });
}

/** What the demo applies: the nginx Service and its twin. */
export const SERVICES_YAML = `${NGINX_SERVICE}---\n${twinOf(NGINX_SERVICE)}`;

/** Connections per service and round: enough that a random spread over 3 pods misses one with odds of 1 in 60,000. */
const SPREAD_CONNECTIONS = 30;
const STICKY_CONNECTIONS = 10;

function url(s: DemoService): string {
  return `http://${s.clusterIP}${s.port === 80 ? '' : `:${s.port}`}/`;
}

/** The work of each sync the proxy logged from `since` (Date.now()) on: "3 ms and 15 ms". */
function syncTimes(d: Demo, since: number): string {
  const ms = d.proxy.logs.filter((l) => l.msg === 'Synced' && l.time >= since).map((l) => duration(Number(l.ms)));
  return ms.length <= 1 ? ms.join('') : `${ms.slice(0, -1).join(', ')} and ${ms.at(-1)}`;
}

/** Why a change took longer than its sync, when the mode spaces its syncs (said only when it did). */
function minSyncPeriod(d: Demo, waitedMs: number): string[] {
  return waitedMs > 200 && d.mode.minSyncPeriod !== undefined ? [d.mode.minSyncPeriod] : [];
}

/** The services as the cluster allocated them. */
function demoServices(d: Demo): DemoService[] {
  return ['nginx-service', 'nginx-no-affinity'].map((name) => {
    const spec = d.cluster.get('Service', name)!.spec;
    const seconds = spec.sessionAffinity === 'ClientIP' ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800 : undefined;
    return { name, namespace: 'default', portName: 'http', clusterIP: spec.clusterIP, port: 80, targetPort: POD_PORT, ...(seconds !== undefined ? { affinitySeconds: seconds } : {}) };
  });
}

/** Polls until every service answers the client with a pod's name; the time it took. */
async function firstAnswers(d: Demo, services: DemoService[], timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  for (const s of services) {
    for (;;) {
      const [a] = await d.client.get(url(s), 1, 500);
      if (a !== undefined && !a.startsWith('error')) break;
      if (Date.now() - started > timeoutMs) throw new Error(`${s.name} (${url(s)}) did not answer within ${timeoutMs} ms: ${a}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return Date.now() - started;
}

/** Step 4: kubectl apply, then wait until both services answer. */
export async function applyServices(d: Demo): Promise<DemoService[]> {
  const { say } = d;
  say.step('Two Services, applied with kubectl');
  const file = join(d.dir, 'nginx-services.yaml');
  writeFileSync(file, SERVICES_YAML);
  say.text(`${file} holds the nginx Service:`);
  say.output(NGINX_SERVICE);
  say.text('It selects the pods labelled app=nginx; with sessionAffinity ClientIP each client keeps talking to',
    'one pod (until 50 s after its last connection). Its twin nginx-no-affinity is the same without affinity.');
  const args = ['apply', '-f', file];
  say.command(d.kubectl.shown(args));
  const sent = Date.now();
  say.output(await d.kubectl.run(args));
  const services = demoServices(d);
  const waited = await firstAnswers(d, services);
  say.text('The cluster gave each a ClusterIP and an EndpointSlice listing the three pods:');
  for (const s of services) say.text(`  ${s.name.padEnd(18)}${s.clusterIP}:${s.port} -> the pods' port ${s.targetPort}`);
  say.text(`Both answered the client ${duration(waited)} after kubectl returned; the proxy's syncs took ${syncTimes(d, sent)}.`,
    ...minSyncPeriod(d, waited));
  return services;
}

/** Who answered, "nginx-1 x9, nginx-2 x11, nginx-3 x10" (sorted by name). */
export function tally(answers: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([who, n]) => `${who} x${n}`).join(', ');
}

/** Sends each service its connections and prints who answered; resolves to the answers by service name. */
async function traffic(d: Demo, services: DemoService[]): Promise<Map<string, string[]>> {
  const byName = new Map<string, string[]>();
  for (const s of [...services].sort((a) => (a.affinitySeconds === undefined ? -1 : 1))) {
    const n = s.affinitySeconds === undefined ? SPREAD_CONNECTIONS : STICKY_CONNECTIONS;
    const answers = await d.client.get(url(s), n);
    byName.set(s.name, answers);
    d.say.text(`${s.name.padEnd(18)}${String(n).padStart(2)} connections -> ${tally(answers)}`);
  }
  return byName;
}

/** The one pod that answered every time, if there is one. */
function onlyPod(answers: readonly string[] | undefined): string | undefined {
  return answers !== undefined && answers.length > 0 && answers.every((a) => a === answers[0]) ? answers[0] : undefined;
}

/** Step 5: requests from the client; resolves to the pod nginx-service sticks to. */
export async function sendRequests(d: Demo, services: DemoService[]): Promise<string | undefined> {
  d.say.step('Requests from the client, each on a new TCP connection');
  const shown = services.find((s) => s.affinitySeconds === undefined)!;
  d.say.command(`ip netns exec ${d.net.clientNs} curl -s ${url(shown)}   # ${SPREAD_CONNECTIONS} times (the demo's client does this in Node.js)`);
  const answers = await traffic(d, services);
  const stuck = onlyPod(answers.get('nginx-service'));
  d.say.text(`Without affinity every new connection goes to a pod ${d.mode.spread};`,
    stuck !== undefined ? `with ClientIP affinity every connection of this client went to ${stuck}.` : 'with ClientIP affinity the connections should all have gone to one pod, but did not.');
  return stuck;
}

/** Step 6: what the proxy wrote into the kernel, as the mode shows it. */
export async function showKernelState(d: Demo, services: DemoService[]): Promise<void> {
  d.say.step(`What dataplane-proxy wrote into the node's kernel (${d.mode.name})`);
  const pods = d.net.pods.map((p) => ({ name: p.name, ip: p.ip }));
  d.say.text(...await d.mode.describe({ nodeNs: d.net.nodeNs, services, pods, clusterCIDR: CLUSTER_CIDR }));
  d.say.text('All of it:');
  for (const c of d.mode.lookCommands(d.net.nodeNs)) d.say.command(c);
}

/** Resolves with the time (Date.now()) the API server marked the pod for deletion (polling every 5 ms). */
async function markedForDeletion(d: Demo, name: string, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const pod = d.cluster.get('Pod', name);
    if (pod === undefined || pod.metadata.deletionTimestamp !== undefined) return Date.now();
    if (Date.now() - started > timeoutMs) throw new Error(`pod ${name} was not marked for deletion within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Step 7: delete `victim` with kubectl, wait for the proxy, play the kubelet's part, send traffic again. */
export async function deletePod(d: Demo, services: DemoService[], victim: string): Promise<void> {
  const { say } = d;
  const pod = d.net.pods.find((p) => p.name === victim)!;
  say.step(`A pod goes away: ${victim}`);
  say.text(`${victim} is the pod nginx-service sends this client to. Delete it:`);
  const args = ['delete', 'pod', victim];
  say.command(d.kubectl.shown(args));
  const marked = markedForDeletion(d, victim);
  const gone = d.mode.endpointGone(d.net.nodeNs, services, pod.ip, 60_000);
  say.output(await d.kubectl.run(args));
  const markedAt = await marked;
  const programmed = Math.max(0, (await gone) - markedAt);
  await d.stopServer.get(victim)!();
  await pod.remove();
  say.text(`The API server marked ${victim} Terminating and its endpoint not ready; ${programmed <= 10 ? 'within 10 ms' : `${duration(programmed)} later`}`,
    `the proxy had ${d.mode.endpointRemoved.replace('{ip}', pod.ip)} (its sync took ${syncTimes(d, markedAt)}).`,
    ...minSyncPeriod(d, programmed),
    `kubectl returned when the pod was gone, after its 1 s grace period; then the demo, as ${victim}'s kubelet,`,
    'stopped its server and removed its namespace. The same requests again:');
  const answers = await traffic(d, services);
  const stuck = onlyPod(answers.get('nginx-service'));
  say.text(`nginx-no-affinity spreads over the pods left; ${stuck !== undefined && stuck !== victim
    ? `nginx-service placed this client on ${stuck} and it sticks there now.`
    : 'nginx-service should have moved this client to one pod that is left, but did not.'}`);
}
