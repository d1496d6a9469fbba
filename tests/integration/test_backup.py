"""Backups against real PostgreSQL servers: in a Docker container and on this host."""

from __future__ import annotations

import glob
import gzip
import hashlib
import json
import os
import subprocess
import threading
import time

import pytest

from helpers import run_module

FINGERPRINT = """
SELECT string_agg(table_name || '=' || fingerprint, ' ' ORDER BY table_name) FROM (
  SELECT 'users' AS table_name, md5(string_agg(t::text, '|' ORDER BY id)) AS fingerprint FROM public.users t
  UNION ALL
  SELECT 'sessions', md5(string_agg(t::text, '|' ORDER BY id)) FROM public.sessions t
  UNION ALL
  SELECT 'content', md5(string_agg(encode(convert_to(t::text, 'UTF8'), 'hex'), '|' ORDER BY id))
    FROM public.content t
) AS fingerprints;
"""


def files_in(directory):
    return sorted(os.listdir(directory)) if os.path.isdir(directory) else []


def sha256_of(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def assert_no_backup_left(directory, before=()):
    leftover = [name for name in files_in(directory) if name not in before]
    assert leftover == [], "a failed backup left files behind: %s" % leftover


def runbook_restore_into_container(container, path, database):
    container.psql("CREATE DATABASE %s;" % database, database="postgres")
    subprocess.run(
        ["bash", "-o", "pipefail", "-c",
         'gunzip -c "$1" | docker exec -i "$2" psql -X -q -v ON_ERROR_STOP=1 -U mirrorbuddy "$3" >/dev/null',
         "restore", path, container.name, database],
        check=True)


# --- round trips ---------------------------------------------------------------------------------

def test_container_backup_round_trip_restores_identical_data(pg_container, backup_dir):
    result = run_module("mirrorbuddy.ops.pg_backup", pg_container.connection_args(directory=backup_dir))

    assert result["changed"] is True, result
    path = result["path"]
    assert os.path.basename(path).startswith("backup-")
    assert result["tables"] == {"public.content": 1000, "public.sessions": 400, "public.users": 200}
    assert result["sha256"] == sha256_of(path)
    assert result["compressed_size"] == os.path.getsize(path)
    assert result["server_version"].startswith("15.")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(backup_dir).st_mode & 0o777 == 0o700

    verified = run_module("mirrorbuddy.ops.pg_backup_verify", {
        "path": path, "require_manifest": True, "expect_tables": ["users", "content"], "min_rows": {"users": 200}})
    assert verified["valid"] is True, verified
    assert verified["changed"] is False

    runbook_restore_into_container(pg_container, path, "restored")
    source = pg_container.psql(FINGERPRINT)
    restored = pg_container.psql(FINGERPRINT, database="restored")
    assert restored == source
    # The sample data carries raw newlines and carriage returns inside values.
    assert pg_container.psql("SELECT count(*) FROM content WHERE body LIKE '%' || chr(13) || chr(10) || '%';",
                             database="restored").strip() == "1000"


def test_backup_files_pass_runbook_checks(shared_pg_container, backup_dir):
    result = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(directory=backup_dir))
    path = result["path"]

    subprocess.run(["gunzip", "-t", path], check=True)
    subprocess.run(["sha256sum", "-c", os.path.basename(path) + ".sha256"], cwd=backup_dir, check=True,
                   capture_output=True)
    manifest = json.loads(open(path + ".manifest.json").read())
    assert manifest["database"] == "mirrorbuddy"
    assert manifest["tables"] == result["tables"]
    assert manifest["raw_size"] == len(gzip.decompress(open(path, "rb").read()))
    for key in ("server_version", "pg_dump_version", "started_at", "finished_at", "duration_seconds", "sha256"):
        assert manifest[key], key


def test_host_backup_round_trip_restores_identical_data(host_postgres, backup_dir):
    result = run_module("mirrorbuddy.ops.pg_backup",
                        host_postgres.connection_args(tcp=True, directory=backup_dir))
    assert result["changed"] is True, result
    assert result["tables"]["public.users"] == 200

    host_postgres.psql("DROP DATABASE IF EXISTS restored; CREATE DATABASE restored OWNER mirrorbuddy;",
                       database="postgres")
    subprocess.run(
        ["bash", "-o", "pipefail", "-c",
         'gunzip -c "$1" | psql -X -q -v ON_ERROR_STOP=1 -h "$2" -p "$3" -U mirrorbuddy restored >/dev/null',
         "restore", result["path"], host_postgres.directory, str(host_postgres.port)],
        check=True)
    assert host_postgres.psql(FINGERPRINT, database="restored") == host_postgres.psql(FINGERPRINT)


