# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by app_deploy and app_rollback, and the deployment they describe."""

from __future__ import annotations

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.compose_deploy import ComposeDeployment
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.container_deploy import (
    ContainerDeployment,
    GateSettings,
    docker_client,
)
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.release_history import ReleaseHistory


def make_deployment(params, check_mode):
    """Return the deployment the module options describe."""
    client = docker_client(params.get("docker_host"))
    gate = GateSettings(params["container_port"], params["health_path"], params["health_host"],
                        params["health_retries"], params["health_interval"], params["health_timeout"],
                        params["version_field"], params.get("expected_version"))
    name = params["compose_service"] if params.get("compose_project_dir") else params["container"]
    history = ReleaseHistory(params["history_dir"], name)
    if params.get("compose_project_dir"):
        return ComposeDeployment(client, params["compose_project_dir"], params["compose_service"], history, gate,
                                 params["stop_timeout"], check_mode)
    return ContainerDeployment(client, params["container"], history, gate, params["host_ports"],
                               params["stop_timeout"], check_mode)


def deployment_argument_spec(**extra):
    spec = dict(
        container=dict(type="str", default="mirrorbuddy-app"),
        docker_host=dict(type="str"),
        host_ports=dict(type="list", elements="int", default=[]),
        container_port=dict(type="int", default=3000),
        health_path=dict(type="str", default="/api/health"),
        health_host=dict(type="str", default="127.0.0.1"),
        health_retries=dict(type="int", default=30),
        health_interval=dict(type="float", default=1),
        health_timeout=dict(type="float", default=3),
        version_field=dict(type="str", default="version"),
        expected_version=dict(type="str"),
        history_dir=dict(type="path", default="/var/lib/mirrorbuddy/deployments"),
        stop_timeout=dict(type="int", default=30),
        compose_project_dir=dict(type="path"),
        compose_service=dict(type="str", default="app"),
    )
    spec.update(extra)
    return spec
