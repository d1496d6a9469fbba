# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integrity checks of a restored database: row counts against a backup's manifest, and pg_amcheck."""

from __future__ import annotations

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import TargetError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.restore import compare_row_counts, count_rows

# Path of pg_amcheck in Debian's postgresql-NN packages; Debian links psql into /usr/bin but not pg_amcheck.
DEBIAN_AMCHECK_PATH = "/usr/lib/postgresql/%s/bin/pg_amcheck"
MAX_REPORT_CHARS = 4000  # of pg_amcheck's output kept in the result


def check_row_counts(target, database, expected):
    """Return (found, problems) for the expected row count of each table."""
    found = count_rows(target, database, expected)
    return found, compare_row_counts(expected, found)


def amcheck_candidates(target, database):
    rows = target.query("SELECT current_setting('server_version_num')::int / 10000 AS major", database=database)
    return ["pg_amcheck", DEBIAN_AMCHECK_PATH % rows[0]["major"]]


def find_amcheck(target, database, program=None):
    """Return the name or path that runs pg_amcheck on the target, or None when it is not installed."""
    for candidate in [program] if program else amcheck_candidates(target, database):
        try:
            path = target.program_path(candidate)
        except TargetError:  # the host target looks the program up before running it
            continue
        probe = target.run([path, "--version"])
        if probe.exit_code == 0:
            return candidate
    return None


def install_amcheck(target, database):
    """Create the amcheck extension where pg_amcheck's --install-missing would, in a read-write session.

    The session turns off default_transaction_read_only for itself, so this also works while writes to the
    database are stopped.
    """
    target.run_sql_script(
        "SET default_transaction_read_only = off;\n"
        "CREATE EXTENSION IF NOT EXISTS amcheck WITH SCHEMA pg_catalog;\n", database)


def run_amcheck(target, database, install_missing=True, program=None):
    """Run pg_amcheck on the database; return None when it is not installed, else a result dict."""
    found = find_amcheck(target, database, program)
    if found is None:
        return None
    if install_missing:
        install_amcheck(target, database)
    # pg_amcheck has no --dbname; it takes the database as its last argument.
    argv = target.client_argv(found, database)[:-2] + [database]
    outcome = target.run(argv)
    report = outcome.stdout.decode("utf-8", "replace").strip()
    return {"program": found, "exit_code": outcome.exit_code, "passed": outcome.exit_code == 0,
            "report": report[-MAX_REPORT_CHARS:], "stderr": outcome.stderr_text[-MAX_REPORT_CHARS:]}