def test_zlib_fallback_writes_standard_gzip(shared_pg_container, backup_dir):
    result = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(
        directory=backup_dir, compression_library="zlib", compression_level=1))
    assert result["compression"] == {"format": "gzip", "library": "zlib", "level": 1}
    subprocess.run(["gunzip", "-t", result["path"]], check=True)


def test_same_minute_backups_get_distinct_names(shared_pg_container, backup_dir):
    args = shared_pg_container.connection_args(directory=backup_dir, name_template="fixed.sql.gz")
    first = run_module("mirrorbuddy.ops.pg_backup", args)
    first_digest = sha256_of(first["path"])
    second = run_module("mirrorbuddy.ops.pg_backup", args)
    assert first["path"].endswith("/fixed.sql.gz")
    assert second["path"].endswith("/fixed-2.sql.gz")
    assert sha256_of(first["path"]) == first_digest


# --- B1: a failed dump must never look like a success -------------------------------------------

def make_earlier_backup(container, backup_dir):
    earlier = run_module("mirrorbuddy.ops.pg_backup", container.connection_args(directory=backup_dir))
    assert earlier["changed"], earlier
    return earlier["path"], sha256_of(earlier["path"])


def assert_failed_without_files(result, backup_dir, earlier):
    assert result.get("failed") is True, result
    assert "pg_dump" in result["msg"]
    before = [os.path.basename(earlier[0]), os.path.basename(earlier[0]) + ".manifest.json",
              os.path.basename(earlier[0]) + ".sha256"]
    assert_no_backup_left(backup_dir, before)
    assert sha256_of(earlier[0]) == earlier[1], "an earlier backup was changed"


def test_wrong_password_fails_with_pg_dump_error(host_postgres, backup_dir):
    earlier = make_earlier_backup(host_postgres, backup_dir)
    result = run_module("mirrorbuddy.ops.pg_backup", host_postgres.connection_args(
        tcp=True, login_password="wrong-password", directory=backup_dir))
    assert_failed_without_files(result, backup_dir, earlier)
    assert result["exit_code"] != 0
    assert "password authentication failed" in result["stderr"]
    assert "exit status" in result["msg"]
    assert "wrong-password" not in result["_stdout"]


def test_pg_hba_reject_fails(pg_container_factory, backup_dir):
    container = pg_container_factory()
    container.psql("CREATE ROLE blocked LOGIN SUPERUSER;")
    container.container.exec_run(["sh", "-c", "sed -i '1i local all blocked reject' $PGDATA/pg_hba.conf"])
    container.psql("SELECT pg_reload_conf();")
    earlier = make_earlier_backup(container, backup_dir)

    result = run_module("mirrorbuddy.ops.pg_backup", container.connection_args(
        login_user="blocked", directory=backup_dir))
    assert_failed_without_files(result, backup_dir, earlier)
    assert "pg_hba.conf rejects connection" in result["stderr"]


def test_missing_database_fails(shared_pg_container, backup_dir):
    earlier = make_earlier_backup(shared_pg_container, backup_dir)
    result = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(
        database="no_such_database", directory=backup_dir))
    assert_failed_without_files(result, backup_dir, earlier)
    assert 'database "no_such_database" does not exist' in result["stderr"]


def test_stopped_container_fails_naming_it(pg_container_factory, backup_dir):
    container = pg_container_factory()
    earlier = make_earlier_backup(container, backup_dir)
    container.container.stop(timeout=10)

    result = run_module("mirrorbuddy.ops.pg_backup", container.connection_args(directory=backup_dir))
    assert result.get("failed") is True, result
    assert "container %s is not running" % container.name in result["msg"]
    assert "docker start" in result["msg"]
    assert_no_backup_left(backup_dir, [os.path.basename(p) for p in glob.glob(earlier[0] + "*")])
    assert sha256_of(earlier[0]) == earlier[1]


