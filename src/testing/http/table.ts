// Server-side printing: the meta.k8s.io/v1 Table kubectl asks for on
// `kubectl get`, with the columns kube-apiserver prints for each kind.

import type { ResourceType } from '../resources.js';
import type { KubeObject } from '../store.js';

type Obj = Record<string, any>;
type Column = [name: string, type: string, priority: number];

/** True when an Accept header asks for a Table. */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((p) => p.includes('as=Table') && p.includes('g=meta.k8s.io'));
}

/** True when an Accept header asks for metadata only (`as=PartialObjectMetadata` or `...List`), as metadata informers do. */
export function wantsPartial(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((p) => /as=PartialObjectMetadata(List)?\b/.test(p) && p.includes('g=meta.k8s.io'));
}

/** An object as PartialObjectMetadata: its kind and metadata only. */
export function partial(obj: KubeObject): object {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/** duration.HumanDuration, as the AGE column prints it. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 0) return '<invalid>';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  return y < 8 ? `${y}y${d % 365}d` : `${y}y`;
}

function age(ts: string | undefined): string {
  return ts === undefined ? '<unknown>' : humanDuration(Date.now() - Date.parse(ts));
}

const none = (s: string | undefined) => (s === undefined || s === '' ? '<none>' : s);

function selectorText(sel: Record<string, string> | undefined): string {
  const keys = Object.keys(sel ?? {}).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${sel![k]}`).join(',');
}

function serviceRow(o: Obj): unknown[] {
  const s = o.spec ?? {};
  const ports = (s.ports ?? []).map((p: Obj) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`)).join(',');
  let external: string;
  const ext: string[] = s.externalIPs ?? [];
  if (s.type === 'ExternalName') external = s.externalName ?? '';
  else if (s.type === 'LoadBalancer') {
    const ing = (o.status?.loadBalancer?.ingress ?? []).map((i: Obj) => i.ip || i.hostname);
    const all = [...ing, ...ext];
    external = all.length > 0 ? all.join(',') : '<pending>';
  } else external = ext.length > 0 ? ext.join(',') : '<none>';
  return [o.metadata.name, s.type, none(s.clusterIP), external, ports === '' ? '<none>' : ports, age(o.metadata.creationTimestamp), selectorText(s.selector)];
}

function podRow(o: Obj): unknown[] {
  const containers: Obj[] = o.spec?.containers ?? [];
  const statuses: Obj[] = o.status?.containerStatuses ?? [];
  const ready = statuses.filter((c) => c.ready).length;
  const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  let status = o.status?.reason || o.status?.phase || 'Unknown';
  if (o.metadata.deletionTimestamp !== undefined) status = 'Terminating';
  const gates = (o.spec?.readinessGates ?? []).length;
  return [o.metadata.name, `${ready}/${containers.length}`, status, restarts, age(o.metadata.creationTimestamp),
    none(o.status?.podIP), none(o.spec?.nodeName), none(o.status?.nominatedNodeName), gates === 0 ? '<none>' : String(gates)];
}

function nodeRow(o: Obj): unknown[] {
  const ready = (o.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
  let status = ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown';
  if (o.spec?.unschedulable) status += ',SchedulingDisabled';
  const roles = Object.keys(o.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice(24)).sort();
  const addr = (t: string) => none((o.status?.addresses ?? []).find((a: Obj) => a.type === t)?.address);
  const info = o.status?.nodeInfo ?? {};
  return [o.metadata.name, status, roles.length > 0 ? roles.join(',') : '<none>', age(o.metadata.creationTimestamp), info.kubeletVersion ?? '',
    addr('InternalIP'), addr('ExternalIP'), none(info.osImage), none(info.kernelVersion), none(info.containerRuntimeVersion)];
}

function sliceRow(o: Obj): unknown[] {
  const ports: Obj[] = o.ports ?? [];
  const addrs: string[] = (o.endpoints ?? []).flatMap((e: Obj) => e.addresses ?? []);
  const shown = addrs.slice(0, 3).join(',');
  const eps = addrs.length === 0 ? '<unset>' : addrs.length > 3 ? `${shown} + ${addrs.length - 3} more...` : shown;
  return [o.metadata.name, o.addressType, ports.length === 0 ? '<unset>' : ports.map((p) => p.port ?? '<unset>').join(','), eps, age(o.metadata.creationTimestamp)];
}

function eventRow(o: Obj): unknown[] {
  const last = o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
  const inv = o.involvedObject ?? {};
  const src = o.source?.component ? `${o.source.component}${o.source.host ? `, ${o.source.host}` : ''}` : o.reportingComponent ?? '';
  return [age(last), o.type ?? '', o.reason ?? '', `${String(inv.kind ?? '').toLowerCase()}/${inv.name ?? ''}`, inv.fieldPath ?? '', src, o.message ?? '',
    age(o.firstTimestamp ?? o.eventTime), o.count ?? 1, o.metadata.name];
}

const TABLES: Record<string, { columns: Column[]; row: (o: Obj) => unknown[] }> = {
  services: {
    columns: [['Name', 'string', 0], ['Type', 'string', 0], ['Cluster-IP', 'string', 0], ['External-IP', 'string', 0], ['Port(s)', 'string', 0], ['Age', 'string', 0], ['Selector', 'string', 1]],
    row: serviceRow,
  },
  pods: {
    columns: [['Name', 'string', 0], ['Ready', 'string', 0], ['Status', 'string', 0], ['Restarts', 'string', 0], ['Age', 'string', 0],
      ['IP', 'string', 1], ['Node', 'string', 1], ['Nominated Node', 'string', 1], ['Readiness Gates', 'string', 1]],
    row: podRow,
  },
  nodes: {
    columns: [['Name', 'string', 0], ['Status', 'string', 0], ['Roles', 'string', 0], ['Age', 'string', 0], ['Version', 'string', 0],
      ['Internal-IP', 'string', 1], ['External-IP', 'string', 1], ['OS-Image', 'string', 1], ['Kernel-Version', 'string', 1], ['Container-Runtime', 'string', 1]],
    row: nodeRow,
  },
  namespaces: { columns: [['Name', 'string', 0], ['Status', 'string', 0], ['Age', 'string', 0]], row: (o) => [o.metadata.name, o.status?.phase ?? '', age(o.metadata.creationTimestamp)] },
  endpointslices: { columns: [['Name', 'string', 0], ['AddressType', 'string', 0], ['Ports', 'string', 0], ['Endpoints', 'string', 0], ['Age', 'string', 0]], row: sliceRow },
  configmaps: { columns: [['Name', 'string', 0], ['Data', 'integer', 0], ['Age', 'string', 0]], row: (o) => [o.metadata.name, Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, age(o.metadata.creationTimestamp)] },
  events: {
    columns: [['Last Seen', 'string', 0], ['Type', 'string', 0], ['Reason', 'string', 0], ['Object', 'string', 0], ['Subobject', 'string', 1], ['Source', 'string', 1],
      ['Message', 'string', 0], ['First Seen', 'string', 1], ['Count', 'string', 1], ['Name', 'string', 1]],
    row: eventRow,
  },
};

/** A meta.k8s.io/v1 Table of `objects`; rows carry PartialObjectMetadata unless includeObject=None/Object says otherwise. */
export function tableFor(r: ResourceType, objects: KubeObject[], list: { resourceVersion: string; continue?: string; remainingItemCount?: number } | undefined, q: URLSearchParams): object {
  const t = TABLES[r.resource]!;
  const include = q.get('includeObject') ?? 'Metadata';
  const columnDefinitions = t.columns.map(([name, type, priority]) => ({
    name, type, format: name === 'Name' ? 'name' : '', description: name, priority,
  }));
  const rows = objects.map((o) => {
    const row: Record<string, unknown> = { cells: t.row(o) };
    if (include === 'Object') row.object = { kind: r.kind, apiVersion: r.group === '' ? r.version : `${r.group}/${r.version}`, ...o };
    else if (include !== 'None') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
    return row;
  });
  const metadata: Record<string, unknown> = list === undefined ? { resourceVersion: objects[0]?.metadata.resourceVersion ?? '' } : { resourceVersion: list.resourceVersion };
  if (list?.continue !== undefined) metadata.continue = list.continue;
  if (list?.remainingItemCount !== undefined) metadata.remainingItemCount = list.remainingItemCount;
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions, rows };
}
