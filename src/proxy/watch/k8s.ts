// What the proxy uses of @kubernetes/client-node at run time: KubeConfig
// (kubeconfig files, in-cluster service accounts, exec/OIDC/token auth, TLS
// and proxy agents) and Watch. Both come from their own modules, never from
// the package's index: the index loads every generated API class and model
// (~50 MiB of RSS for code the proxy never runs). config.js still imports
// the generated index for two names, so the build bundles this one file
// (scripts/bundle-k8s.mjs) and the bundler drops what is not reached.
//
// Lists are plain GETs with the same connection settings as the watch
// (KubeConfig.applyToHTTPSOptions), parsed as JSON and handed on as they
// came: client-node's typed list calls would convert every field of every
// object into a model class first, only for watch/slim.ts to copy out a few.
import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { Watch } from '@kubernetes/client-node/dist/watch.js';
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';

export { KubeConfig, Watch };

/** A list request's parameters, as the API server names them. */
export interface ListQuery {
  readonly limit?: number;
  readonly continue?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly resourceVersion?: string;
}

/** An API request that did not answer 200: `statusCode` as client-node's errors carry it (410 = resourceVersion or continue token expired). */
export class ApiRequestError extends Error {
  readonly statusCode: number;
  constructor(message: string, statusCode: number) {
    super(message);
    this.name = 'ApiRequestError';
    this.statusCode = statusCode;
  }
}

/** Connection settings for one list (one agent, reused by its pages). */
export type ListConnection = { readonly server: string; readonly options: https.RequestOptions };

/** The current cluster's server and the request options KubeConfig gives it (auth headers, TLS, proxy agent). */
export async function listConnection(kc: KubeConfig): Promise<ListConnection> {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error('no current cluster in the kubeconfig');
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  return { server: cluster.server, options };
}

/** GET `path` with `query` and parse the JSON list it answers (one page when `limit` is set). */
export function listRaw(conn: ListConnection, path: string, query: ListQuery, timeoutMs = 60_000): Promise<KubernetesListObject<KubernetesObject>> {
  const url = new URL(conn.server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  const get = url.protocol === 'http:' ? http.get : https.get;
  return new Promise((resolve, reject) => {
    const headers = { ...(conn.options.headers ?? {}), accept: 'application/json' };
    const req = get(url, { ...conn.options, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          let reason = res.statusMessage ?? http.STATUS_CODES[status] ?? 'error';
          try {
            reason = (JSON.parse(body) as { message?: string }).message ?? reason;
          } catch { /* not a Status object */ }
          reject(new ApiRequestError(`list ${path}: HTTP ${status}: ${reason}`, status));
          return;
        }
        try {
          resolve(JSON.parse(body) as KubernetesListObject<KubernetesObject>);
        } catch (e) {
          reject(new Error(`list ${path}: the answer is not JSON: ${(e as Error).message}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`list ${path}: no answer in ${timeoutMs / 1000} s`)));
    req.on('error', reject);
  });
}
