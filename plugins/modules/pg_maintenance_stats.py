#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pg_maintenance_stats
short_description: Report dead tuples, estimated bloat and last (auto)vacuum and (auto)analyze times
version_added: 0.1.0
description:
  - Reads the statistics views and the catalog and changes nothing, so it runs the same in check mode.
  - RV(dead_tuples) is the runbook's bloat check, the tables with the most dead tuples
    (C(pg_stat_user_tables.n_dead_tup)), with the schema added.
  - RV(tables) and RV(indexes) give an estimated bloat ratio per table and per btree index, computed from
    C(pg_class.reltuples) and C(pg_stats.avg_width). It is an estimate that assumes no alignment padding, so
    it runs a little high; tables and indexes that were never analyzed, and expression or non-btree indexes,
    get null.
  - Tables in system schemas are not listed.
author: MirrorBuddy operations team (@mirrorbuddy-ops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - mirrorbuddy.ops.connection
attributes:
  check_mode:
    support: full
    details: The module only reads.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  top:
    description: Number of tables in RV(dead_tuples) (the runbook uses 5).
    type: int
    default: 5
  bloat_top:
    description: Number of tables and of indexes in RV(tables) and RV(indexes), largest estimated bloat first.
    type: int
    default: 20
"""

EXAMPLES = r"""
- name: Report the five tables with the most dead tuples
  mirrorbuddy.ops.pg_maintenance_stats:
    top: 5
  register: maintenance_stats
"""

RETURN = r"""
dead_tuples:
  description: The O(top) tables with the most dead tuples, with C(schema), C(name), C(n_dead_tup), C(n_live_tup).
  returned: success
  type: list
  elements: dict
  sample: [{"schema": "public", "name": "messages", "n_dead_tup": 5210, "n_live_tup": 120400}]
tables:
  description:
    - Per table C(schema), C(name), C(bytes) (heap), C(total_bytes) (with indexes and TOAST), C(estimated_rows),
      C(expected_bytes), C(estimated_bloat_bytes), C(estimated_bloat_ratio) (0 to 1), C(n_live_tup),
      C(n_dead_tup), C(last_vacuum), C(last_autovacuum), C(last_analyze), C(last_autoanalyze) and the four counts.
  returned: success
  type: list
  elements: dict
indexes:
  description: Per index C(schema), C(name), C(table), C(method), C(valid), C(bytes), C(expected_bytes), C(estimated_bloat_bytes), C(estimated_bloat_ratio).
  returned: success
  type: list
  elements: dict
invalid_indexes:
  description: Indexes marked invalid, for example left by an interrupted C(CREATE INDEX CONCURRENTLY).
  returned: success
  type: list
  elements: str
table_count:
  description: Number of user tables, before O(bloat_top) cut the list.
  returned: success
  type: int
index_count:
  description: Number of user indexes, before O(bloat_top) cut the list.
  returned: success
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument, OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.pg_stats import collect_statistics
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.target import connection_argument_spec, make_target


def main():
    argument_spec = connection_argument_spec(
        top=dict(type="int", default=5),
        bloat_top=dict(type="int", default=20),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    result = {"changed": False}
    try:
        for option in ("top", "bloat_top"):
            if params[option] < 1:
                raise InvalidArgument("%s is %s; give a number of at least 1" % (option, params[option]))
        target = make_target(params)
        try:
            result.update(collect_statistics(target, params["top"], params["bloat_top"]))
        finally:
            target.close()
    except OpsError as exc:
        module.fail_json(msg=exc.message, **dict(result, **exc.details))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
