// k8s.io/api/discovery/v1: EndpointSlice.

import { ObjectReference } from './core.js';
import { kindSchema } from './meta.js';
import { always, bool, i32, listOf, ptr, str, struct } from './types.js';

const DISCOVERY = 'io.k8s.api.discovery.v1';
const atomic = { listType: 'atomic' as const };

const EndpointConditions = struct(DISCOVERY, 'EndpointConditions', {
  ready: ptr(bool),
  serving: ptr(bool),
  terminating: ptr(bool),
});

const EndpointHints = struct(DISCOVERY, 'EndpointHints', {
  forZones: listOf(struct(DISCOVERY, 'ForZone', { name: always(str) }), atomic),
});

const Endpoint = struct(DISCOVERY, 'Endpoint', {
  addresses: always(listOf(str, { listType: 'set' })),
  conditions: EndpointConditions,
  hostname: ptr(str),
  targetRef: ptr(ObjectReference),
  deprecatedTopology: { schema: { kind: 'map', values: str }, presence: 'omitempty' },
  nodeName: ptr(str),
  zone: ptr(str),
  hints: ptr(EndpointHints),
}, { required: ['addresses'] });

const EndpointPort = struct(DISCOVERY, 'EndpointPort', {
  name: ptr(str),
  protocol: ptr(str),
  port: ptr(i32),
  appProtocol: ptr(str),
});

/** discovery/v1 EndpointSlice. */
export const EndpointSlice = kindSchema(DISCOVERY, 'discovery.k8s.io', 'v1', 'EndpointSlice', {
  addressType: always(str),
  endpoints: always(listOf(Endpoint, atomic)),
  ports: listOf(EndpointPort, atomic),
});
EndpointSlice.required = ['addressType', 'endpoints'];
