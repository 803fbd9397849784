// The API server's failure answers: metav1.Status bodies with the real
// reasons, codes and message texts, and field errors formatted the way
// k8s.io/apimachinery/pkg/util/validation/field prints them.

/** A group-qualified resource, as error messages name it (`services`, `endpointslices.discovery.k8s.io`). */
export interface GroupResource {
  group: string;
  resource: string;
}

/** One cause of a Status (a field error). */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** The details of a Status: the object and the causes. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A metav1.Status object as the server sends it. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  /** Set on failures; a Success status (an immediate delete) has none. */
  code?: number;
}

/** A request the API refuses; `status()` is the body the server answers with. */
export class StatusError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details?: StatusDetails;

  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'StatusError';
    this.code = code;
    this.reason = reason;
    if (details !== undefined) this.details = details;
  }

  /** The metav1.Status body. */
  status(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
    if (this.details !== undefined) s.details = this.details;
    return s;
  }
}

/** `services "x"` / `endpointslices.discovery.k8s.io "x"`. */
export function qualified(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

function details(gr: GroupResource, name: string): StatusDetails {
  return gr.group === '' ? { name, kind: gr.resource } : { name, group: gr.group, kind: gr.resource };
}

/** 404 NotFound for a named object. */
export function notFound(gr: GroupResource, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualified(gr)} ${JSON.stringify(name)} not found`, details(gr, name));
}

/** 404 for a path the server does not serve. */
export function resourceNotFound(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** 409 AlreadyExists. */
export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualified(gr)} ${JSON.stringify(name)} already exists`, details(gr, name));
}

/** 409 Conflict: a write carried a stale resourceVersion. */
export function conflict(gr: GroupResource, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): StatusError {
  return new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} ${JSON.stringify(name)}: ${why}`, details(gr, name));
}

/** 400 BadRequest. */
export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** 403 Forbidden. */
export function forbidden(gr: GroupResource, name: string, why: string, causes?: StatusCause[]): StatusError {
  const d = details(gr, name);
  if (causes !== undefined) d.causes = causes;
  const what = name === '' ? qualified(gr) : `${qualified(gr)} ${JSON.stringify(name)}`;
  return new StatusError(403, 'Forbidden', `${what} is forbidden: ${why}`, d);
}

/** 405 MethodNotAllowed. */
export function methodNotAllowed(gr: GroupResource, verb: string): StatusError {
  return new StatusError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualified(gr)}"`, {});
}

/** 410 Expired (watch from a compacted resourceVersion, stale continue token). */
export function expired(message: string): StatusError {
  return new StatusError(410, 'Expired', message);
}

/** 415 UnsupportedMediaType: a body type the server does not take (or, for protobuf, a field it cannot read). */
export function unsupportedMediaType(message: string): StatusError {
  return new StatusError(415, 'UnsupportedMediaType', message);
}

/** 500 InternalError. */
export function internalError(e: unknown): StatusError {
  const why = e instanceof Error ? e.message : String(e);
  return new StatusError(500, 'InternalError', `Internal error occurred: ${why}`, { causes: [{ message: why }] });
}

// -- field errors -------------------------------------------------------------

export type FieldErrorType =
  | 'FieldValueNotFound' | 'FieldValueRequired' | 'FieldValueDuplicate' | 'FieldValueInvalid'
  | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueTooMany' | 'InternalError';

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
};

/** A value as Go's fmt prints it in a field error: strings quoted, numbers bare, or a preformatted `%#v`. */
export type BadValue = string | number | boolean | null | { go: string };

/** Go's `%#v` of a []string. */
export function goStrings(values: readonly string[]): { go: string } {
  return { go: `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}` };
}

/** One field.Error. */
export class FieldError {
  constructor(readonly type: FieldErrorType, readonly field: string, readonly value: BadValue | undefined, readonly detail: string) {}

  /** ErrorBody(): the message without the field path. */
  body(): string {
    let s = TYPE_TEXT[this.type];
    const valueShown = !['FieldValueRequired', 'FieldValueForbidden', 'FieldValueTooLong', 'InternalError'].includes(this.type) && this.value !== undefined;
    if (valueShown) {
      const v = this.value!;
      if (v === null) s += ': null';
      else if (typeof v === 'string') s += `: ${JSON.stringify(v)}`;
      else if (typeof v === 'object') s += `: ${v.go}`;
      else s += `: ${String(v)}`;
    }
    return this.detail === '' ? s : `${s}: ${this.detail}`;
  }

  toString(): string {
    return `${this.field}: ${this.body()}`;
  }
}

/** Constructors of field errors, named after field.Required, field.Invalid, ... */
export const fieldErrors = {
  required: (field: string, detail = '') => new FieldError('FieldValueRequired', field, '', detail),
  invalid: (field: string, value: BadValue, detail: string) => new FieldError('FieldValueInvalid', field, value, detail),
  duplicate: (field: string, value: BadValue) => new FieldError('FieldValueDuplicate', field, value, ''),
  forbidden: (field: string, detail: string) => new FieldError('FieldValueForbidden', field, '', detail),
  notFound: (field: string, value: BadValue) => new FieldError('FieldValueNotFound', field, value, ''),
  notSupported: (field: string, value: BadValue, valid: readonly string[]) =>
    new FieldError('FieldValueNotSupported', field, value, valid.length === 0 ? '' : `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}`),
  tooLong: (field: string, detail: string) => new FieldError('FieldValueTooLong', field, '', detail),
  tooMany: (field: string, actual: number, max: number) => new FieldError('FieldValueTooMany', field, actual, `must have at most ${max} items`),
};

/** 422 Invalid with one cause per field error (duplicates dropped, as ToAggregate does). */
export function invalid(kind: string, group: string, name: string, errs: readonly FieldError[]): StatusError {
  const seen = new Set<string>();
  const unique = errs.filter((e) => {
    const k = e.toString();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const agg = unique.length === 1 ? unique[0]!.toString() : `[${unique.map((e) => e.toString()).join(', ')}]`;
  const d: StatusDetails = group === '' ? { name, kind } : { name, group, kind };
  d.causes = unique.map((e) => ({ reason: e.type, message: e.body(), field: e.field }));
  return new StatusError(422, 'Invalid', `${kind} ${JSON.stringify(name)} is invalid: ${agg}`, d);
}
