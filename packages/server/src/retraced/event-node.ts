import { isPlainObject, type JsonValue, type StoredEventView } from '@audit-ledger/core';

export interface FieldItem {
  key: string;
  value: string;
}

/** One event in the shape of Retraced's search results (its GraphQL `Event` type). */
export interface RetracedNode {
  id: string;
  action: string;
  crud: string | null;
  description: string | null;
  group: { id: string; name: string | null };
  actor: { id: string; name: string | null; href: string | null; fields: FieldItem[] | null } | null;
  target: { id: string; name: string | null; href: string | null; type: string; fields: FieldItem[] | null } | null;
  display: { markdown: string };
  is_failure: boolean;
  is_anonymous: boolean;
  source_ip: string | null;
  country: null;
  loc_subdiv1: null;
  loc_subdiv2: null;
  received: string;
  created: string;
  canonical_time: string;
  component: string | null;
  version: string | null;
  fields: FieldItem[] | null;
  external_id: string | null;
  metadata: FieldItem[] | null;
}

function record(value: JsonValue | undefined): Record<string, JsonValue> {
  return isPlainObject(value) ? (value as Record<string, JsonValue>) : {};
}

function textOf(value: JsonValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

/** A `{key: value}` map as Retraced's list of `{key, value}`, keys in code-unit order; null when absent. */
function fieldList(value: JsonValue | undefined): FieldItem[] | null {
  if (!isPlainObject(value)) return null;
  const map = value as Record<string, JsonValue>;
  return Object.keys(map)
    .sort()
    .map((key) => {
      const item = map[key];
      return { key, value: typeof item === 'string' ? item : JSON.stringify(item) };
    });
}

/**
 * An event as Retraced's search returns it. Events recorded through the Retraced API come back as they were sent
 * (their original action, ids and fields are in `metadata.retraced`); events recorded through `/v1/events` are
 * shown in the same shape from their own fields. Personal data is whatever the view holds, so a masked view gives a
 * masked node. There is no geolocation, so `country` and the subdivisions are always null.
 */
export function toRetracedNode(view: StoredEventView): RetracedNode {
  const metadata = record(view.metadata);
  const facts = record(metadata['retraced']);
  const actorName = view.actor.name ?? null;
  const action = textOf(facts['action']) ?? view.action;
  const actor =
    facts['no_actor'] === true
      ? null
      : {
          id: view.actor.id,
          name: actorName,
          href: textOf(facts['actor_href']),
          fields: fieldList(facts['actor_fields']),
        };
  const target =
    facts['no_target'] === true
      ? null
      : {
          id: view.resource.id,
          name: view.resource.name ?? null,
          href: textOf(facts['target_href']),
          type: view.resource.type,
          fields: fieldList(facts['target_fields']),
        };
  const description = textOf(facts['description']);
  return {
    id: textOf(facts['event_id']) ?? view.id,
    action,
    crud: textOf(facts['crud']),
    description,
    group: { id: textOf(facts['group_id']) ?? view.tenant, name: textOf(facts['group_name']) },
    actor,
    target,
    display: { markdown: description ?? defaultMarkdown(actor?.name ?? actor?.id ?? null, action, target) },
    is_failure: view.outcome !== 'success',
    is_anonymous: facts['is_anonymous'] === true,
    source_ip: view.context?.ip ?? null,
    country: null,
    loc_subdiv1: null,
    loc_subdiv2: null,
    received: view.received_at,
    created: view.occurred_at,
    canonical_time: view.occurred_at,
    component: textOf(facts['component']),
    version: textOf(facts['version']),
    fields: fieldList(metadata['fields']),
    external_id: textOf(facts['external_id']),
    metadata: fieldList(facts['metadata']),
  };
}

function defaultMarkdown(who: string | null, action: string, target: { id: string; name: string | null } | null): string {
  const subject = who === null ? 'Something' : `**${who}**`;
  const object = target === null ? '' : ` **${target.name ?? target.id}**`;
  return `${subject} performed **${action}**${object}`;
}
