// Object metadata validation (apimachinery's ValidateObjectMeta and
// ValidateObjectMetaUpdate) and the name rules each kind uses.

import { fieldErrors as fe, type FieldError } from '../errors.js';
import { labelKeyErrors, labelValueErrors } from '../selectors.js';
import type { KubeObject } from '../store.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/** A name rule: the messages for a bad name (empty when it is fine). */
export type NameRule = (name: string) => string[];

/** IsDNS1123Label: namespaces, port names. */
export const dns1123Label: NameRule = (s) => {
  const errs: string[] = [];
  if (s.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(s)) errs.push(LABEL_MSG);
  return errs;
};

/** IsDNS1035Label: service names. */
export const dns1035Label: NameRule = (s) => {
  const errs: string[] = [];
  if (s.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1035_LABEL.test(s)) errs.push(DNS1035_MSG);
  return errs;
};

/** IsDNS1123Subdomain: pods, nodes, config maps, endpoint slices, events. */
export const dns1123Subdomain: NameRule = (s) => {
  const errs: string[] = [];
  if (s.length > 253) errs.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(s)) errs.push(SUBDOMAIN_MSG);
  return errs;
};

/** IsValidPortName: a named (target) port. */
export function portNameErrors(s: string): string[] {
  const errs: string[] = [];
  if (s.length < 1 || s.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(s)) errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (s.includes('--')) errs.push('must not contain consecutive hyphens');
  if (!/[a-z]/.test(s)) errs.push('must contain at least one letter (a-z)');
  if (s.startsWith('-') || s.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** ValidateLabels. */
export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of labelKeyErrors(k)) errs.push(fe.invalid(path, k, m));
    for (const m of labelValueErrors(v)) errs.push(fe.invalid(`${path}[${k}]`, v, m));
  }
  return errs;
}

const TOTAL_ANNOTATION_SIZE = 256 * 1024;

function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const m of labelKeyErrors(k.toLowerCase())) errs.push(fe.invalid(path, k, m));
    size += k.length + v.length;
  }
  if (size > TOTAL_ANNOTATION_SIZE) errs.push(fe.tooLong(path, `must have at most ${TOTAL_ANNOTATION_SIZE} bytes`));
  return errs;
}

/** ValidateObjectMeta on create. */
export function validateObjectMeta(obj: KubeObject, namespaced: boolean, nameRule: NameRule): FieldError[] {
  const m = obj.metadata;
  const errs: FieldError[] = [];
  if (m.generateName !== undefined && m.generateName !== '') {
    for (const msg of nameRule(`${m.generateName}a`)) errs.push(fe.invalid('metadata.generateName', m.generateName, msg));
  }
  if (m.name === undefined || m.name === '') {
    errs.push(fe.required('metadata.name', 'name or generateName is required'));
  } else {
    for (const msg of nameRule(m.name)) errs.push(fe.invalid('metadata.name', m.name, msg));
  }
  if (namespaced) {
    if (m.namespace === undefined || m.namespace === '') errs.push(fe.required('metadata.namespace'));
    else for (const msg of dns1123Label(m.namespace)) errs.push(fe.invalid('metadata.namespace', m.namespace, msg));
  } else if (m.namespace !== undefined && m.namespace !== '') {
    errs.push(fe.forbidden('metadata.namespace', 'not allowed on this type'));
  }
  errs.push(...validateLabels(m.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(m.annotations, 'metadata.annotations'));
  for (const [i, f] of (m.finalizers ?? []).entries()) {
    for (const msg of labelKeyErrors(f)) errs.push(fe.invalid(`metadata.finalizers[${i}]`, f, msg));
  }
  for (const [i, r] of (m.ownerReferences ?? []).entries()) {
    const p = `metadata.ownerReferences[${i}]`;
    if (!r.apiVersion) errs.push(fe.invalid(`${p}.apiVersion`, r.apiVersion ?? '', 'version must not be empty'));
    if (!r.kind) errs.push(fe.invalid(`${p}.kind`, r.kind ?? '', 'kind must not be empty'));
    if (!r.name) errs.push(fe.invalid(`${p}.name`, r.name ?? '', 'name must not be empty'));
    if (!r.uid) errs.push(fe.invalid(`${p}.uid`, r.uid ?? '', 'uid must not be empty'));
  }
  return errs;
}

/** ValidateObjectMetaUpdate: what may not change. */
export function validateObjectMetaUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const immutable = (field: string, a: unknown, b: unknown) => {
    if (a !== b) errs.push(fe.invalid(`metadata.${field}`, typeof a === 'string' ? a : String(a), 'field is immutable'));
  };
  immutable('name', obj.metadata.name, old.metadata.name);
  immutable('namespace', obj.metadata.namespace ?? '', old.metadata.namespace ?? '');
  errs.push(...validateLabels(obj.metadata.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(obj.metadata.annotations, 'metadata.annotations'));
  return errs;
}
