#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: app_deploy
short_description: Replace the app container with another image, gated on health and version
version_added: 0.1.0
description:
  - Works over the Docker Engine API. The new container gets the configuration of the container it replaces
    (environment, ports, volumes, networks, labels, restart policy and the rest of its host configuration),
    except what the old image set, so the new image's own environment and labels apply.
  - Checks that O(image) exists on the Docker host before it changes anything.
  - "The gate: the new container must run the image's ID, and O(health_path) must respond with status 200 and
    O(version_field) equal to the expected version (O(expected_version), else the image's
    C(org.opencontainers.image.version) label, else its tag). When the gate fails the new container is removed and
    the previous one is back under its name, still serving; the task fails with C(rolled_back=true)."
  - "With O(state=started) and two or more O(host_ports), the deploy is side by side: the old container is renamed
    C(NAME-previous) and keeps serving while the new one publishes the app port on the free host port. After the
    load balancer moved traffic, O(state=retired) stops the old container gracefully (its stop signal, then
    SIGKILL after O(stop_timeout) seconds) and removes it; O(state=reverted) puts it back instead."
  - Without O(host_ports) the old container stops before the new one starts, so drain the host first.
  - With O(compose_project_dir) the container is a docker-compose service. The module sets the service's image in
    C(docker-compose.override.yml), which docker-compose reads on its own, and runs
    C(docker-compose up -d --no-deps SERVICE) (Debian's docker-compose v1); on a failed gate it restores the file and
    runs it again.
  - Every deploy that goes live is appended to the deployment history (O(history_dir)/NAME.json), which
    M(mirrorbuddy.ops.app_rollback) reads.
  - Already on the image and healthy returns C(changed=false).
author: MirrorBuddy operations team (@mirrorbuddy-ops)
requirements:
  - docker (Python SDK) on the managed node
  - docker-compose v1 on the managed node, for O(compose_project_dir)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - mirrorbuddy.ops.deployment
attributes:
  check_mode:
    support: full
    details: Inspects the image and containers and returns what would change, including the host port.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  image:
    description: Image reference to deploy, for example C(mirrorbuddy-app:1.1.0), or an image ID. Needed for O(state=started).
    type: str
  state:
    description:
      - V(started) starts the image and gates it. V(retired) stops and removes C(NAME-previous). V(reverted) puts
        C(NAME-previous) back under its name and removes the new container. V(inspected) changes nothing and returns
        both containers.
    type: str
    choices: [started, retired, reverted, inspected]
    default: started
  docker_host:
    description: Docker Engine URL, for example C(unix:///var/run/docker.sock); default from the environment.
    type: str
  host_ports:
    description: Host ports the app port may be published on, for a side-by-side deploy; two or more, or none.
    type: list
    elements: int
    default: []
  expected_version:
    description: Version the health response must report; default from the image label or tag.
    type: str
  compose_project_dir:
    description: Directory of the docker-compose project whose service is deployed.
    type: path
  procedure:
    description:
      - What the deployment history records the change as. M(mirrorbuddy.ops.app_rollback) undoes the newest
        V(deploy), so a rolling rollback that replaces containers with this module sets V(rollback).
    type: str
    choices: [deploy, rollback]
    default: deploy
  compose_service:
    description: Service name in the compose project, as in C(docker-compose up -d app).
    type: str
    default: app
"""

EXAMPLES = r"""
- name: Start version 1.1.0 beside the running container
  mirrorbuddy.ops.app_deploy:
    container: mirrorbuddy-app
    image: mirrorbuddy-app:1.1.0
    host_ports: [13001, 13002]
  register: deploy

- name: Stop the old container once the load balancer drained it
  mirrorbuddy.ops.app_deploy:
    container: mirrorbuddy-app
    state: retired

- name: Deploy the compose service app, as docker-compose up -d app would
  mirrorbuddy.ops.app_deploy:
    compose_project_dir: /srv/mirrorbuddy
    compose_service: app
    image: mirrorbuddy-app:1.1.0
"""

RETURN = r"""
image:
  description: The image reference deployed.
  returned: state=started
  type: str
image_id:
  description: ID of the deployed image.
  returned: state=started
  type: str
version:
  description: Version the gate expected.
  returned: state=started
  type: str
container:
  description: The container named NAME after the task (name, id, image, image_id, version, status, host_port).
  returned: success
  type: dict
previous:
  description: The container that was replaced (or would be), with the same keys as RV(container).
  returned: state=started
  type: dict
host_port:
  description: Host port the new container publishes the app port on.
  returned: state=started and changed
  type: int
health:
  description: The gate's health check (status, json, latency_ms, attempts).
  returned: state=started, except in check mode
  type: dict
rolled_back:
  description: True when the gate failed and the previous container is back.
  returned: failure
  type: bool
new_container_logs:
  description: Last lines the failed container logged.
  returned: failure of the gate
  type: str
retired:
  description: The container that was stopped and removed.
  returned: state=retired and changed
  type: dict
graceful:
  description: False when the retired container had to be killed after O(stop_timeout).
  returned: state=retired and changed
  type: bool
history_entry:
  description: The entry appended to the deployment history.
  returned: state=started and changed
  type: dict
undo:
  description: How to return to the replaced version.
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
            state=dict(type="str", choices=["started", "retired", "reverted", "inspected"], default="started"),
            procedure=dict(type="str", choices=["deploy", "rollback"], default="deploy"),
        ),
        required_if=[("state", "started", ("image",))],
        supports_check_mode=True,
    )
    params = module.params
    result = {"changed": False}

    try:
        deployment = make_deployment(params, module.check_mode)
        if params["state"] == "started":
            result.update(deployment.deploy(params["image"], params["procedure"]))
        elif params["state"] == "retired":
            result.update(deployment.retire())
        elif params["state"] == "reverted":
            result.update(deployment.revert())
        else:
            result.update(deployment.current_state())
    except OpsError as exc:
        module.fail_json(msg=exc.message, **dict(result, **exc.details))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
