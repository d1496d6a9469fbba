"""pg_backup_restore against real PostgreSQL, in a container and on the host."""

from __future__ import annotations

import uuid

from restore_helpers import read_dump, write_gzip
from helpers import run_module

MODULE = "mirrorbuddy.ops.pg_backup_restore"


def scratch_name():
    return "restore_%s" % uuid.uuid4().hex[:8]


def test_restore_check_mode_then_apply_then_idempotent(server):
    name = scratch_name()
    try:
        planned = run_module(MODULE, server.args(database=name, path=server.backup), check=True)
        assert planned["changed"] is True
        assert name not in server.databases()
        assert any("template0" in action for action in planned["actions"])

        applied = run_module(MODULE, server.args(database=name, path=server.backup))
        assert applied.get("failed") is not True, applied.get("msg")
        assert applied["changed"] is True
        assert applied["tables_restored"] == applied["tables_expected"]
        assert server.fingerprint(name) == server.fingerprint("mirrorbuddy")
        assert applied["undo"]["sql"] == ['DROP DATABASE "%s";' % name]
        assert not [db for db in server.databases() if "restore_staging" in db]

        again = run_module(MODULE, server.args(database=name, path=server.backup))
        assert again.get("failed") is not True, again.get("msg")
        assert again["changed"] is False
        assert again["already_restored"]["sha256"] == applied["sha256"]
    finally:
        server.drop(name)


def test_restore_without_database_is_argument_error(server):
    result = run_module(MODULE, server.args(path=server.backup))
    assert result.get("failed") is True
    assert "database" in result["msg"]
    assert "missing required arguments" in result["msg"]


def test_restore_rejects_reserved_databases(server):
    for name in ("postgres", "template1", "template0"):
        result = run_module(MODULE, server.args(database=name, path=server.backup))
        assert result.get("failed") is True, name
        assert "PostgreSQL itself needs" in result["msg"], result["msg"]


def test_restore_rejects_non_empty_target(server):
    before = server.fingerprint()
    result = run_module(MODULE, server.args(database="mirrorbuddy", path=server.backup))
    assert result.get("failed") is True
    assert "is not empty" in result["msg"]
    assert "replace=true" in result["msg"]
    assert server.fingerprint() == before
    assert not [db for db in server.databases() if "restore_staging" in db or "pre_restore" in db]


def test_restore_replace_keeps_previous_database(server):
    name = scratch_name()
    try:
        server.psql('CREATE DATABASE "%s"' % name, "postgres")
        server.psql("CREATE TABLE marker_of_old (id int); INSERT INTO marker_of_old VALUES (7);", name)

        result = run_module(MODULE, server.args(database=name, path=server.backup, replace=True))
        assert result.get("failed") is not True, result.get("msg")
        previous = result["previous_database"]
        assert previous.startswith(name + "_pre_restore_")
        assert server.scalar("SELECT id FROM marker_of_old", previous) == "7"
        assert server.scalar("SELECT to_regclass('marker_of_old') IS NULL", name) == "t"
        assert server.fingerprint(name) == server.fingerprint("mirrorbuddy")
        assert 'ALTER DATABASE "%s" RENAME TO "%s";' % (previous, name) in result["undo"]["sql"]
        assert result["undo"]["sql"][0] == 'ALTER DATABASE "%s" WITH ALLOW_CONNECTIONS false;' % name

        dropped = run_module(MODULE, server.args(database=name, state="previous_dropped"))
        assert dropped["dropped"] == [previous]
        assert previous not in server.databases()
        assert run_module(MODULE, server.args(database=name, state="previous_dropped"))["changed"] is False
    finally:
        server.drop(name)


def test_failed_statement_leaves_target_unchanged(server, tmp_path):
    # A duplicated row in the middle of a COPY block: the unique index built after the data fails, psql
    # stops there and the whole transaction rolls back.
    dump = read_dump(server.backup)
    start = dump.index(b"COPY public.users ")
    first_row = dump[dump.index(b"\n", start) + 1:dump.index(b"\n", dump.index(b"\n", start) + 1) + 1]
    broken = dump.replace(first_row, first_row + first_row, 1)
    path = write_gzip(tmp_path / "duplicate.sql.gz", broken)
    before = server.fingerprint()

    result = run_module(MODULE, server.args(database="mirrorbuddy", path=path, replace=True))
    assert result.get("failed") is True
    assert "psql failed" in result["msg"]
    assert result["changed"] is False
    assert "could not create unique index" in result["msg"]
    assert "user1@example.com" in result["msg"]
    assert result["stderr"].startswith("psql:<stdin>:")
    assert server.fingerprint() == before
    assert not [db for db in server.databases() if "restore_staging" in db or "pre_restore" in db]


