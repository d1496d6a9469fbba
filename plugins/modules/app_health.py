#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: app_health
short_description: Poll an HTTP health endpoint until its status code and JSON fields are as expected
version_added: 0.1.0
description:
  - Sends C(GET) requests to O(url) until the response passes every condition, at most O(retries) + 1 times, with
    O(interval) seconds between attempts and O(timeout) seconds for each request.
  - Conditions are the status code (O(expected_status)), JSON values picked with jmespath expressions
    (O(expected_json)) and jmespath expressions that must be true (O(assertions)).
  - Fails with every unmet condition of the last attempt and returns its body, so the failure shows what the
    service returned.
  - "The runbook's C(curl -s localhost:3000/api/health | jq '.version') is
    O(url=http://localhost:3000/api/health) with O(expected_json={\"version\": \"1.1.0\"})."
author: MirrorBuddy operations team (@mirrorbuddy-ops)
requirements:
  - jmespath (Python package) on the managed node, when O(expected_json) or O(assertions) is set
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The check only reads, so it runs in check mode too.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  url:
    description: URL of the health endpoint, for example C(http://127.0.0.1:3000/api/health).
    type: str
    required: true
  expected_status:
    description: Status codes that pass. An empty list accepts any status.
    type: list
    elements: int
    default: [200]
  expected_json:
    description: Map of jmespath expression to the value it must return from the JSON body.
    type: dict
    default: {}
  assertions:
    description: jmespath expressions that must return a true value from the JSON body, for example C(status == 'ok').
    type: list
    elements: str
    default: []
  retries:
    description: Attempts after the first one fails.
    type: int
    default: 10
  interval:
    description: Seconds between attempts.
    type: float
    default: 2
  timeout:
    description: Seconds each request may take.
    type: float
    default: 5
"""

EXAMPLES = r"""
- name: Wait until the app reports version 1.1.0 and status ok
  mirrorbuddy.ops.app_health:
    url: http://127.0.0.1:3000/api/health
    expected_json:
      version: "1.1.0"
      status: ok
    retries: 30
    interval: 1
  register: health
"""

RETURN = r"""
url:
  description: The URL checked.
  returned: always
  type: str
status:
  description: HTTP status of the last response; null when no response came.
  returned: always
  type: int
json:
  description: The last response's body parsed as JSON; null when it is not JSON.
  returned: always
  type: raw
  sample: {"status": "ok", "version": "1.1.0"}
content:
  description: The last response's body as text (first 4096 characters).
  returned: always
  type: str
latency_ms:
  description: Milliseconds the last request took.
  returned: always
  type: float
attempts:
  description: Requests sent.
  returned: always
  type: int
failures:
  description: Conditions the last response did not meet; empty on success.
  returned: always
  type: list
  elements: str
elapsed_seconds:
  description: Seconds from the first request to the end.
  returned: always
  type: float
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.health import HttpCheck, check_http


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            expected_status=dict(type="list", elements="int", default=[200]),
            expected_json=dict(type="dict", default={}),
            assertions=dict(type="list", elements="str", default=[]),
            retries=dict(type="int", default=10),
            interval=dict(type="float", default=2),
            timeout=dict(type="float", default=5),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = {"changed": False, "url": params["url"]}

    try:
        check = HttpCheck(params["expected_status"], params["expected_json"], params["assertions"])
        result.update(check_http(params["url"], check, params["retries"], params["interval"], params["timeout"]))
    except OpsError as exc:
        module.fail_json(msg=exc.message, **dict(result, **exc.details))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
