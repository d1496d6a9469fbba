# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Database maintenance: VACUUM (ANALYZE), ANALYZE, REINDEX CONCURRENTLY and extension upgrades.

Every statement goes to the server alone, in autocommit, through Target.execute(): VACUUM and the
CONCURRENTLY forms fail inside a transaction block, which is what a multi-statement string sent in one
query becomes. Objects in system schemas (pg_catalog, information_schema, pg_toast, temporary schemas)
are never selected.
"""

from __future__ import annotations

import time

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import CommandFailed, InvalidArgument, OpsError

# SQL condition on a pg_namespace alias n that keeps only user schemas.
USER_SCHEMAS = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' "
    "AND n.nspname NOT LIKE 'pg\\_temp\\_%'")

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")

LOCK_NOT_AVAILABLE = "55P03"  # SQLSTATE of a lock_timeout
QUERY_CANCELED = "57014"  # SQLSTATE of a statement_timeout

TABLES_SQL = """
SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind,
       coalesce(s.n_live_tup, 0) AS n_live_tup, coalesce(s.n_dead_tup, 0) AS n_dead_tup,
       coalesce(s.n_mod_since_analyze, 0) AS n_mod_since_analyze,
       pg_total_relation_size(c.oid) AS total_bytes,
       s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze,
       extract(epoch FROM now() - greatest(s.last_vacuum, s.last_autovacuum))::float8 AS seconds_since_vacuum,
       extract(epoch FROM now() - greatest(s.last_analyze, s.last_autoanalyze))::float8 AS seconds_since_analyze
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'm', 'p') AND c.relpersistence <> 't' AND %s
ORDER BY n.nspname, c.relname
""" % USER_SCHEMAS

INDEXES_SQL = """
SELECT n.nspname AS schema, i.relname AS name, t.relname AS "table", x.indisvalid AS valid,
       pg_relation_size(i.oid) AS bytes,
       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid AND k.contype = 'x') AS exclusion
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE i.relkind = 'i' AND t.relpersistence <> 't' AND %s
ORDER BY n.nspname, i.relname
""" % USER_SCHEMAS

EXTENSIONS_SQL = """
SELECT e.extname AS name, e.extversion AS installed, a.default_version
FROM pg_extension e
LEFT JOIN pg_available_extensions a ON a.name = e.extname
ORDER BY e.extname
"""

UPDATE_PATH_SQL = """
SELECT path FROM pg_extension_update_paths(:'name') WHERE source = :'source' AND target = :'target'
"""


def quote_ident(name):
    """Quote an identifier the way PostgreSQL does, for statements shown to people (never for execution)."""
    return '"%s"' % name.replace('"', '""')


def quote_literal(value):
    return "'%s'" % value.replace("'", "''")


def parse_relation_name(entry, option):
    """Split 'schema.name' or 'name' (schema public) and reject what would be several statements."""
    if not isinstance(entry, str) or not entry.strip():
        raise InvalidArgument("%s contains an empty entry; give table or index names such as public.users" % option)
    if ";" in entry:
        raise InvalidArgument(
            "%s entry %r looks like several statements; give each table or index as its own list item, "
            "for example [t1, t2], and the module sends one statement per item" % (option, entry))
    parts = entry.strip().split(".")
    if len(parts) == 1:
        return "public", parts[0]
    if len(parts) == 2 and all(parts):
        return parts[0], parts[1]
    raise InvalidArgument("%s entry %r is not a name of the form schema.name or name" % (option, entry))


def _check_not_system(schema, entry, option):
    if schema in SYSTEM_SCHEMAS or schema.startswith("pg_toast") or schema.startswith("pg_temp_"):
        raise InvalidArgument(
            "%s entry %r is in the system schema %s, which maintenance never touches" % (option, entry, schema))


def select_by_name(catalog, entries, option, kind):
    """Return the catalog rows the entries name, in the order given; unknown names raise InvalidArgument."""
    by_name = {(row["schema"], row["name"]): row for row in catalog}
    selected = []
    for entry in entries:
        schema, name = parse_relation_name(entry, option)
        _check_not_system(schema, entry, option)
        row = by_name.get((schema, name))
        if row is None:
            raise InvalidArgument("%s entry %r: no %s %s.%s in the database; check the name and schema" % (
                option, entry, kind, schema, name))
        if row not in selected:
            selected.append(row)
    return selected


class Budget:
    """A time budget in seconds (None for none) that caps each statement's statement_timeout."""

    def __init__(self, seconds, clock=time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._start = clock()

    def elapsed(self):
        return self._clock() - self._start

    def remaining(self):
        if self.seconds is None:
            return None
        return max(0.0, self.seconds - self.elapsed())

    def spent(self):
        remaining = self.remaining()
        return remaining is not None and remaining < 1

    def statement_timeout_ms(self, configured_seconds):
        """Return the statement_timeout for the next statement: the smaller of the option and the budget left."""
        limits = [value for value in (configured_seconds, self.remaining()) if value is not None]
        return int(min(limits) * 1000) if limits else 0


class MaintenanceRun:
    """Plan and run one maintenance action against one database, collecting a result for the module."""

    def __init__(self, target, check_mode=False, lock_timeout=None, statement_timeout=None, time_budget=None,
                 cleanup_lock_timeout=60):
        self.target = target
        self.check_mode = check_mode
        self.lock_timeout = lock_timeout
        self.statement_timeout = statement_timeout
        self.cleanup_lock_timeout = cleanup_lock_timeout
        self.budget = Budget(time_budget)
        self.statements = []
        self.failures = []
        self.not_started = []

    # Statement execution

    def _settings(self, lock_timeout=None):
        lock_timeout = self.lock_timeout if lock_timeout is None else lock_timeout
        settings = {"statement_timeout": "%dms" % self.budget.statement_timeout_ms(self.statement_timeout)}
        if lock_timeout is not None:
            settings["lock_timeout"] = "%dms" % int(lock_timeout * 1000)
        return settings

    def _execute(self, shown, statement, variables, lock_timeout=None):
        """Send one statement (or only record it in check mode) and return its duration in seconds."""
        self.statements.append(shown)
        if self.check_mode:
            return 0.0
        started = time.monotonic()
        self.target.execute(statement, variables, settings=self._settings(lock_timeout))
        return round(time.monotonic() - started, 3)

    def _out_of_budget(self, name):
        if self.budget.spent():
            self.not_started.append(name)
            return True
        return False

    def _record_failure(self, name, exc):
        sqlstate = exc.details.get("sqlstate") if isinstance(exc, OpsError) else None
        reason = {LOCK_NOT_AVAILABLE: "lock_timeout", QUERY_CANCELED: "statement_timeout"}.get(sqlstate, "error")
        failure = {"name": name, "error": exc.message, "sqlstate": sqlstate, "reason": reason}
        self.failures.append(failure)
        return failure

    # VACUUM (ANALYZE) and ANALYZE

    def vacuum_or_analyze(self, action, tables, skip_recent=None):
        """Run VACUUM (ANALYZE) or ANALYZE per table; skip_recent (seconds) skips tables with nothing to do."""
        catalog = self.target.query(TABLES_SQL)
        selected = select_by_name(catalog, tables, "tables", "table") if tables else catalog
        verb = "VACUUM (ANALYZE)" if action == "vacuum_analyze" else "ANALYZE"
        results, skipped = [], []
        for row in selected:
            name = "%s.%s" % (row["schema"], row["name"])
            reason = _skip_reason(action, row, skip_recent)
            if reason:
                skipped.append({"name": name, "reason": reason})
                continue
            if self._out_of_budget(name):
                continue
            entry = {"name": name, "before": _table_figures(row)}
            shown = "%s %s.%s" % (verb, quote_ident(row["schema"]), quote_ident(row["name"]))
            try:
                entry["duration_seconds"] = self._execute(
                    shown, '%s :"schema".:"table"' % verb, {"schema": row["schema"], "table": row["name"]})
                entry["outcome"] = "ok"
            except CommandFailed as exc:
                entry.update(outcome="failed", error=self._record_failure(name, exc)["error"])
            results.append(entry)

        if results and not self.check_mode:
            after = {"%s.%s" % (row["schema"], row["name"]): row for row in self.target.query(TABLES_SQL)}
            for entry in results:
                if entry["name"] in after:
                    entry["after"] = _table_figures(after[entry["name"]])
        return {"tables": results, "skipped_objects": skipped}

    # REINDEX CONCURRENTLY

    def reindex(self, indexes, tables):
        """Rebuild indexes one by one; drop invalid leftovers of this run, report older invalid indexes."""
        catalog = self.target.query(INDEXES_SQL)
        pre_existing_invalid = ["%s.%s" % (row["schema"], row["name"]) for row in catalog if not row["valid"]]
        if indexes:
            selected = select_by_name(catalog, indexes, "indexes", "index")
        elif tables:
            table_rows = select_by_name(self.target.query(TABLES_SQL), tables, "tables", "table")
            wanted = {(row["schema"], row["name"]) for row in table_rows}
            selected = [row for row in catalog if (row["schema"], row["table"]) in wanted]
        else:
            selected = catalog

        results, skipped = [], []
        for row in selected:
            name = "%s.%s" % (row["schema"], row["name"])
            if not row["valid"]:
                skipped.append({"name": name, "reason": "invalid before this run; left untouched"})
                continue
            if row["exclusion"]:
                skipped.append({"name": name, "reason": "exclusion constraint indexes cannot be rebuilt "
                                                        "concurrently"})
                continue
            if self._out_of_budget(name):
                continue
            entry = {"name": name, "table": "%s.%s" % (row["schema"], row["table"]), "before": {"bytes": row["bytes"]}}
            shown = "REINDEX INDEX CONCURRENTLY %s.%s" % (quote_ident(row["schema"]), quote_ident(row["name"]))
            try:
                entry["duration_seconds"] = self._execute(
                    shown, 'REINDEX INDEX CONCURRENTLY :"schema".:"index"',
                    {"schema": row["schema"], "index": row["name"]})
                entry["outcome"] = "ok"
            except CommandFailed as exc:
                failure = self._record_failure(name, exc)
                entry.update(outcome="failed", error=failure["error"], reason=failure["reason"])
            results.append(entry)

        result = {"indexes": results, "skipped_objects": skipped, "pre_existing_invalid": pre_existing_invalid,
                  "leftovers_dropped": [], "leftovers_remaining": []}
        if self.check_mode or not results:
            return result

        after = self.target.query(INDEXES_SQL)
        sizes = {"%s.%s" % (row["schema"], row["name"]): row["bytes"] for row in after}
        for entry in results:
            if entry["name"] in sizes:
                entry["after"] = {"bytes": sizes[entry["name"]]}
        leftovers = [row for row in after
                     if not row["valid"] and "%s.%s" % (row["schema"], row["name"]) not in pre_existing_invalid]
        self._drop_leftovers(leftovers, result)
        return result

    def _drop_leftovers(self, leftovers, result):
        # An interrupted REINDEX CONCURRENTLY leaves the half-built copy (NAME_ccnew) or the old index
        # (NAME_ccold) behind as an invalid index. The index that queries use stays valid in both cases.
        for row in leftovers:
            name = "%s.%s" % (row["schema"], row["name"])
            shown = "DROP INDEX CONCURRENTLY IF EXISTS %s.%s" % (quote_ident(row["schema"]), quote_ident(row["name"]))
            try:
                self._execute(shown, 'DROP INDEX CONCURRENTLY IF EXISTS :"schema".:"index"',
                              {"schema": row["schema"], "index": row["name"]}, lock_timeout=self.cleanup_lock_timeout)
                result["leftovers_dropped"].append(name)
            except CommandFailed as exc:
                self._record_failure(name, exc)
                result["leftovers_remaining"].append({"name": name, "drop_with": shown, "error": exc.message})

    # Extension upgrades

    def upgrade_extensions(self, extensions):
        """Run ALTER EXTENSION ... UPDATE TO per extension along a path the server has update scripts for."""
        installed = {row["name"]: row for row in self.target.query(EXTENSIONS_SQL)}
        results = []
        for wanted in extensions:
            name, version = wanted["name"], wanted.get("version")
            row = installed.get(name)
            if row is None:
                error = ("extension %s is not installed in database %s; install it with CREATE EXTENSION "
                         "or remove it from the list" % (name, self.target.database))
                self.failures.append({"name": name, "error": error, "sqlstate": None, "reason": "not_installed"})
                results.append({"name": name, "outcome": "failed", "error": error})
                continue
            target_version = version or row["default_version"]
            entry = {"name": name, "installed": row["installed"], "target": target_version}
            if row["installed"] == target_version:
                entry["outcome"] = "current"
                results.append(entry)
                continue
            if self._out_of_budget(name):
                continue
            path = self.target.query(UPDATE_PATH_SQL, {"name": name, "source": row["installed"],
                                                       "target": target_version})
            if not path or not path[0]["path"]:
                error = ("extension %s has no update path from installed version %s to target version %s on "
                         "this server; install the package that ships the update scripts, or give a version "
                         "that pg_extension_update_paths('%s') lists" % (name, row["installed"], target_version,
                                                                         name))
                self.failures.append({"name": name, "error": error, "sqlstate": None, "reason": "no_update_path"})
                entry.update(outcome="failed", error=error)
                results.append(entry)
                continue
            entry["path"] = path[0]["path"]
            entry["undo"] = ("extension scripts rarely ship downgrades; to go back, restore the backup taken "
                             "before the upgrade")
            shown = "ALTER EXTENSION %s UPDATE TO %s" % (quote_ident(name), quote_literal(target_version))
            try:
                entry["duration_seconds"] = self._execute(
                    shown, 'ALTER EXTENSION :"name" UPDATE TO :\'version\'', {"name": name, "version": target_version})
                entry["outcome"] = "upgraded"
            except CommandFailed as exc:
                entry.update(outcome="failed", error=self._record_failure(name, exc)["error"])
            results.append(entry)

        if not self.check_mode and any(entry.get("outcome") == "upgraded" for entry in results):
            after = {row["name"]: row["installed"] for row in self.target.query(EXTENSIONS_SQL)}
            for entry in results:
                if entry.get("outcome") == "upgraded":
                    entry["after"] = after.get(entry["name"])
        return {"extensions": results}


def _table_figures(row):
    return {key: row[key] for key in ("n_live_tup", "n_dead_tup", "n_mod_since_analyze", "total_bytes",
                                      "last_vacuum", "last_autovacuum", "last_analyze", "last_autoanalyze")}


def _skip_reason(action, row, skip_recent):
    """Return why a table needs no work now, or None: done within skip_recent seconds and unchanged since."""
    if skip_recent is None:
        return None
    if action == "vacuum_analyze":
        since, pending = row["seconds_since_vacuum"], row["n_dead_tup"] + row["n_mod_since_analyze"]
        what = "vacuumed"
    else:
        since, pending = row["seconds_since_analyze"], row["n_mod_since_analyze"]
        what = "analyzed"
    if since is not None and float(since) < skip_recent and pending == 0:
        return "%s %d s ago with no dead tuples or modified rows since" % (what, float(since))
    return None


def normalise_extensions(entries):
    """Accept names or {name, version} dicts; return a list of dicts."""
    normalised = []
    for entry in entries:
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict) or not entry.get("name"):
            raise InvalidArgument(
                "extensions entry %r is invalid; give a name or a dict with name and optional version" % (entry,))
        unknown = set(entry) - {"name", "version"}
        if unknown:
            raise InvalidArgument("extensions entry %r has unknown keys %s; use name and version" % (
                entry, ", ".join(sorted(unknown))))
        normalised.append({"name": str(entry["name"]),
                           "version": None if entry.get("version") in (None, "") else str(entry["version"])})
    return normalised
