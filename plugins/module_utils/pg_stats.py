# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only table and index statistics: dead tuples, estimated bloat, last (auto)vacuum and (auto)analyze.

The bloat figures are estimates from the planner's statistics (pg_class.reltuples and pg_stats.avg_width),
not measurements: they assume no alignment padding and no NULL bitmap, which makes the expected size a little
small and the estimated bloat a little high. Tables and indexes never analyzed get no estimate (None).
"""

from __future__ import annotations

import math

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.maintenance import USER_SCHEMAS

# The runbook's "Check table bloat" query, with the schema added and the limit a variable.
DEAD_TUPLES_SQL = """
SELECT schemaname AS schema, relname AS name, n_dead_tup, n_live_tup
FROM pg_stat_user_tables
ORDER BY n_dead_tup DESC, schemaname, relname
LIMIT :'top'
"""

TABLES_SQL = """
WITH widths AS (
    SELECT schemaname, tablename, sum((1 - coalesce(null_frac, 0)) * avg_width)::float8 AS row_width
    FROM pg_stats GROUP BY schemaname, tablename
)
SELECT n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS estimated_rows,
       pg_relation_size(c.oid) AS bytes, pg_total_relation_size(c.oid) AS total_bytes,
       w.row_width, current_setting('block_size')::int AS block_size,
       s.n_live_tup, s.n_dead_tup, s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze,
       s.vacuum_count, s.autovacuum_count, s.analyze_count, s.autoanalyze_count
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
LEFT JOIN widths w ON w.schemaname = n.nspname AND w.tablename = c.relname
WHERE c.relkind IN ('r', 'm') AND c.relpersistence <> 't' AND %s
""" % USER_SCHEMAS

INDEXES_SQL = """
WITH keys AS (
    SELECT x.indexrelid,
           sum(st.avg_width)::float8 AS key_width,
           bool_and(st.avg_width IS NOT NULL) AS has_widths
    FROM pg_index x
    CROSS JOIN LATERAL unnest(x.indkey::int2[]) AS k(attnum)
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace tn ON tn.oid = t.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum AND k.attnum > 0
    LEFT JOIN pg_stats st ON st.schemaname = tn.nspname AND st.tablename = t.relname AND st.attname = a.attname
    GROUP BY x.indexrelid
)
SELECT n.nspname AS schema, i.relname AS name, t.relname AS "table", am.amname AS method,
       x.indisvalid AS valid, i.reltuples::float8 AS estimated_rows, pg_relation_size(i.oid) AS bytes,
       CASE WHEN keys.has_widths THEN keys.key_width END AS key_width,
       current_setting('block_size')::int AS block_size,
       coalesce((SELECT option_value::int FROM pg_options_to_table(i.reloptions)
                 WHERE option_name = 'fillfactor'), 90) AS fillfactor
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_am am ON am.oid = i.relam
JOIN pg_namespace n ON n.oid = i.relnamespace
LEFT JOIN keys ON keys.indexrelid = x.indexrelid
WHERE i.relkind = 'i' AND t.relpersistence <> 't' AND %s
""" % USER_SCHEMAS

PAGE_HEADER = 24  # bytes of every heap and btree page
TUPLE_HEADER = 24  # heap tuple header (23 bytes, aligned)
ITEM_POINTER = 4  # line pointer per tuple on a page
INDEX_TUPLE_HEADER = 8
BTREE_SPECIAL = 16  # btree page's special space


def estimate_table_bloat(row):
    """Return (expected bytes, bloat bytes, bloat ratio) of a heap, or Nones without statistics."""
    if row.get("row_width") is None or row["estimated_rows"] is None or row["estimated_rows"] < 0:
        return None, None, None
    usable = row["block_size"] - PAGE_HEADER
    pages = math.ceil(row["estimated_rows"] * (TUPLE_HEADER + ITEM_POINTER + row["row_width"]) / usable)
    return _bloat(pages * row["block_size"], row["bytes"])


def estimate_index_bloat(row):
    """Return (expected bytes, bloat bytes, bloat ratio) of a btree index, or Nones when it cannot be estimated.

    Only btree indexes on plain columns with statistics are estimated; expression and other index methods
    get None.
    """
    if row["method"] != "btree" or row.get("key_width") is None or row["estimated_rows"] is None \
            or row["estimated_rows"] < 0:
        return None, None, None
    usable = (row["block_size"] - PAGE_HEADER - BTREE_SPECIAL) * row["fillfactor"] / 100.0
    leaf_pages = math.ceil(row["estimated_rows"] * (INDEX_TUPLE_HEADER + ITEM_POINTER + row["key_width"]) / usable)
    return _bloat((leaf_pages + 1) * row["block_size"], row["bytes"])  # + 1 for the metapage


def _bloat(expected_bytes, actual_bytes):
    if not actual_bytes:
        return expected_bytes, 0, 0.0
    bloat_bytes = max(0, actual_bytes - expected_bytes)
    return expected_bytes, bloat_bytes, round(bloat_bytes / float(actual_bytes), 3)


def collect_statistics(target, top=5, bloat_top=20):
    """Return the dead-tuple top list and the bloat estimates, largest estimated bloat first."""
    tables = []
    for row in target.query(TABLES_SQL):
        expected, bloat_bytes, ratio = estimate_table_bloat(row)
        entry = {key: row[key] for key in (
            "schema", "name", "bytes", "total_bytes", "n_live_tup", "n_dead_tup", "last_vacuum", "last_autovacuum",
            "last_analyze", "last_autoanalyze", "vacuum_count", "autovacuum_count", "analyze_count",
            "autoanalyze_count")}
        entry.update(estimated_rows=row["estimated_rows"], expected_bytes=expected, estimated_bloat_bytes=bloat_bytes,
                     estimated_bloat_ratio=ratio)
        tables.append(entry)

    indexes = []
    for row in target.query(INDEXES_SQL):
        expected, bloat_bytes, ratio = estimate_index_bloat(row)
        entry = {key: row[key] for key in ("schema", "name", "table", "method", "valid", "bytes", "estimated_rows")}
        entry.update(expected_bytes=expected, estimated_bloat_bytes=bloat_bytes, estimated_bloat_ratio=ratio)
        indexes.append(entry)

    return {
        "dead_tuples": target.query(DEAD_TUPLES_SQL, {"top": str(top)}),
        "tables": _largest_bloat_first(tables)[:bloat_top],
        "indexes": _largest_bloat_first(indexes)[:bloat_top],
        "table_count": len(tables),
        "index_count": len(indexes),
        "invalid_indexes": ["%s.%s" % (row["schema"], row["name"]) for row in indexes if not row["valid"]],
    }


def _largest_bloat_first(rows):
    return sorted(rows, key=lambda row: (-(row["estimated_bloat_bytes"] or 0), row["schema"], row["name"]))
