#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: app_rollback
short_description: Roll the app container back to the release before the newest deploy, and prove it
version_added: 0.1.0
description:
  - "Identifies the previous release: the one the newest live deploy in the deployment history replaced. Only when
    no history exists, it picks the newest image of the running image's repository created before it, which is a
    guess from creation dates (RV(source) says which)."
  - Then replaces the container as M(mirrorbuddy.ops.app_deploy) does, and succeeds only when the running container's
    image ID is the target's and the health endpoint reports the target's version. Otherwise the task fails and the
    container is back on the image it ran before.
  - A second run finds the target already running and changes nothing. To go back further, give O(image).
  - With O(identify_only=true) it only returns the target, for a rolling rollback behind a load balancer.
author: MirrorBuddy operations team (@mirrorbuddy-ops)
requirements:
  - docker (Python SDK) on the managed node
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - mirrorbuddy.ops.deployment
attributes:
  check_mode:
    support: full
    details: Identifies the target and returns what would change.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  image:
    description: Image reference or ID to roll back to, instead of the one the history names.
    type: str
  identify_only:
    description: Return the target without changing anything.
    type: bool
    default: false
  docker_host:
    description: Docker Engine URL; default from the environment.
    type: str
  host_ports:
    description: Host ports for a side-by-side replacement (see M(mirrorbuddy.ops.app_deploy)); two or more, or none.
    type: list
    elements: int
    default: []
  expected_version:
    description: Version the health response must report; default from the target's history entry, label or tag.
    type: str
  compose_project_dir:
    description: Directory of the docker-compose project whose service is rolled back.
    type: path
  compose_service:
    description: Service name in the compose project.
    type: str
    default: app
"""

EXAMPLES = r"""
- name: Roll back to the release before the newest deploy
  mirrorbuddy.ops.app_rollback:
    container: mirrorbuddy-app
  register: rollback

- name: Show what the rollback returned to
  ansible.builtin.debug:
    msg: "{{ rollback.target.image }} ({{ rollback.target.version }}, chosen from {{ rollback.source }})"
"""

RETURN = r"""
target:
  description: The release rolled back to (image, image_id, version).
  returned: success
  type: dict
source:
  description: Where the target came from, V(history), V(image_creation_dates) or V(explicit).
  returned: success
  type: str
current:
  description: The container before the rollback.
  returned: success
  type: dict
container:
  description: The container after the rollback.
  returned: success, except with identify_only
  type: dict
health:
  description: The health response that proved the version.
  returned: changed, except in check mode
  type: dict
rolled_back:
  description: On failure, true when the container is back on the image it ran before.
  returned: failure
  type: bool
undo:
  description: How to return to the release that ran before the rollback.
  returned: changed
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.deployment import (
    deployment_argument_spec,
    make_deployment,
)
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import OpsError


def main():
    module = AnsibleModule(
        argument_spec=deployment_argument_spec(
            image=dict(type="str"),
            identify_only=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = {"changed": False}

    try:
        deployment = make_deployment(params, module.check_mode)
        if params["image"]:
            image = deployment.image(params["image"])
            current = deployment.container(deployment.name)
            target = {"image": params["image"], "image_id": image["Id"], "source": "explicit", "version": None,
                      "already_current": current is not None and current["Image"] == image["Id"],
                      "current": deployment.describe(current)}
        else:
            target = deployment.rollback_target()
        result.update(source=target.pop("source"), current=target.pop("current"), target=target)
        deployment.check_rollback_changes_image(target)
        if not params["identify_only"]:
            if not params["expected_version"] and target.get("version"):
                deployment.gate.expected_version = target["version"]
            outcome = deployment.deploy(target["image"], procedure="rollback")
            if outcome["changed"] and not module.check_mode:
                outcome["retired"] = deployment.retire().get("retired")
            result.update(outcome)
            if result["changed"]:
                result["undo"] = "deploy %s again to return to it" % result["current"]["image"]
    except OpsError as exc:
        module.fail_json(msg=exc.message, **dict(result, **exc.details))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
