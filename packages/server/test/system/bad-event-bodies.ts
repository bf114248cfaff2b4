import { deeplyNested, validEvent, withField, withoutField, withRawJson, type Json } from './event-bodies.js';
import type { RawRequest } from './inject-harness.js';

export interface RejectionCase {
  name: string;
  request: RawRequest;
  /** Exact status when the contract fixes one; otherwise any 4xx. */
  status?: number;
  /** Some errors[].path must equal this pointer or lie below it. */
  path?: string;
}

const post = (payload: string | Buffer | object, contentType?: string | null): RawRequest => ({
  method: 'POST',
  url: '/v1/events',
  payload,
  ...(contentType !== undefined ? { contentType } : {}),
});

const validText = (): string => JSON.stringify(validEvent());

/** A valid event whose actor.id carries the byte 0xFF, which never occurs in UTF-8. */
function withInvalidUtf8(): Buffer {
  const [head, tail] = withRawJson('/actor/id', '"u-|-x"').split('|') as [string, string];
  return Buffer.concat([Buffer.from(head), Buffer.from([0xff]), Buffer.from(tail)]);
}

const malformed: RejectionCase[] = [
  { name: 'truncated JSON', request: post('{"action":"document.update",'), status: 400 },
  { name: 'single-quoted JSON', request: post("{'action':'document.update'}"), status: 400 },
  { name: 'trailing comma', request: post(validText().replace(/}$/, ',}')), status: 400 },
  { name: 'two JSON documents', request: post(`${validText()}${validText()}`), status: 400 },
  { name: 'empty body declared as JSON', request: post(''), status: 400 },
  { name: 'JSON null', request: post('null'), status: 400 },
  { name: 'JSON array', request: post(`[${validText()}]`), status: 400 },
  { name: 'JSON string', request: post('"user.login"'), status: 400 },
  { name: 'raw NUL byte inside a string', request: post(withRawJson('/actor/id', '"u\u0000x"')), status: 400 },
  { name: 'raw newline inside a string', request: post(withRawJson('/actor/id', '"u\nx"')), status: 400 },
  {
    // A decoder that substitutes U+FFFD would store something other than what the producer sent.
    name: 'invalid UTF-8 in a string',
    request: post(withInvalidUtf8()),
    status: 400,
  },
  { name: '__proto__ key', request: post(withRawJson('/metadata', '{"__proto__":{"admin":true}}')), status: 400 },
  {
    name: 'a number beyond float range',
    request: post(withRawJson('/metadata', '{"n":1e400}')),
    status: 400,
    path: '/metadata',
  },
];

const contentTypes: RejectionCase[] = [
  { name: 'text/plain', request: post(validText(), 'text/plain'), status: 415 },
  { name: 'form encoding', request: post('action=user.login', 'application/x-www-form-urlencoded'), status: 415 },
  { name: 'XML', request: post('<event/>', 'application/xml'), status: 415 },
  { name: 'no content type', request: post(validText(), null) },
];

const wrongTypes: [string, Json][] = [
  ['/id', 5],
  ['/id', 'not-a-uuid'],
  ['/id', '{6f1c2a7e-9a4b-4c1e-8f1d-2b3c4d5e6f70}'],
  ['/tenant', 'Not A Tenant'],
  ['/action', 5],
  ['/action', 'User.Login'],
  ['/action', 'login'],
  ['/action', `a.${'b'.repeat(200)}`],
  ['/actor', 'user-1'],
  ['/actor', null],
  ['/actor', []],
  ['/actor/id', 7],
  ['/actor/id', ''],
  ['/actor/id', null],
  ['/actor/type', 'robot'],
  ['/actor/email', 5],
  ['/actor/email', 'not an address'],
  ['/actor/admin', true],
  ['/resource', 'doc'],
  ['/resource/type', {}],
  ['/resource/id', 3],
  ['/outcome', 'maybe'],
  ['/outcome', true],
  ['/occurred_at', 12345],
  ['/occurred_at', '2024-01-01'],
  ['/occurred_at', '2024-01-01T00:00:00'],
  ['/occurred_at', '2024-02-30T00:00:00Z'],
  ['/context', 'x'],
  ['/context/ip', 5],
  ['/context/unknown', 'x'],
  ['/changes', 'x'],
  ['/changes/before', 5],
  ['/changes/after', []],
  ['/metadata', []],
  ['/metadata', 'str'],
  ['/metadata', 5],
  ['/classification', 'secret'],
  ['/compliance_tags', 'pci'],
  ['/compliance_tags', [1]],
  ['/retention_category', 5],
  ['/colour', 'red'],
];