def test_missing_container_fails_naming_it(docker_client, backup_dir):
    result = run_module("mirrorbuddy.ops.pg_backup", {"container": "mbtest-does-not-exist", "directory": backup_dir})
    assert result.get("failed") is True, result
    assert "container mbtest-does-not-exist not found" in result["msg"]
    assert files_in(backup_dir) == []


# --- B2: a dump cut short --------------------------------------------------------------------------

@pytest.mark.slow
def test_dump_terminated_halfway_leaves_no_file(pg_container_factory, backup_dir):
    container = pg_container_factory()
    # About 400 MB of rows, so the dump runs long enough to be cut in the middle.
    container.psql("CREATE TABLE big AS SELECT i, repeat(md5(i::text), 6) AS filler "
                   "FROM generate_series(1, 2000000) AS i;")
    outcome = {}

    def backup():
        outcome["result"] = run_module("mirrorbuddy.ops.pg_backup", container.connection_args(
            directory=backup_dir, compression_level=1))

    worker = threading.Thread(target=backup)
    worker.start()
    deadline = time.monotonic() + 60
    terminated = ""
    while time.monotonic() < deadline and worker.is_alive():
        partial = [p for p in glob.glob(os.path.join(backup_dir, ".*.partial")) if os.path.getsize(p) > 1 << 20]
        if partial:
            terminated = container.psql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pg_dump';",
                database="postgres")
            break
        time.sleep(0.05)
    worker.join(timeout=300)

    assert terminated.strip() == "1", "the dump finished before it could be terminated"
    result = outcome["result"]
    assert result.get("failed") is True, result
    assert "pg_dump" in result["msg"]
    assert files_in(backup_dir) == []


def write_gzip(path, data):
    with open(path, "wb") as handle:
        handle.write(gzip.compress(data))


def test_verify_reports_dump_without_trailer_as_truncated(shared_pg_container, tmp_path):
    complete = subprocess.run(["docker", "exec", shared_pg_container.name, "pg_dump", "-U", "mirrorbuddy",
                               "mirrorbuddy"], check=True, capture_output=True).stdout
    cut = complete[:complete.index(b"-- PostgreSQL database dump complete")]
    path = str(tmp_path / "cut.sql.gz")
    write_gzip(path, cut)
    assert subprocess.run(["gzip", "-t", path], check=False).returncode == 0, "gzip -t should accept the cut dump"

    result = run_module("mirrorbuddy.ops.pg_backup_verify", {"path": path})
    assert result.get("failed") is True, result
    assert "truncated" in result["msg"]
    assert result["trailer"] is False


def test_verify_reports_dump_cut_inside_copy_data(shared_pg_container, tmp_path):
    complete = subprocess.run(["docker", "exec", shared_pg_container.name, "pg_dump", "-U", "mirrorbuddy",
                               "mirrorbuddy"], check=True, capture_output=True).stdout
    copy_start = complete.index(b"COPY public.content")
    path = str(tmp_path / "cut.sql.gz")
    write_gzip(path, complete[:copy_start + 5000])

    result = run_module("mirrorbuddy.ops.pg_backup_verify", {"path": path})
    assert result.get("failed") is True, result
    assert "inside the COPY data of public.content" in result["msg"]


def test_verify_reports_gzip_cut_short(shared_pg_container, backup_dir):
    made = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(directory=backup_dir))
    with open(made["path"], "r+b") as handle:
        handle.truncate(os.path.getsize(made["path"]) // 2)

    result = run_module("mirrorbuddy.ops.pg_backup_verify", {"path": made["path"]})
    assert result.get("failed") is True, result
    assert "truncated" in result["msg"]


def test_verify_reports_sha256_mismatch(shared_pg_container, backup_dir):
    made = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(directory=backup_dir))
    # Recompress the same dump: a valid gzip with the same content but other bytes than the manifest's.
    data = gzip.decompress(open(made["path"], "rb").read())
    write_gzip(made["path"], data)

    result = run_module("mirrorbuddy.ops.pg_backup_verify", {"path": made["path"]})
    assert result.get("failed") is True, result
    assert "does not match the manifest" in result["msg"]


# --- B3: a TTY corrupts the dump ------------------------------------------------------------------

