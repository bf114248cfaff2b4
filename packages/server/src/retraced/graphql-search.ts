import {
  buildSchema,
  execute,
  GraphQLError,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ValidationRule,
} from 'graphql';
import { LedgerError, type FieldError } from '../errors.js';
import type { SearchResult } from './search-events.js';

/**
 * The part of Retraced's publisher GraphQL schema its clients use: `search` with Relay-style backward paging
 * (`last`/`before`), events in Retraced's shape. Read-only; there are no mutations.
 */
export const RETRACED_GRAPHQL_SDL = /* GraphQL */ `
  type Query {
    "Events matching a Retraced search string, newest first: the last N before the cursor."
    search(query: String!, last: Int, before: String): EventsConnection!
  }

  type EventsConnection {
    totalCount: Int!
    pageInfo: PageInfo!
    edges: [EventEdge!]!
  }

  type PageInfo {
    "True when older events remain; page on with the last edge's cursor as before."
    hasPreviousPage: Boolean!
    hasNextPage: Boolean!
  }

  type EventEdge {
    cursor: String!
    node: Event!
  }

  type Field {
    key: String!
    value: String!
  }

  type Group {
    id: String!
    name: String
  }

  type Actor {
    id: String!
    name: String
    href: String
    fields: [Field!]
  }

  type Target {
    id: String!
    name: String
    href: String
    type: String
    fields: [Field!]
  }

  type Display {
    markdown: String
  }

  type Event {
    id: String!
    action: String!
    crud: String
    description: String
    group: Group
    actor: Actor
    target: Target
    display: Display
    is_failure: Boolean
    is_anonymous: Boolean
    source_ip: String
    country: String
    loc_subdiv1: String
    loc_subdiv2: String
    received: String
    created: String
    canonical_time: String
    component: String
    version: String
    fields: [Field!]
    external_id: String
    metadata: [Field!]
  }
`;

const schema = buildSchema(RETRACED_GRAPHQL_SDL);

/** Each search costs store reads, so one request may ask for only a few (aliases would multiply them). */
const MAX_ROOT_FIELDS = 3;

const fewRootFields: ValidationRule = (context) => ({
  OperationDefinition(node) {
    const fields = node.selectionSet.selections.filter((selection) => selection.kind === Kind.FIELD).length;
    if (fields > MAX_ROOT_FIELDS) {
      context.reportError(new GraphQLError(`at most ${MAX_ROOT_FIELDS} root fields per request`, { nodes: node }));
    }
  },
});

export interface SearchArgs {
  query: string;
  last?: number | null;
  before?: string | null;
}

export interface GraphqlRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

const requestError = (message: string, errors: readonly GraphQLError[]): LedgerError => {
  const list: FieldError[] = errors.map((error) => ({ path: '/query', message: error.message }));
  return new LedgerError('VALIDATION_FAILED', message, list);
};

function parseDocument(text: string): DocumentNode {
  try {
    return parse(text, { maxTokens: 5000 });
  } catch (error) {
    if (error instanceof GraphQLError) throw requestError('the GraphQL document does not parse', [error]);
    throw error;
  }
}

/**
 * Runs one GraphQL request against the search. Every failure is thrown as a LedgerError and leaves as a problem
 * document like any other failure of this service: a document that does not parse or validate, or bad variables,
 * is a 400; a problem in the search itself keeps its own code. A successful answer is `{"data": ...}`.
 */
export async function runGraphql(
  request: GraphqlRequest,
  search: (args: SearchArgs) => Promise<SearchResult>,
): Promise<{ data: unknown }> {
  const document = parseDocument(request.query);
  const invalid = validate(schema, document, [...specifiedRules, fewRootFields]);
  if (invalid.length > 0) throw requestError('the GraphQL document does not match the schema', invalid);
  const result = await execute({
    schema,
    document,
    rootValue: { search: (args: SearchArgs) => search(args) },
    variableValues: request.variables ?? null,
    operationName: request.operationName ?? null,
  });
  const [first] = result.errors ?? [];
  if (first !== undefined) {
    if (first.originalError instanceof LedgerError) throw first.originalError;
    // Errors without an original error are GraphQL's own: bad or missing variables, an unknown operation name.
    if (first.originalError === undefined) throw requestError('the GraphQL request cannot be executed', [first]);
    throw first.originalError;
  }
  return { data: result.data };
}
