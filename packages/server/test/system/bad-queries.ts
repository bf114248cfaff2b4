import type { RejectionCase } from './bad-event-bodies.js';

const get = (query: string): RejectionCase['request'] => ({ method: 'GET', url: `/v1/events?${query}` });
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

const unknownParams: RejectionCase[] = ['colour=red', 'actorId=user-1', 'limit=10&sort=asc', 'tenant_id=other'].map(
  (query) => ({ name: query, request: get(query), status: 400 }),
);

const limits: RejectionCase[] = ['0', '1001', 'abc', '-1', '1.5', '', '99999999999999999999', 'limit=1&limit=2'].map(
  (value) => ({
    name: value.includes('=') ? value : `limit=${JSON.stringify(value)}`,
    request: get(value.includes('=') ? value : `limit=${encodeURIComponent(value)}`),
    status: 400,
    path: '/query/limit',
  }),
);

const NOT_RFC3339 = [
  '2024-01-01',
  'yesterday',
  '2024-01-01T00:00:00',
  '2024-01-01 00:00:00Z',
  '1700000000',
  '2024-13-01T00:00:00Z',
  '2024-02-30T00:00:00Z',
  "' OR 1=1 --",
];

const instants: RejectionCase[] = [
  ...['from', 'to'].flatMap((param) =>
    NOT_RFC3339.map((value) => ({
      name: `${param}=${value}`,
      request: get(`${param}=${encodeURIComponent(value)}`),
      status: 400,
      path: `/query/${param}`,
    })),
  ),
  { name: 'to before from', request: get('from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z'), status: 400 },
];

const cursors: RejectionCase[] = [
  'garbage!!',
  'not a cursor',
  b64('hello world'),
  '-1',
  '0',
  '99999999999999999999999999',
  'A'.repeat(5000),
  b64('null'),
  b64('[]'),
  b64('{}'),
  b64('{"v":1,"b":5,"q":"0000000000000000"}'),
  b64('{"v":1,"b":-1,"q":"0000000000000000"}'),
  b64('{"v":2,"b":5,"q":"0000000000000000"}'),
  b64(`{"v":1,"b":"5","q":"0000000000000000"}`),
].map((cursor) => ({
  name: `cursor=${cursor.slice(0, 40)}`,
  request: get(`cursor=${encodeURIComponent(cursor)}`),
  status: 400,
  path: '/query/cursor',
}));

const enums: RejectionCase[] = [
  { name: 'outcome=maybe', request: get('outcome=maybe'), status: 400, path: '/query/outcome' },
  { name: 'empty actor_id', request: get('actor_id='), status: 400, path: '/query/actor_id' },
];

export const BAD_QUERIES: Record<string, RejectionCase[]> = {
  'unknown query parameters': unknownParams,
  'bad limits': limits,
  'from/to not RFC 3339': instants,
  'bad cursors': cursors,
  'bad filter values': enums,
};

export interface Injection {
  label: string;
  /** As it appears in the query string. */
  encoded: string;
  /** The text the filter should compare against; null when no stored value can equal it. */
  value: string | null;
}

const plain = (value: string): Injection => ({
  label: JSON.stringify(value),
  encoded: encodeURIComponent(value),
  value,
});

/** Values that break naive SQL, LIKE patterns or text encodings; the filters must treat them as plain text. */
export const INJECTIONS: Injection[] = [
  plain("' OR 1=1 --"),
  plain("'; DROP TABLE events; --"),
  plain('%'),
  plain('_'),
  plain('\\'),
  plain('$1'),
  plain('ünï 🙂 用户'),
  plain('%00'),
  plain('*'),
  plain('.*'),
  { label: 'NUL', encoded: '%00', value: null },
  { label: 'lone surrogate as CESU-8 bytes', encoded: '%ED%A0%80', value: null },
  { label: 'invalid percent escape', encoded: '%E0%A4%A', value: null },
];

export const FILTERS = ['actor_id', 'action', 'resource_type', 'resource_id', 'outcome', 'q'] as const;
export type FilterName = (typeof FILTERS)[number];
