#!/usr/bin/env node
// dataplane-cluster: runs the test cluster in the foreground, prints its URL
// once it listens and writes a kubeconfig for kubectl.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { startTestCluster, type TestClusterOptions } from './cluster.js';

const USAGE = `usage: dataplane-cluster [options]

Runs an in-memory Kubernetes API server (the subset a service proxy watches:
Namespaces, Services, Pods, Nodes, EndpointSlices, Events, ConfigMaps) with
its controllers, until interrupted. There is no authentication.

options:
  --port N                 port to listen on (default 6443; 0 picks a free one)
  --address ADDR           address to bind (default 127.0.0.1)
  --kubeconfig PATH        kubeconfig to write (default ./dataplane-cluster.kubeconfig)
  --state FILE             keep objects across restarts: loaded at start, written on exit
  --service-cidr CIDRS     comma-separated service CIDRs (default 10.96.0.0/16,fd00:10:96::/108)
  --node-port-range A-B    node port range (default 30000-32767)
  --lb-pool LIST           comma-separated IPs or CIDRs for LoadBalancer ingress (default none)
  -h, --help               this text

  kubectl --kubeconfig dataplane-cluster.kubeconfig apply -f service.yaml
`;

function options(argv: string[]): TestClusterOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      address: { type: 'string' },
      kubeconfig: { type: 'string' },
      state: { type: 'string' },
      'service-cidr': { type: 'string' },
      'node-port-range': { type: 'string' },
      'lb-pool': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const port = values.port === undefined ? 6443 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`--port: not a port: ${values.port}`);
  const opts: TestClusterOptions = {
    host: values.address ?? '127.0.0.1',
    port,
    kubeconfigPath: resolve(values.kubeconfig ?? 'dataplane-cluster.kubeconfig'),
  };
  if (values.state !== undefined) opts.stateFile = resolve(values.state);
  if (values['service-cidr'] !== undefined) opts.serviceCidrs = values['service-cidr'].split(',');
  if (values['lb-pool'] !== undefined) opts.loadBalancerPool = values['lb-pool'].split(',');
  if (values['node-port-range'] !== undefined) {
    const m = /^(\d+)-(\d+)$/.exec(values['node-port-range']);
    if (m === null || Number(m[1]) > Number(m[2])) throw new RangeError(`--node-port-range: expected A-B, got ${values['node-port-range']}`);
    opts.nodePortRange = [Number(m[1]), Number(m[2])];
  }
  return opts;
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  if (opts === undefined) { process.stdout.write(USAGE); return; }
  const cluster = await startTestCluster(opts);
  process.stdout.write(`dataplane-cluster listening on ${cluster.url}\nkubeconfig: ${cluster.kubeconfigPath}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping\n`);
    cluster.stop().then(() => process.exit(0), (e: unknown) => {
      process.stderr.write(`dataplane-cluster: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`dataplane-cluster: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
