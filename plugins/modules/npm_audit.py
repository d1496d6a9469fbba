#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: npm_audit
short_description: Run npm audit in the app container and judge it by severity
version_added: 0.1.0
description:
  - Runs C(npm audit --json) in the app's directory inside a running container, through the Docker Engine API
    without a TTY, and summarises the report by severity.
  - The task fails when a vulnerability is at or above O(fail_on).
  - When npm returns no report (the advisory database could not be reached, the registry rejected the request,
    or the lockfile is missing), the task fails with RV(status=unavailable) and npm's error. An unreachable
    advisory database is never reported as a pass.
  - npm audit sends the dependency list to the registry's advisory endpoint; nothing in the container changes.
author: MirrorBuddy operations team (@mirrorbuddy-ops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The audit only reads, so it runs in check mode too.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  container:
    description: Name or ID of the running app container.
    type: str
    required: true
  project_dir:
    description: Directory in the container that holds C(package.json) and C(package-lock.json).
    type: str
    default: /app
  fail_on:
    description: Lowest severity that fails the scan; V(none) reports without failing on vulnerabilities.
    type: str
    choices: [info, low, moderate, high, critical, none]
    default: high
  omit_dev:
    description: Leave development dependencies out (C(--omit=dev)), as they are not in the production image.
    type: bool
    default: true
  registry:
    description: Registry URL whose advisory endpoint npm queries; by default the one in the container's npm configuration.
    type: str
  environment:
    description: Extra environment variables of the npm process, for example C(NODE_EXTRA_CA_CERTS) or a proxy.
    type: dict
    default: {}
  docker_host:
    description: URL of the Docker Engine, when not the local socket or C(DOCKER_HOST).
    type: str
"""

EXAMPLES = r"""
- name: Audit the app's production dependencies, failing on high and critical advisories
  mirrorbuddy.ops.npm_audit:
    container: mirrorbuddy-app
    fail_on: high
  register: security_scan
"""

RETURN = r"""
status:
  description: V(passed), V(failed) (a vulnerability at or above O(fail_on)) or V(unavailable) (npm returned no report).
  returned: always
  type: str
counts:
  description: Vulnerable packages per severity (C(info), C(low), C(moderate), C(high), C(critical)) and C(total).
  returned: when status is passed or failed
  type: dict
  sample: {"info": 0, "low": 0, "moderate": 1, "high": 2, "critical": 1, "total": 4}
vulnerabilities:
  description: Per vulnerable package C(name), C(severity), C(range), C(direct), C(via), C(advisories) and C(fix_available).
  returned: when status is passed or failed
  type: list
  elements: dict
over_threshold:
  description: Packages whose severity is at or above O(fail_on).
  returned: when status is passed or failed
  type: list
  elements: str
error:
  description: npm's error when it returned no report.
  returned: when status is unavailable
  type: str
npm_exit_code:
  description: Exit status of npm audit (1 both for found vulnerabilities and for errors).
  returned: always
  type: int
command:
  description: The npm argument vector.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.security_scan import (
    audit_argv,
    run_in_container,
    summarise_audit,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            container=dict(type="str", required=True),
            project_dir=dict(type="str", default="/app"),
            fail_on=dict(type="str", choices=["info", "low", "moderate", "high", "critical", "none"], default="high"),
            omit_dev=dict(type="bool", default=True),
            registry=dict(type="str"),
            environment=dict(type="dict", default={}),
            docker_host=dict(type="str"),
        ),
        supports_check_mode=True)
    params = module.params
    argv = audit_argv(params["omit_dev"], params["registry"])
    result = {"changed": False, "command": argv, "fail_on": params["fail_on"]}
    try:
        exit_code, stdout, stderr = run_in_container(
            params["container"], argv, params["project_dir"],
            {key: str(value) for key, value in params["environment"].items()}, params["docker_host"])
    except OpsError as exc:
        module.fail_json(msg=exc.message, status="unavailable", **result)
    result.update(summarise_audit(stdout, exit_code, params["fail_on"]))

    if result["status"] == "unavailable":
        module.fail_json(msg="npm audit returned no report, so the scan did not run and is not a pass: %s" % (
            result["error"]), stderr=stderr.strip()[-2000:], **result)
    if result["status"] == "failed":
        counts = ", ".join("%s %d" % (severity, result["counts"][severity])
                           for severity in ("critical", "high", "moderate", "low", "info") if result["counts"][severity])
        module.fail_json(msg="npm audit found vulnerabilities at or above %s (%s): %s" % (
            params["fail_on"], counts, ", ".join(result["over_threshold"])), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
