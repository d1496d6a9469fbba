# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integrity checks of a restored database: row counts against a backup's manifest, and pg_amcheck."""

from __future__ import annotations

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import TargetError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.restore import compare_row_counts, count_rows

EXIT_NOT_FOUND = (126, 127)  # the shell's and Docker exec's codes for a program that cannot be run
# Where Debian's postgresql-NN packages put pg_amcheck, which is not on PATH there.
DEBIAN_BIN_DIR = "/usr/lib/postgresql/%s/bin/pg_amcheck"


def check_row_counts(target, database, expected):
    """Return (found, problems) for the expected row count of each table."""
    found = count_rows(target, database, expected)
    return found, compare_row_counts(expected, found)


def amcheck_candidates(target, database):
    rows = target.query("SELECT current_setting('server_version_num')::int / 10000 AS major", database=database)
    return ["pg_amcheck", DEBIAN_BIN_DIR % rows[0]["major"]]


def run_amcheck(target, database, install_missing=True, program=None):
    """Run pg_amcheck on the database; return None when it is not installed, else a result dict.

    With install_missing, pg_amcheck creates the amcheck extension in the database when it is missing.
    """
    extra = ["--install-missing"] if install_missing else []
    for candidate in [program] if program else amcheck_candidates(target, database):
        try:
            argv = target.client_argv(candidate, database, extra=extra)
        except TargetError:  # the host target looks the program up before running it
            continue
        # pg_amcheck has no --dbname; it takes the database as its last argument.
        argv = argv[:-2] + [database]
        outcome = target.run(argv)
        if outcome.exit_code in EXIT_NOT_FOUND and "not found" in (outcome.stderr_text + outcome.stdout.decode(
                "utf-8", "replace")):
            continue
        report = outcome.stdout.decode("utf-8", "replace").strip()
        return {"program": candidate, "exit_code": outcome.exit_code, "passed": outcome.exit_code == 0,
                "report": report[-4000:], "stderr": outcome.stderr_text[-4000:]}
    return None
