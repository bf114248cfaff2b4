import { newEventId, type EventInput, type JsonObject } from '@audit-ledger/core';
import { seededRandom, type SeededRandom } from './seeded-random.js';

/**
 * Events shaped like a B2B SaaS backend's audit trail: a few hundred recurring users acting on business records, with
 * request context, a before/after diff of a handful of fields, and tracing metadata. Sizes matter more than meaning
 * here: leaf length, index key widths and search words drive the cost of every write.
 */

const FIRST_NAMES = ['Maria', 'James', 'Aiko', 'Oluwaseun', 'Liam', 'Sofia', 'Mateo', 'Priya', 'Chen', 'Fatima', 'Noah', 'Elena'];
const LAST_NAMES = ['Schmidt', 'Okafor', 'Tanaka', 'García', 'Johansson', 'Patel', 'Kowalski', 'Nguyen', 'Rossi', 'Haddad'];
const DOMAINS = ['acme-corp.example', 'globex.example', 'initech.example', 'umbrella-health.example'];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'acme-billing-worker/3.8.2 node/20.12.2',
];
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];
const FLAGS = ['new-billing', 'bulk-export', 'sso-enforced', 'audit-v2', 'dark-mode'];

interface ResourceKind {
  type: string;
  prefix: string;
  name(random: SeededRandom): string;
  state(random: SeededRandom): JsonObject;
}

const RESOURCE_KINDS: readonly ResourceKind[] = [
  {
    type: 'invoice',
    prefix: 'inv',
    name: (r) => `Invoice ${r.int(2023, 2025)}-${String(r.int(1, 99999)).padStart(5, '0')}`,
    state: (r) => ({
      status: r.pick(['draft', 'sent', 'paid', 'overdue', 'void']),
      amount_cents: r.int(1000, 5_000_000),
      currency: r.pick(['EUR', 'USD', 'GBP']),
      due_date: `2025-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`,
    }),
  },
  {
    type: 'document',
    prefix: 'doc',
    name: (r) => `${r.pick(['Q3 forecast', 'Vendor contract', 'Onboarding checklist', 'Security review'])} v${r.int(1, 9)}`,
    state: (r) => ({
      title: `${r.pick(['Draft', 'Final', 'Reviewed'])} ${r.token(8)}`,
      status: r.pick(['draft', 'in_review', 'approved', 'archived']),
      visibility: r.pick(['private', 'team', 'organization']),
      owner_id: `usr_${r.token(12)}`,
    }),
  },
  {
    type: 'user',
    prefix: 'usr',
    name: (r) => `${r.pick(FIRST_NAMES)} ${r.pick(LAST_NAMES)}`,
    state: (r) => ({
      role: r.pick(['viewer', 'editor', 'admin', 'billing']),
      mfa_enabled: r.next() < 0.7,
      locale: r.pick(['en-GB', 'de-DE', 'ja-JP', 'es-ES']),
      status: r.pick(['active', 'suspended', 'invited']),
    }),
  },
  {
    type: 'subscription',
    prefix: 'sub',
    name: (r) => `${r.pick(['Team', 'Business', 'Enterprise'])} plan`,
    state: (r) => ({
      plan: r.pick(['team', 'business', 'enterprise']),
      seats: r.int(5, 500),
      billing_cycle: r.pick(['monthly', 'annual']),
      auto_renew: r.next() < 0.8,
    }),
  },
];

interface Actor {
  id: string;
  name: string;
  email: string;
}

function actorPool(random: SeededRandom, size: number): Actor[] {
  return Array.from({ length: size }, () => {
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    return {
      id: `usr_${random.token(12)}`,
      name: `${first} ${last}`,
      email: `${first}.${last}@${random.pick(DOMAINS)}`.toLowerCase(),
    };
  });
}

/** Changes one to three fields of the after-state, as an update form would; a changed field gets a new value. */
function edited(random: SeededRandom, kind: ResourceKind, before: JsonObject): JsonObject {
  const after: JsonObject = { ...before };
  const keys = Object.keys(before);
  for (let n = random.int(1, 3); n > 0; n--) {
    const key = random.pick(keys);
    for (let attempt = 0; attempt < 8 && after[key] === before[key]; attempt++) after[key] = kind.state(random)[key] ?? null;
  }
  return after;
}

export interface EventGenerator {
  next(): EventInput;
}

/** The same seed gives the same sequence of events apart from their ids, which are fresh UUIDv7s as a producer sends. */
export function createEventGenerator(seed: number): EventGenerator {
  const random = seededRandom(seed);
  const actors = actorPool(random, 300);
  return {
    next(): EventInput {
      const actor = random.pick(actors);
      const kind = random.pick(RESOURCE_KINDS);
      const roll = random.next();
      const verb = roll < 0.2 ? 'create' : roll < 0.9 ? 'update' : 'delete';
      const before = kind.state(random);
      const changes =
        verb === 'create'
          ? { before: null, after: before }
          : verb === 'delete'
            ? { before, after: null }
            : { before, after: edited(random, kind, before) };
      return {
        id: newEventId(),
        action: `${kind.type}.${verb}`,
        actor: { id: actor.id, type: 'user', name: actor.name, email: actor.email },
        resource: { type: kind.type, id: `${kind.prefix}_${random.token(14)}`, name: kind.name(random) },
        outcome: random.next() < 0.97 ? 'success' : 'denied',
        occurred_at: new Date(Date.now() - random.int(0, 5_000)).toISOString(),
        context: {
          ip: `${random.int(11, 223)}.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`,
          user_agent: random.pick(USER_AGENTS),
          request_id: `req_${random.token(20)}`,
          session_id: `sess_${random.token(16)}`,
        },
        changes,
        metadata: {
          source: random.pick(['web-app', 'public-api', 'billing-worker']),
          app_version: `4.${random.int(0, 20)}.${random.int(0, 9)}`,
          region: random.pick(REGIONS),
          trace_id: random.token(32),
          feature_flags: [random.pick(FLAGS), random.pick(FLAGS)],
        },
      };
    },
  };
}
