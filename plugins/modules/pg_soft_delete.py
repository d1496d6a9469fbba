#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pg_soft_delete
short_description: Inspect and undelete soft-deleted rows of a PostgreSQL table
version_added: 0.1.0
description:
  - A soft-deleted row has a deletion time in O(deleted_column). This module lists the soft-deleted rows chosen
    by key (O(keys)), by deletion time window (O(deleted_from), O(deleted_until)), or both, and with
    O(state=undeleted) sets their O(deleted_column) to NULL in one statement.
  - Only rows deleted inside the window come back, so a row deleted earlier on its own stays deleted.
  - An undelete that would collide with a live row on a unique index or constraint (for example a partial
    unique index C(WHERE deleted_at IS NULL)) is rejected, naming the constraint and the live row's key.
author: MirrorBuddy operations team (@mirrorbuddy-ops)
extends_documentation_fragment:
  - mirrorbuddy.ops.connection
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Changes nothing and returns the rows that would be undeleted.
  diff_mode:
    support: full
    details: Shows the key and deletion time of each row before, and NULL after.
  platform:
    platforms: posix
options:
  table:
    description: Table name.
    type: str
    required: true
  schema:
    description: Schema of the table.
    type: str
    default: public
  key_columns:
    description: Columns that identify a row.
    type: list
    elements: str
    default: [id]
  deleted_column:
    description: Column that holds the deletion time; NULL means the row is live.
    type: str
    default: deleted_at
  keys:
    description:
      - Keys of the rows to inspect or undelete. A scalar per row for one key column, a list per row for several.
    type: list
    elements: raw
    default: []
  deleted_from:
    description: Choose rows deleted at or after this time (a C(timestamptz) literal, for example C(2026-12-04T10:00:00Z)).
    type: str
  deleted_until:
    description: Choose rows deleted at or before this time.
    type: str
  state:
    description: V(inspected) only lists the rows; V(undeleted) undeletes them.
    type: str
    choices: [inspected, undeleted]
    default: inspected
  max_rows:
    description: Maximum number of rows listed in the result; the count covers all of them.
    type: int
    default: 100
"""

EXAMPLES = r"""
- name: List the users deleted during the incident
  mirrorbuddy.ops.pg_soft_delete:
    database: mirrorbuddy
    table: users
    deleted_from: "2026-12-04T10:00:00Z"
    deleted_until: "2026-12-04T10:15:00Z"
  register: deleted_users

- name: Undelete them
  mirrorbuddy.ops.pg_soft_delete:
    database: mirrorbuddy
    table: users
    deleted_from: "2026-12-04T10:00:00Z"
    deleted_until: "2026-12-04T10:15:00Z"
    state: undeleted
"""

RETURN = r"""
table:
  description: Schema-qualified table name.
  returned: always
  type: str
count:
  description: Number of soft-deleted rows the selection matches.
  returned: success
  type: int
rows:
  description: Up to O(max_rows) matching rows, each with its key (values as text) and deletion time.
  returned: success
  type: list
  elements: dict
recoverable:
  description: True when rows match and none would collide with a live row.
  returned: success
  type: bool
conflicts:
  description: Selected rows that collide with a live row, with the constraint, its columns and both keys.
  returned: always
  type: list
  elements: dict
undo:
  description: How to undo the undelete.
  returned: when rows are undeleted
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.soft_delete import SoftDeleteTable, soft_delete
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.target import connection_argument_spec, make_target


def main():
    argument_spec = connection_argument_spec(
        table=dict(type="str", required=True),
        schema=dict(type="str", default="public"),
        key_columns=dict(type="list", elements="str", default=["id"], no_log=False),
        deleted_column=dict(type="str", default="deleted_at"),
        keys=dict(type="list", elements="raw", default=[], no_log=False),
        deleted_from=dict(type="str"),
        deleted_until=dict(type="str"),
        state=dict(type="str", choices=["inspected", "undeleted"], default="inspected"),
        max_rows=dict(type="int", default=100),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    result = {"changed": False, "table": "%s.%s" % (params["schema"], params["table"]), "conflicts": []}

    try:
        target = make_target(params)
        selection = SoftDeleteTable(target, target.database, params["schema"], params["table"],
                                    params["key_columns"], params["deleted_column"], params["keys"],
                                    params["deleted_from"], params["deleted_until"])
        result.update(soft_delete(selection, params["state"], params["max_rows"], module.check_mode))
    except OpsError as exc:
        module.fail_json(msg=exc.message, **dict(result, **exc.details))
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
