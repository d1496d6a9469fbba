# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restore a verified gzipped plain-SQL dump into a staging database, then swap it in place of the target.

The order of the steps is the safety contract: the whole file is verified first, then the target and the
roles the dump needs are checked, and only then a staging database is created from template0. psql loads
the dump into it in one transaction with ON_ERROR_STOP, the row counts the server reported for each COPY
are compared with the dump's, and only then the staging database takes the target's name. A target that existed is kept under a
dated name, so every restore can be undone by renaming the databases back.
"""

from __future__ import annotations

import json
import os
import re
import time

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.backup_files import isoformat, utc_now
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.compression import GzipReader
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.dump_scan import split_qualified_name
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import (
    CommandFailed,
    InvalidArgument,
    OpsError,
    TargetError,
)
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.verify import verify_backup

READ_SIZE = 1 << 20
MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1
RESERVED_DATABASES = ("postgres", "template0", "template1")
MARKER_PREFIX = "mirrorbuddy.ops:restore "
PREVIOUS_LABEL = "pre_restore"
STAGING_LABEL = "restore_staging"
RENAME_ATTEMPTS = 20  # attempts, 0.5 s apart, to rename a database whose ended sessions are still exiting

_OWNER_LINE = re.compile(rb"^(ALTER [A-Z ]+ .+ OWNER TO )(\"(?:[^\"]|\"\")+\"|[^ ;\"]+);(\r?\n)$")


def check_restore_target(name, maintenance_database):
    """Reject a missing or reserved target database name; restore never picks one by itself."""
    if not name or not name.strip():
        raise InvalidArgument("database is empty; give the name of the database to restore into")
    if name in RESERVED_DATABASES:
        raise InvalidArgument(
            "database is %s, a database PostgreSQL itself needs; give the application's database, for "
            "example mirrorbuddy, or a scratch database name" % name)
    if name == maintenance_database:
        raise InvalidArgument(
            "database and maintenance_database are both %s; the restore connects to maintenance_database to "
            "create and rename databases, so it must be another database (usually postgres)" % name)
    if len(name.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
        raise InvalidArgument("database name %s is longer than %d bytes" % (name, MAX_IDENTIFIER_BYTES))
    return name


def dated_name(base, label, moment):
    """Return BASE_LABEL_YYYYMMDDHHMMSS, shortening BASE so the name fits PostgreSQL's 63 bytes."""
    suffix = "_%s_%s" % (label, moment.strftime("%Y%m%d%H%M%S"))
    room = MAX_IDENTIFIER_BYTES - len(suffix)
    encoded = base.encode("utf-8")[:room]
    return encoded.decode("utf-8", "ignore") + suffix


def quote_identifier(name):
    """Quote an identifier for SQL shown to a person in undo instructions (never for execution)."""
    return '"%s"' % name.replace('"', '""')


def quote_literal(text):
    """Quote a string literal for SQL shown to a person in undo instructions (never for execution)."""
    return "'%s'" % text.replace("'", "''")


def make_marker(findings, moment, scratch=False):
    """Return the database comment that records which backup a database was restored from.

    scratch marks a throwaway database (a restore test's); only those may be dropped with state=absent.
    """
    record = {"sha256": findings["sha256"], "file": os.path.basename(findings["path"]),
              "restored_at": isoformat(moment), "scratch": bool(scratch)}
    return MARKER_PREFIX + json.dumps(record, sort_keys=True)


def parse_marker(comment):
    """Return the record of a restore marker comment, or None when the comment is something else."""
    if not comment or not comment.startswith(MARKER_PREFIX):
        return None
    try:
        record = json.loads(comment[len(MARKER_PREFIX):])
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def rewrite_owner_line(line, owner):
    """Point an `ALTER ... OWNER TO role;` line at owner; return other lines unchanged."""
    match = _OWNER_LINE.match(line)
    if not match:
        return line
    return match.group(1) + quote_identifier(owner).encode("utf-8") + b";" + match.group(3)


def rewrite_owners(chunks, owner):
    """Yield the dump with every OWNER TO outside COPY data naming owner, line by line.

    COPY data is passed through untouched, because a data row may contain any text.
    """
    partial = b""
    in_copy = False
    for chunk in chunks:
        data = partial + chunk
        lines = data.split(b"\n")
        partial = lines.pop()
        output = []
        for line in lines:
            line += b"\n"
            if in_copy:
                if line in (b"\\.\n", b"\\.\r\n"):
                    in_copy = False
            elif line.startswith(b"COPY ") and line.rstrip(b"\r\n").endswith(b"FROM stdin;"):
                in_copy = True
            elif line.startswith(b"ALTER ") and b" OWNER TO " in line:
                line = rewrite_owner_line(line, owner)
            output.append(line)
        yield b"".join(output)
    if partial:
        yield partial


