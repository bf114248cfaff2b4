-- The append as one function: take the log's lock, scope the transaction to the tenant (as the writer role where it
-- is usable, so row-level security confines what follows), check that the log is where the caller expects it, and
-- write the batch's events, the Merkle nodes it completes and the new head. A caller that already knows the head
-- (the sequencer remembers the head it wrote last) can therefore append with this one statement on its own, committed
-- by itself: one round trip instead of five (BEGIN, lock, head, append, COMMIT), and the lock is held only while
-- PostgreSQL works. When the log has moved on (another process wrote) or an id the caller names is already stored,
-- the function writes nothing and answers false; the caller then takes the lock in a transaction of its own, reads
-- the head and which ids are stored, and calls this again, which then cannot fail its check.
--
-- A VOLATILE PL/pgSQL function runs each statement with a fresh snapshot, so the head is read after the lock is
-- held: a single SQL statement would read it in a snapshot taken before waiting for the lock, and could miss an
-- append committed meanwhile.
--
-- Bulky columns arrive packed so that no side writes or parses an array literal of them (node-postgres quotes and
-- backslash-escapes every element of one, and a leaf is full of quotes):
-- - p_leaves: every leaf, each separated from the next by U+001E. Canonical JSON (RFC 8785) holds no raw control
--   character, so the separator never occurs inside a leaf (the caller refuses one that does), and string_to_array
--   splits exactly at leaf boundaries: in UTF-8 that byte is never part of another character.
-- - p_leaf_hashes, p_chain_hashes, p_request_hashes, p_node_hashes: 32-byte hashes end to end; row n takes the slice
--   at byte (n - 1) * 32 + 1.
-- - seq: only the first, since a batch's seqs are contiguous; row n has seq p_first_seq + n - 1.
-- search text stays an array: it holds event values verbatim, control characters included, and replacing those by
-- spaces would change what is indexed (to_tsvector skips text shaped like a markup tag only when its gaps are spaces).
-- unnest with several arrays pairs their elements by position, and its ordinality n numbers those rows from 1.
CREATE FUNCTION audit_ledger_append(
  p_lock_class int4,
  p_tenant text,
  p_as_writer boolean,
  -- The head the batch follows: its size, and its chain hash (null: check the size only).
  p_expected_size int8,
  p_expected_chain bytea,
  -- Ids that must not be stored yet.
  p_unseen uuid[],
  p_first_seq int8,
  p_ids uuid[],
  p_received_at timestamptz[],
  p_occurred_at timestamptz[],
  p_actions text[],
  p_actor_ids text[],
  p_resource_types text[],
  p_resource_ids text[],
  p_outcomes text[],
  p_leaves text,
  p_leaf_hashes bytea,
  p_chain_hashes bytea,
  p_request_hashes bytea,
  p_search_texts text[],
  p_subject_ids text[],
  p_node_levels int2[],
  p_node_indexes int8[],
  p_node_hashes bytea,
  p_head_size int8,
  p_head_chain bytea,
  p_head_frontier bytea,
  p_head_received_at timestamptz
) RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  head_size int8;
  head_chain bytea;
BEGIN
  PERFORM pg_advisory_xact_lock(p_lock_class, hashtext(p_tenant));
  PERFORM set_config('audit_ledger.tenant', p_tenant, true);
  IF p_as_writer THEN
    PERFORM set_config('role', 'audit_ledger_writer', true);
  END IF;

  SELECT h.size, h.chain_hash INTO head_size, head_chain
    FROM log_heads h
   WHERE h.tenant_id = p_tenant
   ORDER BY h.size DESC
   LIMIT 1;
  IF coalesce(head_size, 0) <> p_expected_size
     OR (p_expected_chain IS NOT NULL AND head_size IS NOT NULL AND head_chain <> p_expected_chain) THEN
    RETURN false;
  END IF;
  -- One index probe per id (see the write position query for why not `id = ANY(...)`).
  IF EXISTS (
    SELECT 1
      FROM unnest(p_unseen) AS wanted(id)
     WHERE EXISTS (SELECT 1 FROM events e WHERE e.tenant_id = p_tenant AND e.id = wanted.id)
  ) THEN
    RETURN false;
  END IF;

  WITH appended_events AS (
    INSERT INTO events (tenant_id, seq, id, received_at, occurred_at, action, actor_id, resource_type, resource_id,
                        outcome, leaf, leaf_hash, chain_hash, request_hash, search, subject_id)
    SELECT p_tenant, p_first_seq + batch.n - 1, batch.id, batch.received_at, batch.occurred_at, batch.action,
           batch.actor_id, batch.resource_type, batch.resource_id, batch.outcome, batch.leaf,
           substring(p_leaf_hashes FROM (batch.n::int4 - 1) * 32 + 1 FOR 32),
           substring(p_chain_hashes FROM (batch.n::int4 - 1) * 32 + 1 FOR 32),
           substring(p_request_hashes FROM (batch.n::int4 - 1) * 32 + 1 FOR 32),
           to_tsvector('simple', batch.search_text), batch.subject_id
      FROM unnest(p_ids, p_received_at, p_occurred_at, p_actions, p_actor_ids, p_resource_types, p_resource_ids,
                  p_outcomes, string_to_array(p_leaves, E'\x1e'), p_search_texts, p_subject_ids)
           WITH ORDINALITY AS batch(id, received_at, occurred_at, action, actor_id, resource_type, resource_id,
                                    outcome, leaf, search_text, subject_id, n)
  ), appended_nodes AS (
    INSERT INTO merkle_nodes (tenant_id, level, idx, hash)
    SELECT p_tenant, node.level, node.idx, substring(p_node_hashes FROM (node.n::int4 - 1) * 32 + 1 FOR 32)
      FROM unnest(p_node_levels, p_node_indexes) WITH ORDINALITY AS node(level, idx, n)
  )
  INSERT INTO log_heads (tenant_id, size, chain_hash, frontier, last_received_at)
  VALUES (p_tenant, p_head_size, p_head_chain, p_head_frontier, p_head_received_at);
  RETURN true;
END;
$$;
