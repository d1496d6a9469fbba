"""What the full-loss recovery leaves behind: the backup restored in place, the old database kept."""

import json
import os
import subprocess

CONTAINER = "mbmol-data-recovery"


def psql(sql, database="mirrorbuddy"):
    completed = subprocess.run(
        ["docker", "exec", CONTAINER, "psql", "-X", "-At", "-h", "/run/postgresql", "-U", "mirrorbuddy",
         "-d", database, "-c", sql], capture_output=True, text=True, check=True)
    return completed.stdout.strip()


def manifest():
    directory = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "backups")
    names = sorted(name for name in os.listdir(directory) if name.endswith(".manifest.json"))
    with open(os.path.join(directory, names[-1])) as handle:
        return json.load(handle)


def test_restored_database_records_backup():
    comment = psql("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'mirrorbuddy'",
                   "postgres")
    assert comment.startswith("mirrorbuddy.ops:restore ")
    assert json.loads(comment.split(" ", 1)[1])["sha256"] == manifest()["sha256"]


def test_row_counts_match_manifest():
    for table, rows in manifest()["tables"].items():
        assert int(psql("SELECT count(*) FROM %s" % table)) == rows, table


def test_previous_database_kept_once():
    kept = psql("SELECT count(*) FROM pg_database WHERE datname LIKE 'mirrorbuddy\\_pre\\_restore\\_%'", "postgres")
    assert kept == "1"


def test_writes_allowed():
    assert psql("SHOW default_transaction_read_only") == "off"
