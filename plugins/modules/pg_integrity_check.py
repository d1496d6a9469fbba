#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pg_integrity_check
short_description: Check a restored PostgreSQL database against its backup's manifest and with pg_amcheck
version_added: 0.1.0
description:
  - Counts the rows of every table the manifest of O(backup) (or O(expected_tables)) lists and compares them.
  - Runs C(pg_amcheck) on the database when it is installed (on E(PATH), in O(pg_bin_dir) or in Debian's
    C(/usr/lib/postgresql/MAJOR/bin)), or always/never as O(amcheck) says.
  - Fails when a count differs or pg_amcheck reports corruption; changes nothing, except that pg_amcheck
    creates the C(amcheck) extension in the database when O(amcheck_install_missing=true) and it is missing.
author: MirrorBuddy operations team (@mirrorbuddy-ops)
extends_documentation_fragment:
  - mirrorbuddy.ops.connection
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Runs the same read-only checks; pg_amcheck is skipped in check mode when it would install the extension.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  database:
    description: Database to check.
    type: str
    required: true
    default: null
    aliases: [db]
  backup:
    description: Backup file whose manifest (C(BACKUP.manifest.json)) gives the expected row counts.
    type: path
  expected_tables:
    description: Expected row count of each table, keyed by the name pg_dump writes (for example C(public.users)).
    type: dict
  amcheck:
    description: V(auto) runs pg_amcheck when it is installed, V(always) fails when it is not, V(never) skips it.
    type: str
    choices: [auto, always, never]
    default: auto
  amcheck_install_missing:
    description: Let pg_amcheck create the C(amcheck) extension in the database when it is missing.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Verify the restored database against the backup's manifest
  mirrorbuddy.ops.pg_integrity_check:
    database: mirrorbuddy
    backup: /var/backups/mirrorbuddy/backup-20261204-2110.sql.gz
"""

RETURN = r"""
tables:
  description: Row count of each table found in the database.
  returned: always
  type: dict
problems:
  description: Every difference found.
  returned: always
  type: list
  elements: str
amcheck:
  description: The pg_amcheck run (program, exit_code, passed, report, stderr), or null when it did not run.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.backup_files import read_manifest
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument, OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.integrity import check_row_counts, run_amcheck
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.target import connection_argument_spec, make_target


def expected_counts(params):
    if params["expected_tables"] is not None:
        return {name: int(rows) for name, rows in params["expected_tables"].items()}
    try:
        manifest = read_manifest(params["backup"])
    except ValueError as exc:
        raise InvalidArgument(str(exc))
    if manifest is None:
        raise InvalidArgument("backup %s has no manifest; give expected_tables instead" % params["backup"])
    return manifest.get("tables") or {}


def main():
    argument_spec = connection_argument_spec(
        database=dict(type="str", required=True, aliases=["db"]),
        backup=dict(type="path"),
        expected_tables=dict(type="dict"),
        amcheck=dict(type="str", choices=["auto", "always", "never"], default="auto"),
        amcheck_install_missing=dict(type="bool", default=True),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_one_of=[("backup", "expected_tables")],
                           mutually_exclusive=[("backup", "expected_tables")])
    params = module.params
    result = {"changed": False, "database": params["database"], "problems": [], "amcheck": None, "tables": {}}

    try:
        target = make_target(params)
        result["tables"], result["problems"] = check_row_counts(target, params["database"], expected_counts(params))
        skip_amcheck = params["amcheck"] == "never" or (module.check_mode and params["amcheck_install_missing"])
        if not skip_amcheck:
            result["amcheck"] = run_amcheck(target, params["database"], params["amcheck_install_missing"])
            if result["amcheck"] is None and params["amcheck"] == "always":
                result["problems"].append("pg_amcheck is not installed; install the PostgreSQL server package "
                                          "or set amcheck=auto")
            elif result["amcheck"] is not None and not result["amcheck"]["passed"]:
                result["problems"].append("pg_amcheck exited with status %s: %s" % (
                    result["amcheck"]["exit_code"], result["amcheck"]["report"] or result["amcheck"]["stderr"]))
        if result["problems"]:
            raise OpsError("database %s failed the integrity check: %s" % (
                params["database"], "; ".join(result["problems"])))
    except OpsError as exc:
        module.fail_json(msg=exc.message, **dict(result, **exc.details))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
