import type pg from 'pg';

export interface TableShape {
  rows: number;
  leafBytesPerRow: number;
  /** Heap, TOAST and every index, over all partitions. */
  totalBytesPerRow: number;
}

export interface StorageComparison {
  service: TableShape;
  baseline: TableShape;
  mirroredIndexes: string[];
}

/**
 * What a table holds per row; shows that the baseline wrote rows as large as the service's, not just as many.
 * A partitioned table has no storage of its own, so its size is the sum of its leaf partitions.
 */
export async function tableShape(client: pg.Client, table: string): Promise<TableShape> {
  const { rows } = await client.query<{ rows: string; leaf: string | null; total: string | null }>(
    `SELECT (SELECT count(*) FROM ${table}) AS rows,
            (SELECT avg(octet_length(leaf)) FROM ${table}) AS leaf,
            coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('${table}') WHERE isleaf),
                     pg_total_relation_size('${table}')) AS total`,
  );
  const row = rows[0];
  const count = Number(row?.rows ?? 0);
  return {
    rows: count,
    leafBytesPerRow: Number(row?.leaf ?? 0),
    totalBytesPerRow: count === 0 ? 0 : Number(row?.total ?? 0) / count,
  };
}
