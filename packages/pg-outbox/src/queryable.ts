import type { ClientBase, Pool } from 'pg';

/** Anything that runs one query: a pool, a client, or a pooled client (inside the caller's transaction). */
export type Queryable = Pool | ClientBase;