def test_truncated_dump_rejected_before_any_change(server, tmp_path):
    dump = read_dump(server.backup)
    cut = dump[:dump.index(b"COPY public.users ") + 200]
    path = write_gzip(tmp_path / "truncated.sql.gz", cut)
    before_databases = server.databases()
    before = server.fingerprint()

    result = run_module(MODULE, server.args(database="mirrorbuddy", path=path, replace=True))
    assert result.get("failed") is True
    assert "truncated" in result["msg"]
    assert server.fingerprint() == before
    assert server.databases() == before_databases


def test_not_gzip_files_rejected_before_any_change(server, tmp_path):
    plain = tmp_path / "plain.sql.gz"
    plain.write_bytes(read_dump(server.backup))
    empty = tmp_path / "empty.sql.gz"
    empty.write_bytes(b"")
    before_databases = server.databases()
    before = server.fingerprint()

    for path, message in ((plain, "not a gzip file: it looks like plain SQL"), (empty, "empty file")):
        result = run_module(MODULE, server.args(database="mirrorbuddy", path=str(path), replace=True))
        assert result.get("failed") is True, result
        assert message in result["msg"]
    target = scratch_name()
    result = run_module(MODULE, server.args(database=target, path=str(plain)))
    assert result.get("failed") is True, result
    assert server.fingerprint() == before
    assert server.databases() == before_databases


def test_missing_owner_role_is_named(server, tmp_path):
    dump = read_dump(server.backup).replace(b"OWNER TO mirrorbuddy;", b"OWNER TO ghost_owner;")
    path = write_gzip(tmp_path / "ghost.sql.gz", dump)
    name = scratch_name()
    try:
        rejected = run_module(MODULE, server.args(database=name, path=path))
        assert rejected.get("failed") is True
        assert "ghost_owner" in rejected["msg"]
        assert rejected["missing_roles"] == ["ghost_owner"]
        assert name not in server.databases()

        owned = run_module(MODULE, server.args(database=name, path=path, owner="mirrorbuddy"))
        assert owned.get("failed") is not True, owned.get("msg")
        assert server.scalar("SELECT tableowner FROM pg_tables WHERE tablename = 'users'", name) == "mirrorbuddy"
        assert server.scalar("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '%s'" % name,
                             name) == "mirrorbuddy"
    finally:
        server.drop(name)


def test_newest_valid_backup_chosen_from_directory(server, tmp_path):
    import os
    import shutil

    directory = tmp_path / "backups"
    directory.mkdir()
    older = directory / "backup-20260101-0000.sql.gz"
    shutil.copy(server.backup, older)
    shutil.copy(server.backup + ".manifest.json", str(older) + ".manifest.json")
    newer = directory / "backup-20260102-0000.sql.gz"
    write_gzip(newer, read_dump(server.backup)[:500])
    name = scratch_name()
    try:
        result = run_module(MODULE, server.args(database=name, directory=str(directory)), check=True)
        assert result.get("failed") is not True, result.get("msg")
        assert result["backup"] == str(older)
        assert [entry["path"] for entry in result["skipped_backups"]] == [str(newer)]
        assert os.path.basename(str(newer)) in result["skipped_backups"][0]["problem"]
    finally:
        server.drop(name)


def test_absent_drops_only_scratch_databases(server):
    live = scratch_name()
    restored = run_module(MODULE, server.args(database=live, path=server.backup))
    assert restored["changed"] is True, restored.get("msg")
    refused = run_module(MODULE, server.args(database=live, state="absent"))
    assert refused.get("failed") is True
    assert "not as a scratch database" in refused["msg"]
    assert live in server.databases()

    scratch = scratch_name()
    run_module(MODULE, server.args(database=scratch, path=server.backup, scratch=True))
    dropped = run_module(MODULE, server.args(database=scratch, state="absent"))
    assert dropped["changed"] is True, dropped.get("msg")
    assert scratch not in server.databases()
    server.drop(live)
