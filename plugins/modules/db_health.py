#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: db_health
short_description: Check that a PostgreSQL database runs a query, in its container or on a server
version_added: 0.1.0
description:
  - Runs a read-only query (current database, user, server version, whether the server is a standby) until it
    succeeds, at most O(retries) + 1 times with O(interval) seconds between attempts.
  - Works on both targets of the collection, a C(mirrorbuddy-db) container or a server reached with libpq.
  - Fails with the last error, for example an authentication failure or a stopped container.
author: MirrorBuddy operations team (@mirrorbuddy-ops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - mirrorbuddy.ops.connection
attributes:
  check_mode:
    support: full
    details: The check only reads, so it runs in check mode too.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  retries:
    description: Attempts after the first one fails.
    type: int
    default: 3
  interval:
    description: Seconds between attempts.
    type: float
    default: 2
"""

EXAMPLES = r"""
- name: Check that the database container runs queries
  mirrorbuddy.ops.db_health:
    container: mirrorbuddy-db

- name: Check a database server over TCP
  mirrorbuddy.ops.db_health:
    target: host
    login_host: db.internal
    login_user: monitor
    login_password: "{{ vault_monitor_password }}"
"""

RETURN = r"""
database:
  description: Database the query ran in.
  returned: success
  type: str
user_name:
  description: Role the query ran as.
  returned: success
  type: str
server_version:
  description: PostgreSQL server version.
  returned: success
  type: str
in_recovery:
  description: True when the server is a standby.
  returned: success
  type: bool
latency_ms:
  description: Milliseconds the last attempt took, including the client program's start.
  returned: always
  type: float
attempts:
  description: Attempts made.
  returned: always
  type: int
target:
  description: Where the database is, without secrets.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.health import check_database
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.target import connection_argument_spec, make_target


def main():
    module = AnsibleModule(
        argument_spec=connection_argument_spec(
            retries=dict(type="int", default=3),
            interval=dict(type="float", default=2),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = {"changed": False}

    try:
        target = make_target(params)
        result["target"] = target.describe()
        try:
            result.update(check_database(target, params["retries"], params["interval"]))
        finally:
            target.close()
    except OpsError as exc:
        module.fail_json(msg=exc.message, **dict(result, **exc.details))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