def decompressed_chunks(path, prefer_isal=True):
    """Yield the plain SQL of a gzip file, chunk by chunk; raise ValueError when the stream is damaged."""
    reader = GzipReader(prefer_isal)
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(READ_SIZE)
            if not chunk:
                break
            data = reader.feed(chunk)
            if data:
                yield data
    reader.finish()


def table_names(tables):
    """Return [schema, table] pairs for the table names pg_dump wrote in COPY lines."""
    return [list(split_qualified_name(name)) for name in tables]


# One statement counts every table: format() quotes the names and query_to_xml runs each count.
COUNT_ROWS_SQL = """
SELECT t.value->>0 AS schema_name, t.value->>1 AS table_name,
       (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', t.value->>0,
                                                   t.value->>1), false, true, '')))[1]::text::bigint AS row_count
FROM json_array_elements(:'tables'::json) AS t
"""


def count_rows(target, database, tables):
    """Return the row count of each table (pg_dump's qualified names as keys) in database."""
    if not tables:
        return {}
    names = list(tables)
    pairs = table_names(names)
    rows = target.query(COUNT_ROWS_SQL, {"tables": json.dumps(pairs)}, database=database)
    counted = {(row["schema_name"], row["table_name"]): int(row["row_count"]) for row in rows}
    return {name: counted.get(tuple(pair)) for name, pair in zip(names, pairs)}


def compare_row_counts(expected, found):
    """Return one problem per table whose restored row count differs from the dump's."""
    problems = []
    for table, rows in sorted(expected.items()):
        if found.get(table) != rows:
            problems.append("table %s has %s rows after the restore, the backup has %s" % (
                table, found.get(table), rows))
    return problems


class CommandTags:
    """Collect the row counts of psql's "COPY n" command tags from its standard output, in order."""

    _COPY_TAG = re.compile(rb"^COPY (\d+)$")

    def __init__(self):
        self.copy_counts = []
        self._partial = b""

    def feed(self, chunk):
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            match = self._COPY_TAG.match(line.rstrip(b"\r"))
            if match:
                self.copy_counts.append(int(match.group(1)))


def match_copy_counts(tables, copy_counts):
    """Pair the dump's COPY blocks (tables, in dump order) with the counts psql reported for them."""
    if len(copy_counts) != len(tables):
        raise OpsError("psql reported %d COPY commands but the backup has %d COPY blocks; the restore is not "
                       "trusted and the target database was not touched" % (len(copy_counts), len(tables)))
    return dict(zip(tables, copy_counts))


