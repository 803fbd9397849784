// Defaulting and validation of the smaller kinds: Namespace, Node,
// EndpointSlice, Event and ConfigMap.

import { tryParseIp } from '../../addr.js';
import { fieldErrors as fe, type FieldError } from '../errors.js';
import type { KubeObject } from '../store.js';
import { dns1123Label, dns1123Subdomain, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';

type Spec = Record<string, any>;

// -- Namespace ---------------------------------------------------------------

/** A namespace carries its own name as the `kubernetes.io/metadata.name` label. */
export function defaultNamespace(ns: KubeObject): void {
  ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns.metadata.name };
}

/** A new namespace is Active and carries the `kubernetes` finalizer the namespace controller removes. */
export function prepareNamespace(ns: KubeObject): void {
  const finalizers: string[] = ns.spec?.finalizers ?? [];
  ns.spec = { ...(ns.spec ?? {}), finalizers: finalizers.includes('kubernetes') ? finalizers : [...finalizers, 'kubernetes'] };
  ns.status = { phase: 'Active' };
}

/** ValidateNamespace / ValidateNamespaceUpdate. */
export function validateNamespace(ns: KubeObject, old?: KubeObject): FieldError[] {
  return old === undefined ? validateObjectMeta(ns, false, dns1123Label) : validateObjectMetaUpdate(ns, old);
}

// -- Node --------------------------------------------------------------------

