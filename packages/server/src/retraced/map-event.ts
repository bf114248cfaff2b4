import type { EventActor, EventInput, EventResource, JsonObject } from '@audit-ledger/core';
import { toLedgerAction } from './action-name.js';
import { presentEntity, presentText, type RetracedEvent } from './retraced-event.js';

/** Where a Retraced event is going: its tenant, the project named in the URL and our event id (if chosen). */
export interface MappingTarget {
  tenant: string;
  projectId: string;
  /** Our id for the event; absent when the producer chose none (the ledger assigns a UUIDv7). */
  id?: string;
}

/** Resource type of a target sent without a type. */
export const UNTYPED_TARGET = 'unspecified';
/** Who acted in an event sent without an actor: an anonymous user, or the system itself. */
export const ANONYMOUS_ACTOR: EventActor = Object.freeze({ id: 'anonymous', type: 'user' });
export const SYSTEM_ACTOR: EventActor = Object.freeze({ id: 'system', type: 'system' });

/**
 * The Retraced-only facts of an event, kept under `metadata.retraced` so nothing the producer sent is lost and the
 * search API can give the event back in Retraced's shape. Members appear only when they carry information.
 */
export interface RetracedFacts {
  project_id: string;
  /** The producer's event id when it is not a UUID (ours is derived from it). */
  event_id?: string;
  /** The action as sent, when our name for it differs. */
  action?: string;
  /** The group id as sent, when the tenant id differs from it. */
  group_id?: string;
  group_name?: string;
  crud?: string;
  description?: string;
  is_anonymous?: true;
  component?: string;
  version?: string;
  external_id?: string;
  no_actor?: true;
  actor_href?: string;
  actor_fields?: JsonObject;
  no_target?: true;
  target_href?: string;
  target_fields?: JsonObject;
  metadata?: JsonObject;
}

/**
 * Our event for a schema-valid Retraced event (see the mapping table in the server README). The result still goes
 * through the ledger's own validation, like every other event.
 */
export function toLedgerEvent(event: RetracedEvent, target: MappingTarget): EventInput {
  const facts: RetracedFacts = { project_id: target.projectId };
  const retracedId = presentText(event.id);
  if (retracedId !== null && target.id !== undefined && retracedId.toLowerCase() !== target.id) {
    facts.event_id = retracedId;
  }
  const action = toLedgerAction(event.action);
  if (action !== event.action) facts.action = event.action;

  const group = presentEntity(event.group);
  if (group !== null) {
    if (group.id !== target.tenant) facts.group_id = group.id;
    setText(facts, 'group_name', group.name);
  }
  setText(facts, 'crud', event.crud);
  setText(facts, 'description', event.description);
  if (event.is_anonymous === true) facts.is_anonymous = true;
  setText(facts, 'component', event.component);
  setText(facts, 'version', event.version);
  setText(facts, 'external_id', event.external_id);

  let actor: EventActor;
  const retracedActor = presentEntity(event.actor);
  if (retracedActor === null) {
    facts.no_actor = true;
    actor = { ...(event.is_anonymous === true ? ANONYMOUS_ACTOR : SYSTEM_ACTOR) };
  } else {
    actor = { id: retracedActor.id, type: 'user' };
    const name = presentText(retracedActor.name);
    if (name !== null) actor.name = name;
    setText(facts, 'actor_href', retracedActor.href);
    if (retracedActor.fields !== undefined && retracedActor.fields !== null) facts.actor_fields = retracedActor.fields;
  }

  let resource: EventResource;
  const retracedTarget = presentEntity(event.target);
  if (retracedTarget === null) {
    // Nothing in particular was acted on: the event concerns the account itself.
    facts.no_target = true;
    resource = { type: 'tenant', id: target.tenant };
  } else {
    resource = { type: presentText(retracedTarget.type) ?? UNTYPED_TARGET, id: retracedTarget.id };
    const name = presentText(retracedTarget.name);
    if (name !== null) resource.name = name;
    setText(facts, 'target_href', retracedTarget.href);
    if (retracedTarget.fields !== undefined && retracedTarget.fields !== null) facts.target_fields = retracedTarget.fields;
  }
  if (event.metadata !== undefined && event.metadata !== null) facts.metadata = event.metadata;

  const metadata: JsonObject = { retraced: facts as unknown as JsonObject };
  if (event.fields !== undefined && event.fields !== null) metadata['fields'] = event.fields;

  const input: EventInput = {
    action,
    actor,
    resource,
    outcome: event.is_failure === true ? 'failure' : 'success',
    metadata,
  };
  if (target.id !== undefined) input.id = target.id;
  const created = presentText(event.created);
  if (created !== null) input.occurred_at = created;
  const sourceIp = presentText(event.source_ip);
  if (sourceIp !== null) input.context = { ip: sourceIp };
  return input;
}

type TextFact = {
  [K in keyof RetracedFacts]-?: RetracedFacts[K] extends string | undefined ? K : never;
}[keyof RetracedFacts];

function setText(facts: RetracedFacts, key: TextFact, value: string | null | undefined): void {
  const text = presentText(value);
  if (text !== null) facts[key] = text;
}

/**
 * Where a problem the ledger's validation finds in a mapped event lies in the Retraced event, so a 400 points at
 * what the producer sent. Longest prefixes first; anything unlisted points at the event as a whole.
 */
const PATH_MAP: ReadonlyArray<readonly [ours: string, theirs: string]> = [
  ['/metadata/retraced/actor_fields', '/actor/fields'],
  ['/metadata/retraced/target_fields', '/target/fields'],
  ['/metadata/retraced/actor_href', '/actor/href'],
  ['/metadata/retraced/target_href', '/target/href'],
  ['/metadata/retraced/group_name', '/group/name'],
  ['/metadata/retraced/metadata', '/metadata'],
  ['/metadata/fields', '/fields'],
  ['/resource/type', '/target/type'],
  ['/resource/id', '/target/id'],
  ['/resource/name', '/target/name'],
  ['/context/ip', '/source_ip'],
  ['/occurred_at', '/created'],
  ['/actor', '/actor'],
  ['/action', '/action'],
  ['/id', '/id'],
];

/** Translates a JSON Pointer inside one mapped event into the matching pointer inside the Retraced event. */
export function retracedPath(ourPath: string): string {
  for (const [ours, theirs] of PATH_MAP) {
    if (ourPath === ours || ourPath.startsWith(`${ours}/`)) return theirs + ourPath.slice(ours.length);
  }
  return '';
}
