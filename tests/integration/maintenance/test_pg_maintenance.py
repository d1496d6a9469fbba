"""pg_maintenance and pg_maintenance_stats against real PostgreSQL 15, in a container and on the host."""

from __future__ import annotations

import subprocess

from helpers import run_module

TWO_TABLES = """
CREATE TABLE t1 (id int PRIMARY KEY, body text);
CREATE TABLE t2 (id int PRIMARY KEY, body text);
INSERT INTO t1 SELECT g, 'row ' || g FROM generate_series(1, 2000) g;
INSERT INTO t2 SELECT g, 'row ' || g FROM generate_series(1, 2000) g;
"""


def last_vacuum(db, table):
    return db.value("SELECT coalesce(last_vacuum::text, 'never') FROM pg_stat_user_tables WHERE relname = '%s'" % table)


def test_vacuum_analyze_sends_each_table_alone(database):
    database.psql(TWO_TABLES)

    result = run_module("mirrorbuddy.ops.pg_maintenance",
                        database.args(action="vacuum_analyze", tables=["t1", "t2"]))

    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert result["statements"] == ['VACUUM (ANALYZE) "public"."t1"', 'VACUUM (ANALYZE) "public"."t2"']
    assert [entry["outcome"] for entry in result["tables"]] == ["ok", "ok"]
    assert last_vacuum(database, "t1") != "never"
    assert last_vacuum(database, "t2") != "never"


def test_vacuum_of_two_tables_in_one_string_fails_in_psql(container_database):
    # The field case itself: one query string with two VACUUMs runs as one transaction block.
    container_database.psql(TWO_TABLES)

    completed = subprocess.run(container_database.psql_argv("VACUUM ANALYZE t1; VACUUM ANALYZE t2;"),
                               capture_output=True, text=True, check=False)

    assert completed.returncode != 0
    assert "cannot run inside a transaction block" in completed.stderr


def test_combined_statement_string_is_rejected(container_database):
    container_database.psql(TWO_TABLES)

    result = run_module("mirrorbuddy.ops.pg_maintenance",
                        container_database.args(action="vacuum_analyze", tables=["t1; VACUUM ANALYZE t2"]))

    assert result.get("failed") is True
    assert "looks like several statements" in result["msg"]
    assert "[t1, t2]" in result["msg"]
    assert result["statements"] == []
    assert last_vacuum(container_database, "t1") == "never"
    assert last_vacuum(container_database, "t2") == "never"


def test_dead_tuples_drop_after_vacuum(database):
    database.psql(TWO_TABLES + "DELETE FROM t1 WHERE id % 2 = 0;")
    stats_before = run_module("mirrorbuddy.ops.pg_maintenance_stats", database.args(top=1))

    result = run_module("mirrorbuddy.ops.pg_maintenance", database.args(action="vacuum_analyze", tables=["t1"]))
    stats_after = run_module("mirrorbuddy.ops.pg_maintenance_stats", database.args(top=5))

    assert not result.get("failed"), result.get("msg")
    table = result["tables"][0]
    assert table["before"]["n_dead_tup"] == 1000
    assert table["after"]["n_dead_tup"] == 0
    assert table["after"]["last_vacuum"] is not None
    assert table["duration_seconds"] >= 0
    assert stats_before["dead_tuples"] == [{"schema": "public", "name": "t1", "n_dead_tup": 1000, "n_live_tup": 1000}]
    t1_after = [row for row in stats_after["dead_tuples"] if row["name"] == "t1"]
    assert t1_after[0]["n_dead_tup"] == 0


def test_check_mode_lists_statements_and_sends_none(container_database):
    container_database.psql(TWO_TABLES)

    result = run_module("mirrorbuddy.ops.pg_maintenance", container_database.args(action="vacuum_analyze"),
                        check=True)

    assert result["changed"] is True
    assert result["statements"] == ['VACUUM (ANALYZE) "public"."t1"', 'VACUUM (ANALYZE) "public"."t2"']
    assert last_vacuum(container_database, "t1") == "never"
    assert last_vacuum(container_database, "t2") == "never"


def test_second_vacuum_within_skip_recent_is_unchanged(container_database):
    container_database.psql(TWO_TABLES)
    args = container_database.args(action="vacuum_analyze", skip_recent="1h")

    first = run_module("mirrorbuddy.ops.pg_maintenance", args)
    second = run_module("mirrorbuddy.ops.pg_maintenance", args)

    assert first["changed"] is True
    assert second["changed"] is False
    assert second["statements"] == []
    assert [entry["name"] for entry in second["skipped_objects"]] == ["public.t1", "public.t2"]


def test_system_schemas_are_never_selected(container_database):
    container_database.psql(TWO_TABLES)

    planned = run_module("mirrorbuddy.ops.pg_maintenance", container_database.args(action="analyze"), check=True)
    rejected = run_module("mirrorbuddy.ops.pg_maintenance",
                          container_database.args(action="analyze", tables=["pg_catalog.pg_class"]))

    assert planned["statements"] == ['ANALYZE "public"."t1"', 'ANALYZE "public"."t2"']
    assert rejected.get("failed") is True
    assert "system schema pg_catalog" in rejected["msg"]


def test_unknown_table_is_named_in_error(container_database):
    result = run_module("mirrorbuddy.ops.pg_maintenance",
                        container_database.args(action="vacuum_analyze", tables=["public.missing"]))

    assert result.get("failed") is True
    assert "public.missing" in result["msg"]


