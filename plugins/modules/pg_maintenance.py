#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pg_maintenance
short_description: Run VACUUM (ANALYZE), ANALYZE, REINDEX CONCURRENTLY or extension upgrades on PostgreSQL
version_added: 0.1.0
description:
  - Runs one maintenance action of the runbook's maintenance windows against one database.
  - Every statement is sent alone, in autocommit, one per table, index or extension, so none of them runs
    inside a transaction block (where VACUUM and the CONCURRENTLY forms fail). A table name that contains
    C(;) is rejected instead of being sent as part of a statement list.
  - Objects in C(pg_catalog), C(information_schema), C(pg_toast) and temporary schemas are never selected.
  - V(reindex) rebuilds each index with C(REINDEX INDEX CONCURRENTLY) under O(lock_timeout) and
    O(statement_timeout). When a rebuild is interrupted, the invalid index it left behind (C(NAME_ccnew) or
    C(NAME_ccold)) is dropped with C(DROP INDEX CONCURRENTLY). Indexes that were invalid before the run are
    reported in RV(pre_existing_invalid) and left untouched.
  - V(extension_upgrade) runs C(ALTER EXTENSION ... UPDATE TO) per extension when
    C(pg_extension_update_paths()) has a path from the installed to the target version. An extension without
    a path, or not installed, fails alone and the others are still upgraded; the task fails at the end.
  - The result gives figures before and after each statement (dead and live tuples, sizes) and durations.
