// The HTTP/1.1 front of the test cluster: routes API paths to the API verbs,
// serves discovery and OpenAPI, streams lists and watches, and carries the
// fault hooks (pause, latency, dropped watches, forced 410s). No auth.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

import type { Api, FieldValidation, WriteOptions } from '../api.js';
import { badRequest, internalError, methodNotAllowed, resourceNotFound, StatusError, unsupportedMediaType } from '../errors.js';
import { apiVersionOf, lookupResource, type ResourceType } from '../resources.js';
import { parseFieldSelector, parseLabelSelector } from '../selectors.js';
import type { Entry, KubeObject } from '../store.js';
import { aggregatedDiscovery, AGGREGATED_V2, apiGroup, coreVersions, groupList, resourceList, versionInfo, wantsAggregated } from './discovery.js';
import { openApiDocument, openApiRoot } from './openapi.js';
import { boolParam, intParam, mediaType, parseBody, parseResourcePath, readBody, sendJson, sendStatus, type ResourcePath } from './request.js';
import { partial, tableFor, wantsPartial, wantsTable } from './table.js';
import { Watcher, withTypeMeta, type WatchControl } from './watch.js';

const PATCH_TYPES: Record<string, 'json' | 'merge' | 'strategic'> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};
const ACCEPTED_PATCHES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml', 'application/strategic-merge-patch+json'];

/** Fault hooks of a running server. */
export interface Faults {
  /** Hold every new request until resume(). */
  pause(): void;
  resume(): void;
  /** Delay every request by this many milliseconds (0: none). */
  latencyMs: number;
}

/** The HTTP server of a test cluster. */
export class ApiServer implements Faults {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  readonly watchers = new Set<Watcher>();
  readonly watchControl: WatchControl = { bookmarkIntervalMs: 60_000, expireNext: 0 };
  latencyMs = 0;
  private paused: { promise: Promise<void>; resolve: () => void } | undefined;
  /** The address clients reach, set once listening. */
  serverAddress = '';
  /** Default watch timeout when the client gives none (the API server picks 30-60 min). */
  watchTimeoutSeconds = () => 1800 + Math.floor(Math.random() * 1800);

  constructor(private readonly api: Api) {}

  /** Listens; resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    const server = createServer({ keepAlive: true }, (req, res) => { void this.handle(req, res); });
    server.keepAliveTimeout = 65_000;
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const a = server.address();
        const bound = typeof a === 'object' && a !== null ? a.port : port;
        this.serverAddress = `${host.includes(':') ? `[${host}]` : host}:${bound}`;
        resolve(bound);
      });
    });
  }

  /** Stops listening and cuts every connection, watches included. */
  close(): Promise<void> {
    this.resume();
    for (const w of [...this.watchers]) w.destroy();
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return Promise.resolve();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    return closed;
  }