def test_verify_flags_dump_taken_through_a_tty(shared_pg_container, tmp_path):
    path = str(tmp_path / "tty.sql.gz")
    # `docker exec -t` allocates a TTY, which turns every LF into CR LF: the runbook's pipeline with -t.
    subprocess.run(["bash", "-o", "pipefail", "-c",
                    'docker exec -t "$1" pg_dump -U mirrorbuddy mirrorbuddy | gzip > "$2"',
                    "dump", shared_pg_container.name, path], check=True)
    assert subprocess.run(["gzip", "-t", path], check=False).returncode == 0

    result = run_module("mirrorbuddy.ops.pg_backup_verify", {"path": path})
    assert result.get("failed") is True, result
    assert "CR LF" in result["msg"]
    assert result["crlf_lines"] > 100


def test_container_backup_has_no_crlf_lines(shared_pg_container, backup_dir):
    made = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(directory=backup_dir))
    verified = run_module("mirrorbuddy.ops.pg_backup_verify", {"path": made["path"]})
    assert verified["crlf_lines"] == 0
    data = gzip.decompress(open(made["path"], "rb").read())
    assert b"\r\n" not in data


# --- B4: no password prompt --------------------------------------------------------------------------

def test_missing_password_fails_within_seconds_on_host(host_postgres, backup_dir):
    started = time.monotonic()
    result = run_module("mirrorbuddy.ops.pg_backup", host_postgres.connection_args(
        tcp=True, login_password=None, directory=backup_dir), env={"PGPASSWORD": "", "PGPASSFILE": "/nonexistent"})
    elapsed = time.monotonic() - started
    assert result.get("failed") is True, result
    assert "no password supplied" in result["stderr"]
    assert "--no-password" in result["command"]
    assert elapsed < 30, "the backup waited %.0f seconds" % elapsed
    assert files_in(backup_dir) == []


def test_missing_password_fails_within_seconds_in_container(pg_container_factory, backup_dir):
    container = pg_container_factory()
    container.psql("CREATE ROLE needs_password LOGIN SUPERUSER PASSWORD 'secret-1';")
    container.container.exec_run(["sh", "-c", "sed -i '1i local all needs_password scram-sha-256' $PGDATA/pg_hba.conf"])
    container.psql("SELECT pg_reload_conf();")

    started = time.monotonic()
    result = run_module("mirrorbuddy.ops.pg_backup", container.connection_args(
        login_user="needs_password", directory=backup_dir))
    elapsed = time.monotonic() - started
    assert result.get("failed") is True, result
    assert "no password supplied" in result["stderr"]
    assert elapsed < 30

    # With the password in the option it works, and the password appears nowhere in the output.
    result = run_module("mirrorbuddy.ops.pg_backup", container.connection_args(
        login_user="needs_password", login_password="secret-1", directory=backup_dir))
    assert result["changed"] is True, result
    assert "secret-1" not in result["_stdout"]
    assert "secret-1" not in open(result["path"] + ".manifest.json").read()


# --- R2 (verify part): not a gzip file ---------------------------------------------------------------

def test_verify_rejects_plain_sql_named_gz(tmp_path):
    path = tmp_path / "x.sql.gz"
    path.write_text("--\n-- PostgreSQL database dump\n--\nSELECT 1;\n")
    result = run_module("mirrorbuddy.ops.pg_backup_verify", {"path": str(path)})
    assert result.get("failed") is True
    assert "not a gzip file" in result["msg"]
    assert "plain SQL" in result["msg"]


def test_verify_rejects_empty_file(tmp_path):
    path = tmp_path / "x.sql.gz"
    path.write_bytes(b"")
    result = run_module("mirrorbuddy.ops.pg_backup_verify", {"path": str(path)})
    assert result.get("failed") is True
    assert "empty file" in result["msg"]


def test_verify_rejects_missing_file(tmp_path):
    result = run_module("mirrorbuddy.ops.pg_backup_verify", {"path": str(tmp_path / "none.sql.gz")})
    assert result.get("failed") is True
    assert "not found" in result["msg"]


def test_verify_expectations_fail_with_reason(shared_pg_container, backup_dir):
    made = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(directory=backup_dir))
    result = run_module("mirrorbuddy.ops.pg_backup_verify", {
        "path": made["path"], "expect_tables": ["orders"], "min_rows": {"users": 1000000}})
    assert result.get("failed") is True
    assert "table orders is not in the dump" in result["msg"]
    assert "table users has 200 rows, fewer than the expected minimum of 1000000" in result["msg"]


