#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pg_writes
short_description: Stop or resume writes to a PostgreSQL database
version_added: 0.1.0
description:
  - V(stopped) sets C(default_transaction_read_only=on) for new sessions of the database and ends the
    sessions that were open, so the application reconnects read-only.
  - V(resumed) resets C(default_transaction_read_only) on the database. Sessions opened while writes were
    stopped stay read-only until they reconnect.
  - The setting belongs to the database, so a database restored in its place (M(mirrorbuddy.ops.pg_backup_restore))
    accepts writes until writes are stopped on it again.
  - A session that runs C(SET default_transaction_read_only = off) itself can still write.
author: MirrorBuddy operations team (@mirrorbuddy-ops)
extends_documentation_fragment:
  - mirrorbuddy.ops.connection
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Changes nothing and returns the sessions that would be ended.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  database:
    description: Database whose writes are stopped or resumed.
    type: str
    required: true
    default: null
    aliases: [db]
  state:
    description: V(stopped) makes the database read-only for new transactions; V(resumed) undoes it.
    type: str
    choices: [stopped, resumed]
    required: true
  terminate_sessions:
    description:
      - V(changed) ends the open sessions only when this run switched the database to read-only, which keeps
        a second run from ending the read-only sessions that came after.
      - V(always) ends them on every run with O(state=stopped); V(never) leaves them open.
    type: str
    choices: [changed, always, never]
    default: changed
  application_roles:
    description: End only the sessions of these roles. By default every other client session on the database.
    type: list
    elements: str
    default: []
  maintenance_database:
    description: Database the module connects to.
    type: str
    default: postgres
"""

EXAMPLES = r"""
- name: Stop writes to the application database
  mirrorbuddy.ops.pg_writes:
    database: mirrorbuddy
    state: stopped
    application_roles: [mirrorbuddy]

- name: Resume writes
  mirrorbuddy.ops.pg_writes:
    database: mirrorbuddy
    state: resumed
"""

RETURN = r"""
database:
  description: The database.
  returned: always
  type: str
was_read_only:
  description: Whether the database was read-only for new sessions before this run.
  returned: success
  type: bool
sessions:
  description: The sessions that were (or would be) ended, with pid, user, application_name and client_addr.
  returned: when sessions are ended
  type: list
  elements: dict
sessions_ended:
  description: Number of sessions ended.
  returned: success
  type: int
undo:
  description: How to undo this step.
  returned: success
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument, OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.target import connection_argument_spec, make_target
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.writes import WriteSwitch, switch_writes


def main():
    argument_spec = connection_argument_spec(
        database=dict(type="str", required=True, aliases=["db"]),
        state=dict(type="str", choices=["stopped", "resumed"], required=True),
        terminate_sessions=dict(type="str", choices=["changed", "always", "never"], default="changed"),
        application_roles=dict(type="list", elements="str", default=[]),
        maintenance_database=dict(type="str", default="postgres"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    result = {"changed": False, "database": params["database"]}

    try:
        target = make_target(params)
        switch = WriteSwitch(target, params["database"], params["maintenance_database"],
                             params["application_roles"])
        if not switch.database_exists():
            raise InvalidArgument("database %s does not exist on this server; check the database option"
                                  % params["database"])
        result.update(switch_writes(switch, params["state"], params["terminate_sessions"], module.check_mode))
    except OpsError as exc:
        module.fail_json(msg=exc.message, **dict(result, **exc.details))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
