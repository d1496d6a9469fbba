"""pg_soft_delete: inspect and undelete soft-deleted rows on a real server."""

from __future__ import annotations

import pytest

from helpers import run_module

MODULE = "mirrorbuddy.ops.pg_soft_delete"

SCHEMA = """
CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL, deleted_at timestamptz);
CREATE UNIQUE INDEX accounts_email_live ON accounts (email) WHERE deleted_at IS NULL;
CREATE TABLE posts (id int PRIMARY KEY, account_id int NOT NULL, deleted_at timestamptz);
INSERT INTO accounts VALUES
  (1, 'live@example.com', NULL),
  (2, 'two@example.com', '2026-12-04 10:05:00+00'),
  (3, 'three@example.com', '2026-12-04 10:06:00+00'),
  (4, 'four@example.com', '2026-12-01 09:00:00+00');
INSERT INTO posts VALUES
  (10, 2, '2026-12-04 10:05:00+00'),
  (11, 2, '2026-12-01 08:00:00+00'),
  (12, 1, NULL);
"""

WINDOW = {"deleted_from": "2026-12-04T10:00:00Z", "deleted_until": "2026-12-04T10:15:00Z"}


@pytest.fixture
def soft_db(server):
    name = server.scratch_database("softdel", SCHEMA)
    yield name
    server.drop(name)


def deleted_ids(server, database, table):
    return server.scalar("SELECT string_agg(id::text, ',' ORDER BY id) FROM %s WHERE deleted_at IS NOT NULL"
                         % table, database)


def test_undelete_window_check_apply_rerun(server, soft_db):
    args = server.args(database=soft_db, table="accounts", state="undeleted", **WINDOW)

    planned = run_module(MODULE, args, check=True, diff=True)
    assert planned["changed"] is True
    assert [row["key"] for row in planned["rows"]] == [{"id": "2"}, {"id": "3"}]
    assert "deleted_at=NULL" in planned["diff"]["after"]
    assert deleted_ids(server, soft_db, "accounts") == "2,3,4"

    applied = run_module(MODULE, args)
    assert applied.get("failed") is not True, applied.get("msg")
    assert applied["changed"] is True
    assert applied["count"] == 2
    assert deleted_ids(server, soft_db, "accounts") == "4"

    assert run_module(MODULE, args)["changed"] is False


def test_child_deleted_earlier_stays_deleted(server, soft_db):
    result = run_module(MODULE, server.args(database=soft_db, table="posts", state="undeleted", **WINDOW))
    assert result.get("failed") is not True, result.get("msg")
    assert result["count"] == 1
    assert deleted_ids(server, soft_db, "posts") == "11"


def test_undelete_by_key(server, soft_db):
    result = run_module(MODULE, server.args(database=soft_db, table="accounts", keys=[4], state="undeleted"))
    assert result["count"] == 1
    assert deleted_ids(server, soft_db, "accounts") == "2,3"


def test_undelete_conflict_names_constraint_and_live_row(server, soft_db):
    server.psql("INSERT INTO accounts VALUES (5, 'three@example.com', NULL)", soft_db)

    inspected = run_module(MODULE, server.args(database=soft_db, table="accounts", **WINDOW))
    assert inspected["recoverable"] is False
    assert inspected["conflicts"][0]["live_row"] == {"id": "5"}

    result = run_module(MODULE, server.args(database=soft_db, table="accounts", state="undeleted", **WINDOW))
    assert result.get("failed") is True
    assert "accounts_email_live" in result["msg"]
    assert '{"id": "5"}' in result["msg"]
    assert '{"id": "3"}' in result["msg"]
    assert deleted_ids(server, soft_db, "accounts") == "2,3,4"


def test_selection_required(server, soft_db):
    result = run_module(MODULE, server.args(database=soft_db, table="accounts", state="undeleted"))
    assert result.get("failed") is True
    assert "give keys, deleted_from or deleted_until" in result["msg"]
    assert deleted_ids(server, soft_db, "accounts") == "2,3,4"


def test_quoted_identifiers(server):
    name = server.scratch_database("softdel", '''
        CREATE SCHEMA "Odd Schema";
        CREATE TABLE "Odd Schema"."My ""T""" ("Key Col" text PRIMARY KEY, "gone at" timestamptz);
        INSERT INTO "Odd Schema"."My ""T""" VALUES ('a; DROP TABLE x', '2026-12-04 10:01:00+00'), ('b', NULL);
    ''')
    try:
        result = run_module(MODULE, server.args(
            database=name, schema="Odd Schema", table='My "T"', key_columns=["Key Col"], deleted_column="gone at",
            keys=["a; DROP TABLE x"], state="undeleted"))
        assert result.get("failed") is not True, result.get("msg")
        assert result["count"] == 1
        assert server.scalar('SELECT count(*) FROM "Odd Schema"."My ""T""" WHERE "gone at" IS NULL', name) == "2"
    finally:
        server.drop(name)


def test_unknown_column_is_named(server, soft_db):
    result = run_module(MODULE, server.args(database=soft_db, table="accounts", deleted_column="removed_at",
                                            keys=[2]))
    assert result.get("failed") is True
    assert "no column removed_at" in result["msg"]