class Catalog:
    """Questions about databases and roles, asked through the maintenance database."""

    def __init__(self, target, maintenance_database):
        self.target = target
        self.maintenance_database = maintenance_database

    def query(self, statement, variables=None, database=None):
        return self.target.query(statement, variables or {}, database=database or self.maintenance_database)

    def run(self, script, variables=None):
        return self.target.run_sql_script(script, self.maintenance_database, variables or {})

    def database(self, name):
        """Return owner, encoding, locale and comment of a database, or None when it does not exist."""
        rows = self.query(
            "SELECT d.datname AS name, pg_get_userbyid(d.datdba) AS owner, "
            "pg_encoding_to_char(d.encoding) AS encoding, d.datcollate AS lc_collate, d.datctype AS lc_ctype, "
            "d.datallowconn AS allow_connections, shobj_description(d.oid, 'pg_database') AS comment "
            "FROM pg_database AS d WHERE d.datname = :'name'", {"name": name})
        return rows[0] if rows else None

    def databases_with_prefix(self, prefix):
        rows = self.query(
            "SELECT datname FROM pg_database WHERE left(datname, length(:'prefix')) = :'prefix' "
            "ORDER BY datname", {"prefix": prefix})
        return [row["datname"] for row in rows]

    def user_object_count(self, database):
        """Return how many relations and non-public schemas a database has outside the system schemas."""
        rows = self.query(
            "SELECT (SELECT count(*) FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%') "
            "     + (SELECT count(*) FROM pg_namespace WHERE nspname NOT IN ('public', 'pg_catalog', "
            "        'information_schema') AND nspname NOT LIKE 'pg\\_%') AS objects", database=database)
        return int(rows[0]["objects"])

    def missing_roles(self, roles):
        if not roles:
            return []
        rows = self.query(
            "SELECT r AS name FROM json_array_elements_text(:'roles'::json) AS r "
            "WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) ORDER BY r",
            {"roles": json.dumps(sorted(roles))})
        return [row["name"] for row in rows]

    def session_count(self, database):
        rows = self.query(
            "SELECT count(*) AS sessions FROM pg_stat_activity WHERE datname = :'name' AND pid <> pg_backend_pid()",
            {"name": database})
        return int(rows[0]["sessions"])

    def terminate_sessions(self, database):
        rows = self.query(
            "SELECT count(pg_terminate_backend(pid)) AS ended FROM pg_stat_activity "
            "WHERE datname = :'name' AND pid <> pg_backend_pid()", {"name": database})
        return int(rows[0]["ended"])

    def allow_connections(self, database, allowed):
        self.run('ALTER DATABASE :"name" WITH ALLOW_CONNECTIONS %s;\n' % ("true" if allowed else "false"),
                 {"name": database})

    def rename(self, old, new):
        """Rename a database, ending sessions that still use it and retrying while they exit."""
        for attempt in range(RENAME_ATTEMPTS):
            try:
                self.run('ALTER DATABASE :"old" RENAME TO :"new";\n', {"old": old, "new": new})
                return
            except CommandFailed as exc:
                if "is being accessed by other users" not in exc.message or attempt == RENAME_ATTEMPTS - 1:
                    raise
            self.terminate_sessions(old)
            time.sleep(0.5)

    def drop(self, database):
        self.run('DROP DATABASE IF EXISTS :"name" WITH (FORCE);\n', {"name": database})


