// The kubeconfig a test cluster writes so kubectl and client-node reach it.

import { writeFileSync } from 'node:fs';

/**
 * A kubeconfig for `server` (http://...). It marks the cluster
 * `insecure-skip-tls-verify: true`: @kubernetes/client-node refuses plain
 * http servers otherwise. There is no user credential: the server has no auth.
 */
export function kubeconfigYaml(server: string, name = 'dataplane', namespace = 'default'): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${name}`,
    '  cluster:',
    `    server: ${server}`,
    '    insecure-skip-tls-verify: true',
    'contexts:',
    `- name: ${name}`,
    '  context:',
    `    cluster: ${name}`,
    `    user: ${name}`,
    `    namespace: ${namespace}`,
    `current-context: ${name}`,
    'users:',
    `- name: ${name}`,
    '  user: {}',
    'preferences: {}',
    '',
  ].join('\n');
}

/** Writes the kubeconfig file (mode 0600, as kubectl writes its own). */
export function writeKubeconfig(path: string, server: string): void {
  writeFileSync(path, kubeconfigYaml(server), { mode: 0o600 });
}