  pause(): void {
    if (this.paused !== undefined) return;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => { resolve = r; });
    this.paused = { promise, resolve };
  }

  resume(): void {
    this.paused?.resolve();
    this.paused = undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (this.paused !== undefined) await this.paused.promise;
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
      await this.route(req, res);
    } catch (e) {
      if (res.headersSent) { res.destroy(); return; }
      const err = e instanceof StatusError ? e : internalError(e);
      sendStatus(res, err.status());
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://cluster');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const accept = req.headers.accept;
    if (path === '/version') return sendJson(res, 200, versionInfo());
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (path === '/api' || path === '/apis') {
      if (wantsAggregated(accept)) return sendJson(res, 200, aggregatedDiscovery(path === '/api'), { 'Content-Type': AGGREGATED_V2 });
      return sendJson(res, 200, path === '/api' ? coreVersions(this.serverAddress) : groupList());
    }
    if (path.startsWith('/openapi/')) return this.openapi(path, res);
    const group = /^\/apis\/([^/]+)$/.exec(path);
    if (group !== null) {
      const doc = apiGroup(decodeURIComponent(group[1]!));
      if (doc === undefined) throw resourceNotFound();
      return sendJson(res, 200, doc);
    }
    const rp = parseResourcePath(path);
    if (rp === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
      return;
    }
    if ('rest' in rp) {
      const doc = resourceList(rp.group, rp.version);
      if (doc !== undefined) return sendJson(res, 200, doc);
      throw resourceNotFound();
    }
    return this.resource(req, res, rp, url.searchParams, accept);
  }

  private openapi(path: string, res: ServerResponse): void {
    if (path === '/openapi/v3') return sendJson(res, 200, openApiRoot());
    const doc = path.startsWith('/openapi/v3/') ? openApiDocument(path.slice('/openapi/v3/'.length)) : undefined;
    if (doc === undefined) throw resourceNotFound();
    sendJson(res, 200, doc, { 'Content-Type': 'application/json', 'Cache-Control': 'public, immutable' });
  }

  private async resource(req: IncomingMessage, res: ServerResponse, p: ResourcePath, q: URLSearchParams, accept: string | undefined): Promise<void> {
    const r = lookupResource(p.group, p.version, p.resource);
    if (r === undefined) throw resourceNotFound();
    if (p.namespace !== undefined && !r.namespaced) throw resourceNotFound();
    const finalize = p.subresource === 'finalize' && r.resource === 'namespaces';
    if (p.subresource !== undefined && !(p.subresource === 'status' && r.status) && !finalize) throw resourceNotFound();
    const method = req.method ?? 'GET';
    if (p.name === undefined) return this.collection(req, res, r, p.namespace, q, accept);
    const opts: WriteOptions = { ...writeOptions(q), ...(p.subresource === 'status' || p.subresource === 'finalize' ? { subresource: p.subresource } : {}) };
    const ns = p.namespace, name = p.name;
    switch (method) {
      case 'GET': {
        const obj = this.api.get(r, ns, name);
        if (wantsTable(accept)) return sendJson(res, 200, tableFor(r, [obj], undefined, q));
        if (wantsPartial(accept)) return sendJson(res, 200, partial(obj));
        return this.sendObject(res, r, 200, obj, []);
      }
      case 'PUT': {
        const out = this.api.update(r, ns, name, parseBody(await readBody(req), req.headers['content-type']), opts);
        return this.sendObject(res, r, 200, out.object, out.warnings);
      }
      case 'PATCH': return this.patch(req, res, r, ns, name, q, opts);
      case 'DELETE': return this.delete(req, res, r, ns, name, q);
      default: throw methodNotAllowed({ group: r.group, resource: r.resource }, method);
    }
  }

  /** GET (list or watch), POST and DELETE on a collection path. */
  private async collection(req: IncomingMessage, res: ServerResponse, r: ResourceType, ns: string | undefined, q: URLSearchParams, accept: string | undefined): Promise<void> {
    const method = req.method ?? 'GET';
    if (method === 'GET') return boolParam(q, 'watch') ? this.watch(req, res, r, ns, q) : this.list(res, r, ns, q, accept);
    if (method === 'POST') {
      if (r.namespaced && ns === undefined) throw methodNotAllowed({ group: r.group, resource: r.resource }, 'create');
      const out = this.api.create(r, ns, parseBody(await readBody(req), req.headers['content-type']), writeOptions(q));
      return this.sendObject(res, r, 201, out.object, out.warnings);
    }
    if (method === 'DELETE') {
      const deleted = this.api.deleteCollection(r, { namespace: ns, labelSelector: q.get('labelSelector') ?? '', fieldSelector: q.get('fieldSelector') ?? '' });
      return sendJson(res, 200, listBody(r, deleted.map((o) => JSON.stringify(o)), String(this.api.store.rv)));
    }
    throw methodNotAllowed({ group: r.group, resource: r.resource }, method);
  }

  /** PATCH: server-side apply, or one of the three patch types. */
  private async patch(req: IncomingMessage, res: ServerResponse, r: ResourceType, ns: string | undefined, name: string, q: URLSearchParams, opts: WriteOptions): Promise<void> {
    const type = mediaType(req.headers['content-type']);
    if (type === 'application/apply-patch+yaml') {
      const manager = q.get('fieldManager');
      if (!manager) throw badRequest('PATCH, application/apply-patch+yaml requests must have a fieldManager query parameter');
      const out = this.api.apply(r, ns, name, parseBody(await readBody(req), type), { ...opts, fieldManager: manager });
      return this.sendObject(res, r, out.created ? 201 : 200, out.object, out.warnings);
    }
    const patchType = PATCH_TYPES[type];
    if (patchType === undefined) {
      throw unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: ${ACCEPTED_PATCHES.join(', ')}`);
    }
    const out = this.api.patch(r, ns, name, patchType, parseBody(await readBody(req), 'application/json'), opts);
    return this.sendObject(res, r, 200, out.object, out.warnings);
  }

  /** DELETE of one object, with DeleteOptions from the query or the body. */
  private async delete(req: IncomingMessage, res: ServerResponse, r: ResourceType, ns: string | undefined, name: string, q: URLSearchParams): Promise<void> {
    const raw = await readBody(req);
    const parsed = raw.length > 0 ? parseBody(raw, req.headers['content-type']) : {};
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('DeleteOptions: the body must be an object');
    const body = parsed as Record<string, any>;
    const grace = intParam(q, 'gracePeriodSeconds') ?? body.gracePeriodSeconds;
    if (grace !== undefined && grace !== null && !Number.isInteger(grace)) throw badRequest('DeleteOptions: gracePeriodSeconds must be an integer');
    const pre = body.preconditions;
    if (pre !== undefined && pre !== null && (typeof pre !== 'object' || Array.isArray(pre))) throw badRequest('DeleteOptions: preconditions must be an object');
    const out = this.api.delete(r, ns, name, {
      ...(typeof grace === 'number' ? { gracePeriodSeconds: grace } : {}),
      ...(pre ? { preconditions: pre } : {}),
      dryRun: q.getAll('dryRun').includes('All') || (Array.isArray(body.dryRun) && body.dryRun.includes('All')),
    });
    if ('status' in out) return sendJson(res, 200, out.status);
    return this.sendObject(res, r, 200, out.object, []);
  }

  private sendObject(res: ServerResponse, r: ResourceType, code: number, obj: object, warnings: string[]): void {
    const headers: Record<string, string | string[]> = {};
    if (warnings.length > 0) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
    sendJson(res, code, withTypeMeta(r, JSON.stringify(obj)), headers);
  }

  private list(res: ServerResponse, r: ResourceType, ns: string | undefined, q: URLSearchParams, accept: string | undefined): void {
    const limit = intParam(q, 'limit');
    const result = this.api.list(r, {
      ...(ns !== undefined ? { namespace: ns } : {}),
      labelSelector: q.get('labelSelector') ?? '',
      fieldSelector: q.get('fieldSelector') ?? '',
      ...(limit !== undefined ? { limit } : {}),
      ...(q.get('continue') ? { continue: q.get('continue')! } : {}),
    });
    if (wantsTable(accept)) return sendJson(res, 200, tableFor(r, result.items.map((e) => e.obj), result, q));
    if (wantsPartial(accept)) {
      const metadata: Record<string, unknown> = { resourceVersion: result.resourceVersion };
      if (result.continue !== undefined) metadata.continue = result.continue;
      return sendJson(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata, items: result.items.map((e) => partial(e.obj)) });
    }
    streamList(res, r, result.items, result);
  }

  private watch(req: IncomingMessage, res: ServerResponse, r: ResourceType, ns: string | undefined, q: URLSearchParams): void {
    const labels = parseLabelSelector(q.get('labelSelector') ?? '');
    const fields = parseFieldSelector(q.get('fieldSelector') ?? '', r.resource);
    const rv = q.get('resourceVersion') ?? undefined;
    if (rv !== undefined && rv !== '' && !/^\d+$/.test(rv)) throw badRequest(`resourceVersion: Invalid value: ${JSON.stringify(rv)}: must be an integer`);
    const timeout = intParam(q, 'timeoutSeconds') ?? this.watchTimeoutSeconds();
    const initial = boolParam(q, 'sendInitialEvents');
    if (initial && !boolParam(q, 'allowWatchBookmarks')) {
      throw new StatusError(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: allowWatchBookmarks: Required value: allowWatchBookmarks must be set to true when sendInitialEvents is specified`);
    }
    const w = new Watcher({
      resource: r, namespace: ns, labels, fields, resourceVersion: rv,
      bookmarks: boolParam(q, 'allowWatchBookmarks'), timeoutSeconds: timeout, sendInitialEvents: initial,
      ...(wantsTable(req.headers.accept) ? { table: (o: KubeObject) => JSON.stringify(tableFor(r, [o], undefined, q)) } : {}),
      ...(wantsPartial(req.headers.accept) ? { table: (o: KubeObject) => JSON.stringify(partial(o)) } : {}),
    }, res, this.api.store, (x) => this.watchers.delete(x));
    this.watchers.add(w);
    w.start(this.watchControl);
  }
}