class RestoreJob:
    """One restore of a backup file into a named database: plan() for check mode, run() to do it."""

    def __init__(self, target, path, database, maintenance_database="postgres", replace=False, scratch=False, owner=None,
                 force=False, terminate_sessions=True, lc_collate=None, lc_ctype=None, require_manifest=False,
                 prefer_isal=True, now=None):
        self.target = target
        self.path = path
        self.database = check_restore_target(database, maintenance_database)
        self.catalog = Catalog(target, maintenance_database)
        self.replace = replace
        self.scratch = scratch
        self.owner = owner
        self.force = force
        self.terminate = terminate_sessions
        self.lc_collate = lc_collate
        self.lc_ctype = lc_ctype
        self.require_manifest = require_manifest
        self.prefer_isal = prefer_isal
        self.moment = now or utc_now()
        self.staging = dated_name(self.database, STAGING_LABEL, self.moment)
        self.previous = dated_name(self.database, PREVIOUS_LABEL, self.moment)
        self.findings = None
        self.existing = None
        self.result = {"database": self.database, "backup": path}

    def plan(self):
        """Verify the file and check the target and roles; return the result a run would start from.

        Raises DumpInvalid or InvalidArgument before anything in the database changes.
        """
        self.findings = verify_backup(self.path, require_manifest=self.require_manifest,
                                      prefer_isal=self.prefer_isal)
        self.result.update(sha256=self.findings["sha256"], tables_expected=self.findings["tables"],
                           verification={key: self.findings.get(key) for key in (
                               "header", "trailer", "raw_size", "compressed_size", "manifest_found",
                               "server_version", "pg_dump_version", "client_encoding", "gzip_members")})

        self.existing = self.catalog.database(self.database)
        marker = parse_marker(self.existing.get("comment")) if self.existing else None
        self.result["target_existed"] = self.existing is not None
        if marker and marker.get("sha256") == self.findings["sha256"] and not self.force:
            self.result.update(changed=False, already_restored=marker,
                               msg="database %s already holds backup %s (restored at %s); nothing to do" % (
                                   self.database, marker.get("file"), marker.get("restored_at")))
            return self.result

        if self.existing is not None:
            objects = self.catalog.user_object_count(self.database)
            self.result["target_objects"] = objects
            if objects and not self.replace:
                raise InvalidArgument(
                    "database %s is not empty (%d tables, sequences, views or schemas); set replace=true to "
                    "restore in its place (it is kept as %s), or give another database name"
                    % (self.database, objects, self.previous), **self.result)

        self._check_roles()
        self.result.update(changed=True, staging_database=self.staging, actions=self._actions())
        if self.existing is not None:
            self.result["previous_database"] = self.previous
        self.result["undo"] = self.undo_instructions()
        return self.result

    def _check_roles(self):
        if self.owner:
            missing = self.catalog.missing_roles([self.owner])
            if missing:
                raise InvalidArgument("owner role %s does not exist; create it or name an existing role"
                                      % self.owner, **self.result)
            return
        # NOTE: only OWNER TO lines are checked. A GRANT to a missing role fails the load instead, which
        # rolls the staging database back and names the role in psql's error.
        owners = self.findings.get("owners") or []
        self.result["owners"] = owners
        missing = self.catalog.missing_roles(owners)
        if missing:
            raise InvalidArgument(
                "the backup gives objects to roles that do not exist on this server: %s; create them "
                "(CREATE ROLE ...), or set owner to an existing role to restore every object owned by it"
                % ", ".join(missing), missing_roles=missing, **self.result)

    def _actions(self):
        actions = ["create staging database %s from template0 (encoding %s)" % (
            self.staging, self._encoding()),
            "load %s into %s in one transaction with ON_ERROR_STOP" % (os.path.basename(self.path), self.staging),
            "compare the row counts of %d tables with the backup" % len(self.findings["tables"])]
        if self.existing is not None:
            actions.append("end the sessions on %s and rename it to %s" % (self.database, self.previous))
        actions.append("rename %s to %s" % (self.staging, self.database))
        return actions

    def _encoding(self):
        return self.findings.get("client_encoding") or (self.existing or {}).get("encoding") or "UTF8"

    def _locale(self):
        """Return (lc_collate, lc_ctype): the options, else the existing target's, else template1's.

        NOTE: a plain dump made without --create does not record the locale, so without the options and
        without an existing target the server's default (template1) is used.
        """
        source = self.existing or self.catalog.database("template1")
        return (self.lc_collate or source["lc_collate"], self.lc_ctype or source["lc_ctype"])

    def undo_instructions(self):
        if self.existing is not None:
            restored = dated_name(self.database, "restored", self.moment)
            description = ("the database that was in place is kept as %s; to go back to it, run this SQL in the "
                           "maintenance database: it blocks new connections, ends the open sessions and renames "
                           "the databases; drop %s when it is no longer needed. Writes stopped before the restore "
                           "stay stopped on the kept database until pg_writes state=resumed runs after the rename"
                           % (self.previous, restored))
            live, kept = quote_identifier(self.database), quote_identifier(self.previous)
            return {
                "description": description,
                "sql": [
                    "ALTER DATABASE %s WITH ALLOW_CONNECTIONS false;" % live,
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname IN (%s, %s) "
                    "AND pid <> pg_backend_pid();" % (quote_literal(self.database), quote_literal(self.previous)),
                    "ALTER DATABASE %s RENAME TO %s;" % (live, quote_identifier(restored)),
                    "ALTER DATABASE %s RENAME TO %s;" % (kept, live),
                    "ALTER DATABASE %s WITH ALLOW_CONNECTIONS true;" % quote_identifier(restored),
                ],
            }
        return {"description": "the database did not exist before; drop it to undo the restore",
                "sql": ["DROP DATABASE %s;" % quote_identifier(self.database)]}

    def run(self):
        """Restore the planned backup; on any failure drop the staging database and leave the target as it was."""
        lc_collate, lc_ctype = self._locale()
        self.catalog.run(
            "CREATE DATABASE :\"name\" TEMPLATE template0 ENCODING :'encoding' LC_COLLATE :'lc_collate' "
            "LC_CTYPE :'lc_ctype';\n",
            {"name": self.staging, "encoding": self._encoding(), "lc_collate": lc_collate, "lc_ctype": lc_ctype})
        try:
            started = time.monotonic()
            copy_counts = self._load()
            self.result["load_seconds"] = round(time.monotonic() - started, 3)
            found = match_copy_counts(list(self.findings["tables"]), copy_counts)
            self.result["tables_restored"] = found
            problems = compare_row_counts(self.findings["tables"], found)
            if problems:
                raise OpsError("the restored row counts differ from the backup: %s; the target database "
                               "was not touched" % "; ".join(problems), **self.result)
            self._swap()
        except BaseException:
            self._drop_staging_quietly()
            raise
        return self.result

    def _load(self):
        marker = make_marker(self.findings, self.moment, self.scratch)
        chunks = decompressed_chunks(self.path, self.prefer_isal)
        if self.owner:
            chunks = rewrite_owners(chunks, self.owner)

        def with_marker():
            yield from chunks
            # Inside the same transaction, so the marker exists only when every statement succeeded.
            yield b"\nCOMMENT ON DATABASE :\"mb_staging\" IS :'mb_marker';\n"

        # Without --quiet psql prints each statement's command tag, and "COPY n" is the number of rows the server
        # loaded for that COPY block. --file=- reads standard input like a script, so errors name their line.
        argv = self.target.client_argv("psql", self.staging, extra=[
            "--no-psqlrc", "--set", "ON_ERROR_STOP=1", "--set", "mb_staging=%s" % self.staging,
            "--set", "mb_marker=%s" % marker, "--single-transaction", "--file=-"])
        stream = self.target.stream(argv, with_marker())
        tags = CommandTags()
        try:
            for chunk in stream.chunks():
                tags.feed(chunk)
        except BaseException:
            stream.abort()
            raise
        outcome = stream.wait()
        if outcome.exit_code != 0:
            raise CommandFailed(
                "psql failed to load %s (exit status %s): %s; the staging database was dropped and database "
                "%s was not touched" % (self.path, outcome.exit_code, outcome.stderr_text or "(no message)",
                                        self.database),
                exit_code=outcome.exit_code, stderr=outcome.stderr_text, **self.result)
        return tags.copy_counts

    def _swap(self):
        owner = self.owner or (self.existing or {}).get("owner")
        if self.existing is None:
            self.catalog.rename(self.staging, self.database)
        else:
            self._replace_existing()
        if owner:
            self.catalog.run('ALTER DATABASE :"name" OWNER TO :"owner";\n', {"name": self.database, "owner": owner})

    def _replace_existing(self):
        sessions = self.catalog.session_count(self.database)
        self.result["sessions_ended"] = 0
        if sessions and not self.terminate:
            raise TargetError(
                "database %s has %d open sessions and terminate_sessions is false; stop the application's "
                "writes first (mirrorbuddy.ops.pg_writes state=stopped)" % (self.database, sessions),
                **self.result)

        self.catalog.allow_connections(self.database, False)
        try:
            self.result["sessions_ended"] = self.catalog.terminate_sessions(self.database)
            self.catalog.rename(self.database, self.previous)
        except BaseException:
            self.catalog.allow_connections(self.database, True)
            raise
        try:
            self.catalog.rename(self.staging, self.database)
        except BaseException:
            # Put the previous database back under its name before reporting the failure.
            self.catalog.rename(self.previous, self.database)
            self.catalog.allow_connections(self.database, True)
            raise
        self.catalog.allow_connections(self.previous, True)

    def _drop_staging_quietly(self):
        try:
            if self.catalog.database(self.staging) is not None:
                self.catalog.drop(self.staging)
        except OpsError:
            self.result["staging_left_behind"] = self.staging