export function validateNode(node: KubeObject, old?: KubeObject): FieldError[] {
  const errs = old === undefined ? validateObjectMeta(node, false, dns1123Subdomain) : validateObjectMetaUpdate(node, old);
  const seen = new Set<string>();
  (node.status?.addresses ?? []).forEach((a: Spec, i: number) => {
    const k = `${a.type}/${a.address}`;
    if (seen.has(k)) errs.push(fe.duplicate(`status.addresses[${i}]`, { go: `core.NodeAddress{Type:${JSON.stringify(a.type)}, Address:${JSON.stringify(a.address)}}` }));
    seen.add(k);
  });
  (node.spec?.podCIDRs ?? []).forEach((c: string, i: number) => {
    const [ip, len] = c.split('/');
    if (tryParseIp(ip ?? '') === undefined || !/^\d+$/.test(len ?? '')) {
      errs.push(fe.invalid(`spec.podCIDRs[${i}]`, c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    }
  });
  if (old !== undefined && (old.spec?.podCIDRs?.length ?? 0) > 0 && JSON.stringify(old.spec.podCIDRs) !== JSON.stringify(node.spec?.podCIDRs ?? [])) {
    errs.push(fe.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  return errs;
}

// -- EndpointSlice -------------------------------------------------------------

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;

function validateAddress(type: string, address: string, path: string): FieldError[] {
  if (type === 'FQDN') return dns1123Subdomain(address).map((m) => fe.invalid(path, address, m));
  const ip = tryParseIp(address);
  const want = type === 'IPv4' ? 4 : 6;
  if (ip === undefined || ip.family !== want) return [fe.invalid(path, address, `must be a valid ${type} address`)];
  return [];
}

function validateEndpoint(ep: Spec, i: number, type: string): FieldError[] {
  const p = `endpoints[${i}]`;
  const errs: FieldError[] = [];
  const addrs: string[] = ep.addresses ?? [];
  if (addrs.length === 0) errs.push(fe.required(`${p}.addresses`, 'must contain at least 1 address'));
  else if (addrs.length > MAX_ADDRESSES) errs.push(fe.tooMany(`${p}.addresses`, addrs.length, MAX_ADDRESSES));
  addrs.forEach((a, j) => errs.push(...validateAddress(type, a, `${p}.addresses[${j}]`)));
  if (ep.nodeName !== undefined) for (const m of dns1123Subdomain(ep.nodeName)) errs.push(fe.invalid(`${p}.nodeName`, ep.nodeName, m));
  if (ep.hostname !== undefined) for (const m of dns1123Label(ep.hostname)) errs.push(fe.invalid(`${p}.hostname`, ep.hostname, m));
  return errs;
}

/** ValidateEndpointSlice / ValidateEndpointSliceUpdate. */
export function validateEndpointSlice(slice: KubeObject, old?: KubeObject): FieldError[] {
  const errs = old === undefined ? validateObjectMeta(slice, true, dns1123Subdomain) : validateObjectMetaUpdate(slice, old);
  const type: string = slice.addressType ?? '';
  if (type === '') errs.push(fe.required('addressType'));
  else if (!ADDRESS_TYPES.includes(type)) errs.push(fe.notSupported('addressType', type, ADDRESS_TYPES));
  if (old !== undefined && old.addressType !== type) errs.push(fe.invalid('addressType', type, 'field is immutable'));
  const eps: Spec[] = slice.endpoints ?? [];
  if (eps.length > MAX_ENDPOINTS) errs.push(fe.tooMany('endpoints', eps.length, MAX_ENDPOINTS));
  if (ADDRESS_TYPES.includes(type)) eps.forEach((ep, i) => errs.push(...validateEndpoint(ep, i, type)));
  const ports: Spec[] = slice.ports ?? [];
  if (ports.length > MAX_PORTS) errs.push(fe.tooMany('ports', ports.length, MAX_PORTS));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = `ports[${i}]`;
    const name: string = port.name ?? '';
    if (name !== '') for (const m of dns1123Label(name)) errs.push(fe.invalid(`${p}.name`, name, m));
    if (names.has(name)) errs.push(fe.duplicate(`${p}.name`, name));
    names.add(name);
    if (port.protocol === undefined) errs.push(fe.required(`${p}.protocol`));
    else if (!['SCTP', 'TCP', 'UDP'].includes(port.protocol)) errs.push(fe.notSupported(`${p}.protocol`, port.protocol, ['SCTP', 'TCP', 'UDP']));
    if (port.port !== undefined && (port.port < 0 || port.port > 65535)) errs.push(fe.invalid(`${p}.port`, port.port, 'must be between 0 and 65535, inclusive'));
  });
  return errs;
}

/** EndpointSlice defaulting: protocol TCP and an empty port name. */
export function defaultEndpointSlice(slice: KubeObject): void {
  for (const p of slice.ports ?? []) {
    if (p.protocol === undefined) p.protocol = 'TCP';
    if (p.name === undefined) p.name = '';
  }
}

// -- Event, ConfigMap ----------------------------------------------------------

export function validateEvent(ev: KubeObject, old?: KubeObject): FieldError[] {
  const errs = old === undefined ? validateObjectMeta(ev, true, dns1123Subdomain) : validateObjectMetaUpdate(ev, old);
  const ns = ev.involvedObject?.namespace;
  if (ns && ns !== ev.metadata.namespace) errs.push(fe.invalid('involvedObject.namespace', ns, 'does not match event.namespace'));
  return errs;
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** ValidateConfigMap / ValidateConfigMapUpdate. */
export function validateConfigMap(cm: KubeObject, old?: KubeObject): FieldError[] {
  const errs = old === undefined ? validateObjectMeta(cm, true, dns1123Subdomain) : validateObjectMetaUpdate(cm, old);
  for (const where of ['data', 'binaryData']) {
    for (const k of Object.keys(cm[where] ?? {})) {
      if (!CONFIG_KEY.test(k) || k.length > 253) errs.push(fe.invalid(`${where}[${k}]`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
    }
  }
  if (old?.immutable === true) {
    if (JSON.stringify(cm.data ?? {}) !== JSON.stringify(old.data ?? {}) || JSON.stringify(cm.binaryData ?? {}) !== JSON.stringify(old.binaryData ?? {})) {
      errs.push(fe.forbidden('data', 'field is immutable when `immutable` is set'));
    }
    if (cm.immutable !== true) errs.push(fe.forbidden('immutable', 'field is immutable when `immutable` is set'));
  }
  return errs;
}