# --- check mode, idempotence, bad input ----------------------------------------------------------------

def test_check_mode_creates_nothing(shared_pg_container, backup_dir):
    result = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(directory=backup_dir),
                        check=True)
    assert result["changed"] is True
    assert result["path"].startswith(backup_dir + "/backup-")
    assert not os.path.exists(backup_dir)


def test_skip_if_newer_than_makes_second_run_unchanged(shared_pg_container, backup_dir):
    args = shared_pg_container.connection_args(directory=backup_dir, skip_if_newer_than="1h")
    first = run_module("mirrorbuddy.ops.pg_backup", args)
    second = run_module("mirrorbuddy.ops.pg_backup", args)
    assert first["changed"] is True
    assert second["changed"] is False
    assert second["skipped_recent"] is True
    assert second["path"] == first["path"]
    assert len([n for n in files_in(backup_dir) if n.endswith(".sql.gz")]) == 1


def test_skip_if_newer_than_ignores_damaged_recent_backup(shared_pg_container, backup_dir):
    args = shared_pg_container.connection_args(directory=backup_dir, skip_if_newer_than="1h")
    first = run_module("mirrorbuddy.ops.pg_backup", args)
    with open(first["path"], "r+b") as handle:
        handle.truncate(100)
    second = run_module("mirrorbuddy.ops.pg_backup", args)
    assert second["changed"] is True
    assert second["path"] != first["path"]


@pytest.mark.parametrize("args, message", [
    ({"compression_level": 0}, "compression_level is 0"),
    ({"name_template": "../escape.sql.gz"}, "name_template"),
    ({"skip_if_newer_than": "soon"}, "skip_if_newer_than is 'soon'"),
    ({"database": "postgresql://u:pw@h/db"}, "not a connection string"),
    ({"dump_options": ["--format=custom"]}, "sets itself"),
    ({"directory": "relative/dir"}, "absolute path"),
])
def test_bad_options_fail_with_clear_message(shared_pg_container, backup_dir, args, message):
    options = shared_pg_container.connection_args(directory=backup_dir)
    options.update(args)
    result = run_module("mirrorbuddy.ops.pg_backup", options)
    assert result.get("failed") is True, result
    assert message in result["msg"]


# --- full disk ----------------------------------------------------------------------------------------

@pytest.fixture
def tiny_filesystem(tmp_path):
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", str(mount_point)], check=True)
    yield str(mount_point)
    subprocess.run(["umount", str(mount_point)], check=False)


def test_full_disk_fails_and_leaves_nothing(shared_pg_container, tiny_filesystem):
    result = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(
        directory=tiny_filesystem + "/backups"))
    assert result.get("failed") is True, result
    assert "No space left on device" in result["msg"]
    assert files_in(tiny_filesystem + "/backups") == []


# --- retention ----------------------------------------------------------------------------------------

def test_prune_keeps_newest_valid_and_reports_invalid(shared_pg_container, backup_dir):
    made = []
    for index in range(3):
        made.append(run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(
            directory=backup_dir, name_template="backup-%%Y%%m%%d-%%H%%M%%S-%d.sql.gz" % index))["path"])
        time.sleep(1.1)
    orphan = os.path.join(backup_dir, "backup-20200101-000000-9.sql.gz")
    write_gzip(orphan, b"no manifest")
    damaged = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(
        directory=backup_dir, name_template="backup-%Y%m%d-%H%M%S-8.sql.gz"))["path"]
    with open(damaged, "r+b") as handle:
        handle.truncate(200)
    options = {"directory": backup_dir, "name_template": "backup-%Y%m%d-%H%M%S.sql.gz", "keep": 1}

    planned = run_module("mirrorbuddy.ops.pg_backup_prune", options, check=True)
    assert planned["changed"] is True
    assert sorted(planned["deleted"]) == sorted(made[:2])
    assert all(os.path.exists(path) for path in made)

    pruned = run_module("mirrorbuddy.ops.pg_backup_prune", options)
    assert pruned["kept"] == [made[2]]
    assert sorted(pruned["deleted"]) == sorted(made[:2])
    assert sorted(entry["path"] for entry in pruned["invalid"]) == sorted([orphan, damaged])
    for path in made[:2]:
        assert not os.path.exists(path)
        assert not os.path.exists(path + ".manifest.json")
        assert not os.path.exists(path + ".sha256")
    assert os.path.exists(orphan)
    assert os.path.exists(damaged)

    again = run_module("mirrorbuddy.ops.pg_backup_prune", options)
    assert again["changed"] is False
    assert again["deleted"] == []