const typeCases: RejectionCase[] = wrongTypes.map(([pointer, value]) => ({
  name: `${pointer} = ${JSON.stringify(value).slice(0, 40)}`,
  request: post(withField(pointer, value)),
  status: 400,
  path: pointer,
}));

const missingCases: RejectionCase[] = [
  ...['/action', '/actor', '/actor/id', '/resource', '/resource/type', '/resource/id'].map((pointer) => ({
    name: `missing ${pointer}`,
    request: post(withoutField(pointer)),
    status: 400,
    path: pointer,
  })),
  { name: 'empty object', request: post({}), status: 400 },
];

const NUL = '\\u0000';
const LONE_HIGH = '\\ud800';
const LONE_LOW = '\\udc00';

const textCases: RejectionCase[] = [
  ['/actor/id', `"u${NUL}"`],
  ['/resource/id', `"${NUL}"`],
  ['/action', `"document.update${NUL}"`],
  ['/context/reason', `"because${NUL}"`],
  ['/metadata', `{"note":"a${NUL}b"}`],
  ['/metadata', `{"list":["ok","x${NUL}"]}`],
  ['/metadata', `{"k${NUL}ey":1}`],
  ['/changes', `{"after":{"t${NUL}itle":"x"}}`],
  ['/actor/name', `"${LONE_HIGH}"`],
  ['/resource/name', `"x${LONE_LOW}y"`],
  ['/metadata', `{"note":"${LONE_HIGH}"}`],
  ['/metadata', `{"note":"${LONE_LOW}${LONE_HIGH}"}`],
  ['/metadata', `{"${LONE_HIGH}":1}`],
  ['/changes', `{"before":{"${LONE_LOW}":"x"}}`],
].map(([pointer, raw]) => ({
  name: `${pointer} holds ${raw}`,
  request: post(withRawJson(pointer as string, raw as string)),
  status: 400,
  path: pointer as string,
}));

const DEEP = 5000;
const depthCases: RejectionCase[] = [
  ['/metadata', deeplyNested(DEEP, 'object')],
  ['/metadata', `{"a":${deeplyNested(DEEP, 'array')}}`],
  ['/changes', `{"before":${deeplyNested(DEEP, 'object')}}`],
].map(([pointer, raw]) => ({
  name: `${DEEP}-deep nesting in ${pointer} (${(raw as string).slice(0, 6)}...)`,
  request: post(withRawJson(pointer as string, raw as string)),
  status: 400,
  path: pointer as string,
}));

const sizeCases: RejectionCase[] = [
  {
    name: '1,001-event batch',
    request: post({ events: Array.from({ length: 1001 }, () => validEvent()) }),
    status: 400,
  },
  { name: 'empty batch', request: post({ events: [] }), status: 400 },
  { name: 'batch that is not an array', request: post({ events: validEvent() }), status: 400 },
  { name: 'batch with a null event', request: post({ events: [validEvent(), null] }), status: 400, path: '/events/1' },
  { name: 'batch with a sibling property', request: post({ events: [validEvent()], extra: 1 }), status: 400 },
  {
    name: '20 MiB body',
    request: post(JSON.stringify(validEvent({ metadata: { blob: 'x'.repeat(20 * 1024 * 1024) } }))),
    status: 413,
  },
  {
    name: 'occurred_at 10 minutes in the future',
    // Built when sent, so the distance to the service's clock is ten minutes whenever the case runs.
    get request() {
      return post(validEvent({ occurred_at: new Date(Date.now() + 10 * 60_000).toISOString() }));
    },
    status: 400,
    path: '/occurred_at',
  },
];

export const BAD_EVENT_BODIES: Record<string, RejectionCase[]> = {
  'malformed JSON': malformed,
  'wrong content type': contentTypes,
  'wrong types': typeCases,
  'missing required fields': missingCases,
  'NUL and lone surrogates': textCases,
  'hostile nesting': depthCases,
  'batch and body size': sizeCases,
};
