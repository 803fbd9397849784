// Parsing an API request: its path into group, version, namespace,
// resource, name and subresource; its body (JSON or YAML); its query
// options; and writing JSON answers.

import type { IncomingMessage, ServerResponse } from 'node:http';

import { parse as parseYaml } from 'yaml';

import { badRequest, StatusError, unsupportedMediaType, type Status } from '../errors.js';
import { lookupKind } from '../resources.js';
import { decodeProtobuf, ProtobufError } from '../schema/protobuf.js';

/** A request path split the way the API server routes it. */
export interface ResourcePath {
  group: string;
  version: string;
  namespace: string | undefined;
  resource: string;
  name: string | undefined;
  subresource: string | undefined;
}

/** Splits /api/v1/... or /apis/<g>/<v>/...; undefined for anything else. */
export function parseResourcePath(path: string): ResourcePath | { group: string; version: string; rest: [] } | undefined {
  const seg = path.split('/').filter((s) => s !== '').map(decodeURIComponent);
  let group: string, version: string | undefined, rest: string[];
  if (seg[0] === 'api') { group = ''; version = seg[1]; rest = seg.slice(2); }
  else if (seg[0] === 'apis') { group = seg[1] ?? ''; version = seg[2]; rest = seg.slice(3); }
  else return undefined;
  if (version === undefined) return undefined;
  if (rest.length === 0) return { group, version, rest: [] };
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    return { group, version, namespace: rest[1], resource: rest[2]!, name: rest[3], subresource: rest[4] };
  }
  return { group, version, namespace: undefined, resource: rest[0]!, name: rest[1], subresource: rest[2] };
}

/** Reads the whole request body. */
export function readBody(req: IncomingMessage, limit = 3 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The media type without parameters, lower case. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Parses a JSON or YAML request body; a syntax error is a 400 with the parser's words. */
export function parseBody(body: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  const text = body.toString('utf8');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    try {
      return parseYaml(text);
    } catch (e) {
      throw badRequest(`error converting YAML to JSON: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (type === 'application/vnd.kubernetes.protobuf') {
    try {
      return decodeProtobuf(body, (apiVersion, kind) => lookupKind(apiVersion, kind)?.schema);
    } catch (e) {
      if (!(e instanceof ProtobufError)) throw e;
      if (e.message.includes('send the object as JSON')) throw unsupportedMediaType(e.message);
      throw badRequest(e.message);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`couldn't get version/kind; json parse error: ${goJsonError(e as Error, text)}`);
  }
}

/** encoding/json's wording for a syntax error, near enough. */
function goJsonError(e: Error, text: string): string {
  if (text.trim() === '') return 'unexpected end of JSON input';
  const m = /Unexpected token '?(.)'?/.exec(e.message) ?? /Unexpected token (.)/.exec(e.message);
  if (m !== null) return `invalid character '${m[1]}' looking for beginning of value`;
  if (/end of JSON|Unterminated/.test(e.message)) return 'unexpected end of JSON input';
  return e.message;
}

/** Writes a JSON body (a string already serialized, or a value). */
export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Writes a metav1.Status failure. */
export function sendStatus(res: ServerResponse, status: Status): void {
  sendJson(res, status.code ?? 200, status);
}

/** A query parameter as an integer; a bad one is a 400. */
export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`${name}: Invalid value: ${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

/** A query parameter as a boolean (`true`/`1`). */
export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}
