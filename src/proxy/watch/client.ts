// The connection to the Kubernetes API, as kube-proxy's createClient makes
// it: a kubeconfig file (with --master overriding its server), --master
// alone, or (neither given) the in-cluster service account.
import { KubeConfig } from './k8s.js';

export interface ClientOptions {
  /** --kubeconfig / clientConnection.kubeconfig. */
  readonly kubeconfig?: string;
  /** --master: the API server URL (overrides the kubeconfig's). */
  readonly master?: string;
}

/** How the proxy reached its KubeConfig, for the startup log. */
export type ClientSource = 'kubeconfig' | 'master' | 'in-cluster';

/**
 * The KubeConfig for the proxy's watches. An http:// server is allowed
 * (client-node only accepts one marked insecure-skip-tls-verify).
 * Throws with a clear message if nothing usable is found.
 */
export function loadKubeConfig(opts: ClientOptions): { kc: KubeConfig; source: ClientSource; server: string } {
  const kc = new KubeConfig();
  const master = opts.master ?? '';
  const kubeconfig = opts.kubeconfig ?? '';
  let source: ClientSource;
  if (kubeconfig !== '') {
    try {
      kc.loadFromFile(kubeconfig);
    } catch (e) {
      throw new Error(`cannot load kubeconfig ${kubeconfig}: ${(e as Error).message}`);
    }
    source = 'kubeconfig';
  } else if (master !== '') {
    kc.loadFromClusterAndUser({ name: 'master', server: master, skipTLSVerify: false }, { name: 'anonymous' });
    source = 'master';
  } else {
    if (process.env.KUBERNETES_SERVICE_HOST === undefined) {
      throw new Error('neither --kubeconfig nor --master was given, and this is not a pod (KUBERNETES_SERVICE_HOST is unset)');
    }
    kc.loadFromCluster();
    source = 'in-cluster';
  }
  const current = kc.getCurrentCluster();
  if (current === null) throw new Error(`no current cluster in ${kubeconfig !== '' ? kubeconfig : 'the configuration'}`);
  const server = master !== '' ? master : current.server;
  const clusters = kc.clusters.map((c) => (c.name !== current.name ? c : {
    ...c, server, skipTLSVerify: c.skipTLSVerify || server.startsWith('http://'),
  }));
  kc.loadFromOptions({ clusters, users: kc.users, contexts: kc.contexts, currentContext: kc.currentContext });
  return { kc, source, server };
}
