// Watch streams: newline-delimited JSON events (ADDED, MODIFIED, DELETED,
// BOOKMARK, ERROR) from a resourceVersion, filtered by namespace and
// selectors, with the real 410 Expired ERROR event for a resourceVersion
// older than the change window.

import type { ServerResponse } from 'node:http';

import { expired } from '../errors.js';
import { apiVersionOf, type ResourceType } from '../resources.js';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelRequirement } from '../selectors.js';
import type { Change, KubeObject, Store } from '../store.js';

/** What a watch asks for. */
export interface WatchRequest {
  resource: ResourceType;
  namespace: string | undefined;
  labels: LabelRequirement[];
  fields: FieldRequirement[];
  /** '' or undefined: current state as ADDED events first; a number: changes after it. */
  resourceVersion: string | undefined;
  bookmarks: boolean;
  timeoutSeconds: number;
  /** Serializes objects another way: one-row Tables (kubectl get --watch), or PartialObjectMetadata (metadata informers). */
  table?: (obj: KubeObject) => string;
  /** Watch-list: the current objects as ADDED events, then a BOOKMARK annotated `k8s.io/initial-events-end`. */
  sendInitialEvents?: boolean;
}

/** Settings and fault hooks shared by every watch of a server. */
export interface WatchControl {
  bookmarkIntervalMs: number;
  /** How many of the next watch requests answer with 410 Expired at once. */
  expireNext: number;
}

function typeMetaPrefix(r: ResourceType): string {
  return `{"kind":${JSON.stringify(r.kind)},"apiVersion":${JSON.stringify(apiVersionOf(r))},`;
}

/** `{"kind":..,"apiVersion":..,...}` from a stored object's JSON. */
export function withTypeMeta(r: ResourceType, json: string): string {
  return typeMetaPrefix(r) + json.slice(1);
}

function eventLine(type: string, objectJson: string): string {
  return `{"type":"${type}","object":${objectJson}}\n`;
}

/** One open watch. */
export class Watcher {
  private buffer = '';
  private flushScheduled = false;
  private closed = false;
  private unsubscribe: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly prefix: string;

  constructor(private readonly req: WatchRequest, private readonly res: ServerResponse, private readonly store: Store,
    private readonly onClose: (w: Watcher) => void) {
    this.prefix = typeMetaPrefix(req.resource);
  }

  private matches(obj: KubeObject | undefined): boolean {
    if (obj === undefined) return false;
    const r = this.req;
    if (r.namespace !== undefined && obj.metadata.namespace !== r.namespace) return false;
    if (r.labels.length > 0 && !matchesLabels(r.labels, obj.metadata.labels)) return false;
    if (r.fields.length > 0 && !matchesFields(r.fields, r.resource.resource, obj)) return false;
    return true;
  }

  private objectJson(obj: KubeObject, json?: string): string {
    if (this.req.table !== undefined) return this.req.table(obj);
    return this.prefix + (json ?? JSON.stringify(obj)).slice(1);
  }

  private lineFor(c: Change): string | undefined {
    const now = this.matches(c.entry.obj);
    const shared = this.req.table === undefined;
    if (c.type === 'ADDED' || c.type === 'DELETED') {
      if (!now) return undefined;
      if (!shared) return eventLine(c.type, this.objectJson(c.entry.obj));
      return (c.line ??= eventLine(c.type, this.objectJson(c.entry.obj, c.entry.json())));
    }
    const before = this.matches(c.prev);
    if (now && before) {
      if (!shared) return eventLine('MODIFIED', this.objectJson(c.entry.obj));
      return (c.line ??= eventLine('MODIFIED', this.objectJson(c.entry.obj, c.entry.json())));
    }
    if (now) return eventLine('ADDED', this.objectJson(c.entry.obj, c.entry.json()));
    if (before) {
      // no longer selected: DELETED with the previous content at the new revision
      const prev = { ...c.prev!, metadata: { ...c.prev!.metadata, resourceVersion: String(c.rv) } };
      return eventLine('DELETED', this.objectJson(prev));
    }
    return undefined;
  }

  private send(line: string): void {
    if (this.closed) return;
    this.buffer += line;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.buffer === '') return;
    const b = this.buffer;
    this.buffer = '';
    this.res.write(b);
  }

  /** Starts the stream: 410, or the initial events, then live changes. */
  start(control: WatchControl): void {
    const { req, res, store } = this;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    res.on('close', () => this.close());
    const table = store.table(req.resource);
    if (control.expireNext > 0) {
      control.expireNext--;
      this.fail(expired(`too old resource version: ${req.resourceVersion ?? '0'} (${store.rv})`).status());
      return;
    }
    let backlog: Change[] | undefined = [];
    const rv = req.resourceVersion;
    if (rv === undefined || rv === '' || rv === '0' || req.sendInitialEvents) {
      for (const e of table.entries(req.resource.namespaced ? req.namespace : undefined)) {
        if (this.matches(e.obj)) this.send(eventLine('ADDED', this.objectJson(e.obj, e.json())));
      }
      if (req.sendInitialEvents) {
        this.send(eventLine('BOOKMARK', `${this.prefix}"metadata":{"resourceVersion":"${store.rv}","annotations":{"k8s.io/initial-events-end":"true"}}}`));
      }
    } else {
      backlog = table.changesSince(Number(rv));
      if (backlog === undefined) {
        this.fail(expired(`too old resource version: ${rv} (${table.windowStart + 1})`).status());
        return;
      }
    }
    for (const c of backlog) this.deliver(c);
    this.unsubscribe = table.subscribe((c) => this.deliver(c));
    if (req.bookmarks && control.bookmarkIntervalMs > 0) {
      this.timers.push(setInterval(() => this.bookmark(), control.bookmarkIntervalMs));
    }
    if (req.timeoutSeconds > 0) this.timers.push(setTimeout(() => this.end(), req.timeoutSeconds * 1000));
  }

  private deliver(c: Change): void {
    const line = this.lineFor(c);
    if (line !== undefined) this.send(line);
  }

  /** Sends a BOOKMARK carrying the current resourceVersion (when the client asked for bookmarks). */
  bookmark(): void {
    if (!this.req.bookmarks) return;
    this.send(eventLine('BOOKMARK', `${this.prefix}"metadata":{"resourceVersion":"${this.store.rv}"}}`));
  }

  /** Sends an ERROR event with a Status and ends the stream. */
  fail(status: object): void {
    this.send(eventLine('ERROR', JSON.stringify(status)));
    this.end();
  }

  /** Ends the stream cleanly (the client re-watches from its last resourceVersion). */
  end(): void {
    if (this.closed) return;
    this.flush();
    this.res.end();
    this.close();
  }

  /** Cuts the connection without a clean end. */
  destroy(): void {
    if (this.closed) return;
    this.close();
    this.res.destroy();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    this.onClose(this);
  }
}

