-- GIN indexes buffer new entries in a pending list and merge it into the index when it outgrows
-- gin_pending_list_limit (default 4 MB). With the default, the insert that crosses the limit pays for merging several
-- thousand events' words at once, which showed up as the slowest single-event acknowledgements (p99 of 70-160 ms
-- instead of about 15 ms). A 512 kB list merges more often but each merge is short, and total insert cost barely
-- changes. A partitioned index cannot take storage parameters through ALTER INDEX, so it is rebuilt with the
-- parameter, which every partition's index (existing and future) inherits.
DROP INDEX events_search_idx;
CREATE INDEX events_search_idx ON events USING gin (search) WITH (gin_pending_list_limit = 512);