def test_reindex_rebuilds_each_index_concurrently(database):
    database.psql(TWO_TABLES + "CREATE INDEX t1_body ON t1 (body);")

    result = run_module("mirrorbuddy.ops.pg_maintenance", database.args(action="reindex", tables=["t1"]))

    assert not result.get("failed"), result.get("msg")
    assert result["statements"] == ['REINDEX INDEX CONCURRENTLY "public"."t1_body"',
                                    'REINDEX INDEX CONCURRENTLY "public"."t1_pkey"']
    assert all(entry["after"]["bytes"] > 0 for entry in result["indexes"])
    assert result["leftovers_dropped"] == []


def test_reindex_interrupted_by_lock_timeout(database, blocking_session):
    database.psql(TWO_TABLES + """
        CREATE TABLE dup (v int);
        INSERT INTO dup VALUES (1), (1);
    """)
    # An index left invalid before the run: a unique build over duplicates fails and leaves it behind.
    database.psql("CREATE UNIQUE INDEX CONCURRENTLY dup_v ON dup (v);", check=False)
    assert database.value("SELECT indisvalid FROM pg_index WHERE indexrelid = 'dup_v'::regclass") == "f"
    # A writer that keeps its transaction open makes REINDEX CONCURRENTLY wait after it built t1_pkey_ccnew.
    blocker = blocking_session(database, "BEGIN; INSERT INTO t1 VALUES (9999, 'x'); SELECT pg_sleep(6); COMMIT;")
    database.wait_for_lock_holder("t1")

    result = run_module("mirrorbuddy.ops.pg_maintenance",
                        database.args(action="reindex", tables=["t1", "dup"], lock_timeout=1, cleanup_lock_timeout=30))
    blocker.wait(timeout=30)

    assert result.get("failed") is True
    assert "public.t1_pkey" in result["msg"]
    assert "lock timeout" in result["msg"]
    assert result["failures"][0]["reason"] == "lock_timeout"
    assert result["failures"][0]["sqlstate"] == "55P03"
    assert result["leftovers_dropped"] == ["public.t1_pkey_ccnew"]
    assert result["leftovers_remaining"] == []
    assert result["pre_existing_invalid"] == ["public.dup_v"]
    assert {"name": "public.dup_v", "reason": "invalid before this run; left untouched"} in result["skipped_objects"]
    invalid = database.value("SELECT string_agg(indexrelid::regclass::text, ',') FROM pg_index WHERE NOT indisvalid")
    assert invalid == "dup_v"
    assert database.value("SELECT indisvalid FROM pg_index WHERE indexrelid = 't1_pkey'::regclass") == "t"


def test_extensions_upgrade_along_update_paths(database):
    database.psql("""
        CREATE EXTENSION hstore VERSION '1.4';
        CREATE EXTENSION pg_trgm VERSION '1.3';
        CREATE EXTENSION cube VERSION '1.4';
    """)
    extensions = ["hstore", {"name": "pg_trgm", "version": "1.6"}, {"name": "cube", "version": "9.9"}]

    planned = run_module("mirrorbuddy.ops.pg_maintenance",
                         database.args(action="extension_upgrade", extensions=extensions), check=True)
    result = run_module("mirrorbuddy.ops.pg_maintenance",
                        database.args(action="extension_upgrade", extensions=extensions))

    assert planned["statements"] == ["ALTER EXTENSION \"hstore\" UPDATE TO '1.8'",
                                     "ALTER EXTENSION \"pg_trgm\" UPDATE TO '1.6'"]
    assert result.get("failed") is True
    outcomes = {entry["name"]: entry for entry in result["extensions"]}
    assert outcomes["hstore"]["outcome"] == "upgraded"
    assert outcomes["hstore"]["path"] == "1.4--1.5--1.6--1.7--1.8"
    assert outcomes["hstore"]["after"] == "1.8"
    assert outcomes["pg_trgm"]["after"] == "1.6"
    assert outcomes["cube"]["outcome"] == "failed"
    assert "installed version 1.4" in result["msg"]
    assert "target version 9.9" in result["msg"]
    assert [failure["name"] for failure in result["failures"]] == ["cube"]
    versions = database.value("SELECT string_agg(extname || '=' || extversion, ',' ORDER BY extname) FROM pg_extension "
                              "WHERE extname <> 'plpgsql'")
    assert versions == "cube=1.4,hstore=1.8,pg_trgm=1.6"


def test_current_extension_is_unchanged(container_database):
    container_database.psql("CREATE EXTENSION hstore;")

    result = run_module("mirrorbuddy.ops.pg_maintenance",
                        container_database.args(action="extension_upgrade", extensions=["hstore"]))

    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False
    assert result["extensions"][0]["outcome"] == "current"


def test_statistics_estimate_bloat_and_run_in_check_mode(container_database):
    container_database.psql("""
        CREATE TABLE churn (id int PRIMARY KEY, body text);
        INSERT INTO churn SELECT g, repeat('x', 60) FROM generate_series(1, 20000) g;
        DELETE FROM churn WHERE id % 4 <> 0;
        ANALYZE churn;
    """)

    result = run_module("mirrorbuddy.ops.pg_maintenance_stats", container_database.args(), check=True)

    assert result["changed"] is False
    churn = [row for row in result["tables"] if row["name"] == "churn"][0]
    assert churn["estimated_bloat_ratio"] > 0.5
    assert churn["estimated_rows"] == 5000
    assert churn["last_analyze"] is not None
    assert "last_autovacuum" in churn
    index = [row for row in result["indexes"] if row["name"] == "churn_pkey"][0]
    assert index["estimated_bloat_ratio"] > 0.5
    assert all(row["schema"] not in ("pg_catalog", "information_schema") for row in result["tables"])
