"""Helpers of the restore tests: one PostgreSQL server as the tests see it, and gzip files."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import time
import uuid

from helpers import make_temp_dir, run_module


class Server:
    """One PostgreSQL server as the restore tests see it: module options, psql, and a backup of mirrorbuddy."""

    def __init__(self, kind, server, admin_args):
        self.kind = kind
        self.server = server
        self.admin_args = admin_args
        self.backup_dir = make_temp_dir("mbtest-restore-")
        os.chmod(self.backup_dir, 0o755)
        self.backup = None

    def args(self, **extra):
        """Module options that connect as a role allowed to create and rename databases."""
        args = dict(self.admin_args)
        args.update(extra)
        return args

    def psql(self, sql, database="mirrorbuddy"):
        if self.kind == "container":
            return self.server.psql(sql, database=database)
        return self.server.psql(sql, database=database, user="postgres")

    def scalar(self, sql, database="mirrorbuddy"):
        return self.psql(sql, database).strip()

    def databases(self):
        return set(self.scalar("SELECT string_agg(datname, ' ') FROM pg_database", "postgres").split())

    def drop(self, *names):
        for name in names:
            self.psql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name, "postgres")

    def scratch_database(self, prefix, sql=""):
        """Create an empty database (owned by mirrorbuddy) with the given SQL run in it; return its name."""
        name = "%s_%s" % (prefix, uuid.uuid4().hex[:8])
        self.psql('CREATE DATABASE "%s" OWNER mirrorbuddy' % name, "postgres")
        if sql:
            self.psql(sql, name)
        return name

    def background_session(self, database, sql="SELECT pg_sleep(60)"):
        """Start a session of role mirrorbuddy that stays open; return its process once it is connected."""
        if self.kind == "container":
            argv = ["docker", "exec", "-i", self.server.name, "psql", "-X", "-U", "mirrorbuddy", "-d", database]
        else:
            argv = ["psql", "-X", "-h", self.server.directory, "-p", str(self.server.port), "-U", "mirrorbuddy",
                    "-d", database]
        process = subprocess.Popen(argv + ["-c", sql], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = '%s' AND query LIKE '%%pg_sleep%%' "
                           "AND pid <> pg_backend_pid()" % database, "postgres") != "0":
                return process
            time.sleep(0.2)
        process.kill()
        raise AssertionError("the background session on %s did not start" % database)

    def fingerprint(self, database="mirrorbuddy"):
        """Return row counts and a digest of every sample table, to prove a database did not change."""
        return self.scalar(
            "SELECT (SELECT count(*) FROM users) || ' ' || (SELECT count(*) FROM content) || ' ' || "
            "(SELECT md5(string_agg(id || email || coalesce(deleted_at::text, ''), ',' ORDER BY id)) FROM users) "
            # The bodies carry raw newlines and carriage returns, compared byte for byte.
            "|| ' ' || (SELECT md5(string_agg(encode(convert_to(body, 'UTF8'), 'hex'), ',' ORDER BY id)) FROM content)",
            database)

    def take_backup(self):
        args = self.args(database="mirrorbuddy", directory=self.backup_dir)
        result = run_module("mirrorbuddy.ops.pg_backup", args)
        assert result.get("failed") is not True, result.get("msg")
        return result["path"]

    def close(self):
        shutil.rmtree(self.backup_dir, ignore_errors=True)


def write_gzip(path, text):
    with gzip.open(path, "wb") as handle:
        handle.write(text)
    return str(path)


def read_dump(path):
    with gzip.open(path, "rb") as handle:
        return handle.read()