def drop_previous_databases(catalog, database, check_mode=False):
    """Drop the databases earlier restores kept in place of database; return their names."""
    prefix = dated_name(database, PREVIOUS_LABEL, utc_now())[:-14]
    candidates = catalog.databases_with_prefix(prefix)
    if not prefix.startswith(database + "_"):
        # The name was shortened to fit 63 bytes, so kept copies of other databases with the same first
        # bytes would match too. Dropping by name alone could remove another database's only way back.
        if candidates:
            raise InvalidArgument(
                "database name %s is too long to tell its kept copies from those of other databases (%s); drop "
                "the ones you no longer need by hand" % (database, ", ".join(candidates)))
        return []
    pattern = re.compile("^%s[0-9]{14}$" % re.escape(prefix))
    names = [name for name in candidates if pattern.match(name)]
    if not check_mode:
        for name in names:
            catalog.drop(name)
    return names


def drop_restored_database(catalog, database, check_mode=False):
    """Drop a database that a restore created (it carries the restore marker); return True when dropped.

    A database without the marker is rejected, so a typo cannot drop an application database.
    """
    existing = catalog.database(database)
    if existing is None:
        return False
    marker = parse_marker(existing.get("comment"))
    if marker is None:
        raise InvalidArgument(
            "database %s was not created by pg_backup_restore (its comment has no restore marker), so "
            "state=absent does not drop it; drop it yourself if that is what you want" % database)
    if marker.get("scratch") is not True:
        # A replace restore or a full-loss recovery leaves the marker on a live application database.
        raise InvalidArgument(
            "database %s was restored as a live database, not as a scratch database (scratch=true), so "
            "state=absent does not drop it; drop it yourself if that is what you want" % database)
    if not check_mode:
        catalog.drop(database)
    return True