# --- B1: pg_dump builds that exit 0 after an error ----------------------------------------------

def exit_zero_pg_dump(directory, body):
    """Make a pg_bin_dir whose pg_dump runs the real one through a filter and always exits 0."""
    os.makedirs(directory, exist_ok=True)
    script = os.path.join(directory, "pg_dump")
    with open(script, "w") as handle:
        handle.write("#!/bin/sh\n%s\nexit 0\n" % body)
    os.chmod(script, 0o755)
    return directory


def test_exit_zero_after_login_error_still_fails(host_postgres, backup_dir, tmp_path):
    bin_dir = exit_zero_pg_dump(str(tmp_path / "bin"), '/usr/bin/pg_dump "$@"')
    result = run_module("mirrorbuddy.ops.pg_backup", host_postgres.connection_args(
        tcp=True, login_password="wrong-password", directory=backup_dir, pg_bin_dir=bin_dir))
    assert result.get("failed") is True, result
    assert result["exit_code"] == 0
    assert "password authentication failed" in result["msg"]
    assert "no '-- PostgreSQL database dump' header" in result["msg"]
    assert files_in(backup_dir) == []


def test_exit_zero_with_output_cut_short_still_fails(host_postgres, backup_dir, tmp_path):
    bin_dir = exit_zero_pg_dump(str(tmp_path / "bin"), '/usr/bin/pg_dump "$@" | head -c 60000')
    result = run_module("mirrorbuddy.ops.pg_backup", host_postgres.connection_args(
        directory=backup_dir, pg_bin_dir=bin_dir))
    assert result.get("failed") is True, result
    assert result["exit_code"] == 0
    assert "ended after 60000 bytes without the '-- PostgreSQL database dump complete' trailer" in result["msg"]
    assert files_in(backup_dir) == []


def test_expectations_not_met_leave_no_backup(shared_pg_container, backup_dir):
    result = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(
        directory=backup_dir, expect_tables=["users", "orders"], min_rows={"users": 1000000}))
    assert result.get("failed") is True, result
    assert "table orders is not in the dump" in result["msg"]
    assert "fewer than the expected minimum of 1000000" in result["msg"]
    assert files_in(backup_dir) == []


def test_verify_rejects_joined_dumps(shared_pg_container, backup_dir, tmp_path):
    made = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(directory=backup_dir))
    joined = str(tmp_path / "joined.sql.gz")
    with open(joined, "wb") as handle:
        handle.write(open(made["path"], "rb").read() * 2)
    result = run_module("mirrorbuddy.ops.pg_backup_verify", {"path": joined})
    assert result.get("failed") is True, result
    assert "holds 2 dumps joined together" in result["msg"]


def test_prune_ignores_other_templates(shared_pg_container, backup_dir):
    other = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(
        directory=backup_dir, name_template="backup-pre-upgrade-%Y%m%d.sql.gz"))["path"]
    newest = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(directory=backup_dir))["path"]
    pruned = run_module("mirrorbuddy.ops.pg_backup_prune", {"directory": backup_dir, "keep": 1})
    assert pruned["kept"] == [newest]
    assert pruned["deleted"] == []
    assert os.path.exists(other)


def test_quick_prune_never_keeps_damaged_newest(shared_pg_container, backup_dir):
    older = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(
        directory=backup_dir, name_template="backup-%Y%m%d-%H%M%S.sql.gz"))["path"]
    time.sleep(1.1)
    newest = run_module("mirrorbuddy.ops.pg_backup", shared_pg_container.connection_args(
        directory=backup_dir, name_template="backup-%Y%m%d-%H%M%S.sql.gz"))["path"]
    with open(newest, "r+b") as handle:
        handle.seek(os.path.getsize(newest) // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    pruned = run_module("mirrorbuddy.ops.pg_backup_prune", {
        "directory": backup_dir, "name_template": "backup-%Y%m%d-%H%M%S.sql.gz", "keep": 1, "verification": "quick"})
    assert pruned["kept"] == [older]
    assert [entry["path"] for entry in pruned["invalid"]] == [newest]
    assert pruned["deleted"] == []