author: MirrorBuddy operations team (@mirrorbuddy-ops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - mirrorbuddy.ops.connection
attributes:
  check_mode:
    support: full
    details: Reads the catalog and returns the statements that would run in RV(statements), sending none.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  action:
    description: The maintenance action.
    type: str
    required: true
    choices: [vacuum_analyze, analyze, reindex, extension_upgrade]
  tables:
    description:
      - Tables as C(schema.name) or C(name) (schema C(public)), one per list item.
      - For V(vacuum_analyze) and V(analyze), the tables to process; all user tables when empty.
      - For V(reindex), rebuild every index of these tables when O(indexes) is empty.
    type: list
    elements: str
    default: []
  indexes:
    description: For V(reindex), the indexes as C(schema.name) or C(name); all user indexes when both lists are empty.
    type: list
    elements: str
    default: []
  extensions:
    description:
      - For V(extension_upgrade), extension names or dicts with C(name) and C(version).
      - Without a version the target is the server's C(default_version) of the extension.
    type: list
    elements: raw
    default: []
  skip_recent:
    description:
      - For V(vacuum_analyze) and V(analyze), skip a table that was vacuumed (or analyzed) this long ago or
        more recently, by hand or by autovacuum, and has had no dead tuples or modified rows since.
      - A number with a unit C(s), C(m), C(h), C(d) or C(w), for example C(12h). Unset processes every table.
    type: str
  lock_timeout:
    description: Seconds each statement may wait for a lock before it is cancelled (C(lock_timeout)); 0 waits without limit.
    type: float
    default: 5
  statement_timeout:
    description:
      - Seconds each statement may run before it is cancelled (C(statement_timeout)); 0 for no limit.
      - Capped by what is left of O(time_budget).
    type: float
    default: 0
  cleanup_lock_timeout:
    description: Seconds each C(DROP INDEX CONCURRENTLY) of a leftover invalid index may wait for locks.
    type: float
    default: 60
  time_budget:
    description:
      - Seconds the whole action may take. No statement starts after the budget is spent, and no statement
        may run past it; objects not started are listed in RV(not_started) and the task fails.
      - Unset for no budget.
    type: int
"""

EXAMPLES = r"""
- name: Vacuum and analyze two tables in the database container
  mirrorbuddy.ops.pg_maintenance:
    action: vacuum_analyze
    tables: [public.messages, public.users]
    time_budget: 900

- name: Rebuild every index with a 5 s lock timeout, within 30 minutes
  mirrorbuddy.ops.pg_maintenance:
    action: reindex
    lock_timeout: 5
    time_budget: 1800

- name: Upgrade extensions on a server reached with libpq
  mirrorbuddy.ops.pg_maintenance:
    target: host
    login_host: db.internal
    login_password: "{{ vault_db_password }}"
    action: extension_upgrade
    extensions:
      - pg_trgm
      - {name: hstore, version: "1.8"}
"""

RETURN = r"""
statements:
  description: The statements sent (or, in check mode, that would be sent), in order, one per item.
  returned: always
  type: list
  elements: str
  sample: ['VACUUM (ANALYZE) "public"."users"']
tables:
  description:
    - For V(vacuum_analyze) and V(analyze), per table C(name), C(outcome) (V(ok) or V(failed)),
      C(duration_seconds), and C(before) and C(after) figures (C(n_live_tup), C(n_dead_tup),
      C(n_mod_since_analyze), C(total_bytes), last (auto)vacuum and (auto)analyze times).
  returned: when action is vacuum_analyze or analyze
  type: list
  elements: dict
indexes:
  description: For V(reindex), per index C(name), C(table), C(outcome), C(duration_seconds), C(before) and C(after) sizes.
  returned: when action is reindex
  type: list
  elements: dict
pre_existing_invalid:
  description: Indexes that were invalid before the run; they were neither rebuilt nor dropped.
  returned: when action is reindex
  type: list
  elements: str
leftovers_dropped:
  description: Invalid indexes that an interrupted rebuild of this run left behind and that were dropped.
  returned: when action is reindex
  type: list
  elements: str
leftovers_remaining:
  description: Leftover invalid indexes of this run whose drop failed, with the statement that drops them.
  returned: when action is reindex
  type: list
  elements: dict
extensions:
  description:
    - For V(extension_upgrade), per extension C(name), C(installed), C(target), C(path), C(outcome)
      (V(upgraded), V(current) or V(failed)), C(after) and C(error).
  returned: when action is extension_upgrade
  type: list
  elements: dict
skipped_objects:
  description: Objects left out on purpose, with the reason.
  returned: when action is not extension_upgrade
  type: list
  elements: dict
failures:
  description:
    - Objects whose statement failed, with the error, the SQLSTATE and a reason.
    - The reason is V(lock_timeout), V(statement_timeout), V(no_update_path), V(not_installed) or V(error).
  returned: always
  type: list
  elements: dict
not_started:
  description: Objects not started because the time budget was spent.
  returned: always
  type: list
  elements: str
duration_seconds:
  description: Time the whole action took.
  returned: always
  type: float
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.backup_files import parse_duration
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument, OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.maintenance import (
    MaintenanceRun,
    normalise_extensions,
    parse_relation_name,
)
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.target import connection_argument_spec, make_target


def main():
    argument_spec = connection_argument_spec(
        action=dict(type="str", required=True, choices=["vacuum_analyze", "analyze", "reindex", "extension_upgrade"]),
        tables=dict(type="list", elements="str", default=[]),
        indexes=dict(type="list", elements="str", default=[]),
        extensions=dict(type="list", elements="raw", default=[]),
        skip_recent=dict(type="str"),
        lock_timeout=dict(type="float", default=5),
        statement_timeout=dict(type="float", default=0),
        cleanup_lock_timeout=dict(type="float", default=60),
        time_budget=dict(type="int"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    result = {"changed": False, "statements": [], "failures": [], "not_started": []}
    run = None
    try:
        for option in ("lock_timeout", "statement_timeout", "cleanup_lock_timeout", "time_budget"):
            if params[option] is not None and params[option] < 0:
                raise InvalidArgument("%s is %s; give a number of seconds of 0 or more" % (option, params[option]))
        for entry in params["tables"]:
            parse_relation_name(entry, "tables")
        for entry in params["indexes"]:
            parse_relation_name(entry, "indexes")
        extensions = normalise_extensions(params["extensions"])
        if params["action"] == "extension_upgrade" and not extensions:
            raise InvalidArgument("action extension_upgrade needs the extensions to upgrade in extensions")
        skip_recent = parse_duration(params["skip_recent"], "skip_recent") if params["skip_recent"] else None

        run = MaintenanceRun(make_target(params), check_mode=module.check_mode,
                             lock_timeout=params["lock_timeout"], statement_timeout=params["statement_timeout"] or None,
                             time_budget=params["time_budget"], cleanup_lock_timeout=params["cleanup_lock_timeout"])
        if params["action"] in ("vacuum_analyze", "analyze"):
            result.update(run.vacuum_or_analyze(params["action"], params["tables"], skip_recent))
        elif params["action"] == "reindex":
            result.update(run.reindex(params["indexes"], params["tables"]))
            result["undo"] = ("REINDEX CONCURRENTLY swaps in an equivalent index and needs no undo; dropped "
                              "leftovers were invalid copies that no query used")
        else:
            result.update(run.upgrade_extensions(extensions))
        _finish(module, run, result)
    except OpsError as exc:
        if run is not None:
            _collect(run, result)
        module.fail_json(msg=exc.message, **dict(result, **exc.details))


def _collect(run, result):
    result.update(statements=run.statements, failures=run.failures, not_started=run.not_started,
                  duration_seconds=round(run.budget.elapsed(), 3))
    result["changed"] = bool(run.statements)


def _finish(module, run, result):
    _collect(run, result)
    problems = ["%s: %s" % (failure["name"], failure["error"]) for failure in run.failures]
    if run.not_started:
        problems.append("time budget of %s s spent before %s started" % (
            run.budget.seconds, ", ".join(run.not_started)))
    if problems:
        module.fail_json(msg="%d of the maintenance steps failed or did not start: %s" % (
            len(run.failures) + len(run.not_started), "; ".join(problems)), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