function writeOptions(q: URLSearchParams): WriteOptions {
  const fv = q.get('fieldValidation');
  if (fv !== null && fv !== '' && !['Strict', 'Warn', 'Ignore'].includes(fv)) {
    throw badRequest(`fieldValidation: Invalid value: ${JSON.stringify(fv)}: fieldValidation must be one of "Ignore", "Warn", or "Strict"`);
  }
  const dry = q.getAll('dryRun');
  for (const d of dry) if (d !== 'All') throw badRequest(`dryRun: Unsupported value: ${JSON.stringify(d)}: supported values: "All"`);
  return { dryRun: dry.includes('All'), ...(fv ? { fieldValidation: fv as FieldValidation } : {}) };
}

function listHead(r: ResourceType, meta: string): string {
  return `{"kind":${JSON.stringify(`${r.kind}List`)},"apiVersion":${JSON.stringify(apiVersionOf(r))},"metadata":${meta},"items":[`;
}

function listBody(r: ResourceType, items: string[], rv: string): string {
  return `${listHead(r, JSON.stringify({ resourceVersion: rv }))}${items.join(',')}]}`;
}

/** Writes a list in ~1 MiB chunks from the entries' cached JSON. */
function streamList(res: ServerResponse, r: ResourceType, items: Entry[], meta: { resourceVersion: string; continue?: string; remainingItemCount?: number }): void {
  const m: Record<string, unknown> = { resourceVersion: meta.resourceVersion };
  if (meta.continue !== undefined) m.continue = meta.continue;
  if (meta.remainingItemCount !== undefined) m.remainingItemCount = meta.remainingItemCount;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  let chunk = listHead(r, JSON.stringify(m));
  for (let i = 0; i < items.length; i++) {
    if (i > 0) chunk += ',';
    chunk += items[i]!.json();
    if (chunk.length > 1 << 20) { res.write(chunk); chunk = ''; }
  }
  res.end(`${chunk}]}`);
}
