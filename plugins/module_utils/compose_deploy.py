# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deploy a docker-compose service (Debian's docker-compose v1) with the gate of ContainerDeployment."""

from __future__ import annotations

import os
import subprocess

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.container_deploy import ContainerDeployment, DeployFailed
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument, OpsError, TargetError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.release_history import version_of

try:
    from docker import errors as docker_errors
except ImportError:
    docker_errors = None

try:
    import yaml
except ImportError:
    yaml = None


class ComposeDeployment(ContainerDeployment):
    """Deploy through docker-compose v1: set the service's image in docker-compose.override.yml, then up -d.

    docker-compose reads docker-compose.override.yml on its own, so a later `docker-compose up -d app` by hand
    keeps the deployed image. Compose replaces the container in place, so the load balancer must drain this
    host first.
    """

    OVERRIDE = "docker-compose.override.yml"

    def __init__(self, client, project_dir, service, history, gate, stop_timeout=30, check_mode=False,
                 compose_command="docker-compose"):
        if yaml is None:
            raise TargetError("PyYAML is needed on the managed node for docker-compose deploys")
        if not os.path.isdir(project_dir):
            raise InvalidArgument("compose_project_dir %s is not a directory" % project_dir)
        self.project_dir = project_dir
        self.service = service
        self.compose_command = compose_command
        super().__init__(client, service, history, gate, (), stop_timeout, check_mode)

    def container(self, name):
        found = self.api.containers(all=True, filters={"label": [
            "com.docker.compose.service=%s" % self.service,
            "com.docker.compose.project.working_dir=%s" % os.path.realpath(self.project_dir)]})
        if not found:
            return None
        return self.api.inspect_container(found[0]["Id"])

    def _compose_up(self):
        argv = [self.compose_command, "--no-ansi", "up", "-d", "--no-deps", self.service]
        completed = subprocess.run(argv, cwd=self.project_dir, capture_output=True, text=True, check=False,
                                   stdin=subprocess.DEVNULL, timeout=self.stop_timeout + 300)
        if completed.returncode != 0:
            raise DeployFailed("%s failed with exit status %d: %s" % (
                " ".join(argv), completed.returncode, completed.stderr.strip()[-2000:]))

    def _read_override(self):
        path = os.path.join(self.project_dir, self.OVERRIDE)
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def _write_override(self, text, reference):
        data = (yaml.safe_load(text) if text else None) or {}
        data.setdefault("version", "2.4")
        data.setdefault("services", {}).setdefault(self.service, {})["image"] = reference
        self._replace_override(yaml.safe_dump(data, default_flow_style=False, sort_keys=False))

    def _replace_override(self, text):
        path = os.path.join(self.project_dir, self.OVERRIDE)
        if text is None:
            if os.path.exists(path):
                os.unlink(path)
            return
        temporary = path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)

    def deploy(self, reference, procedure="deploy"):
        image = self.image(reference)
        version = self.gate.expected_version or version_of(image, reference)
        current = self.container(self.name)
        if current is None:
            raise InvalidArgument("no container of service %s in %s; start it once with 'docker-compose up -d %s'"
                                  % (self.service, self.project_dir, self.service))
        override = os.path.join(self.project_dir, self.OVERRIDE)
        result = {"image": reference, "image_id": image["Id"], "version": version,
                  "previous": self.describe(current), "compose_override": override}
        if current["Image"] == image["Id"] and current["State"]["Running"]:
            result["health"] = self.check_gate(current, image, version)
            result.update(changed=False, container=self.describe(current))
            return result
        result["changed"] = True
        if self.check_mode:
            return result

        saved_override = self._read_override()
        try:
            self._write_override(saved_override, reference)
            self._compose_up()
            new = self.container(self.name)
            result["health"] = self.check_gate(new, image, version)
        except (OpsError, docker_errors.APIError) as exc:
            self._replace_override(saved_override)
            self._compose_up()
            message = exc.message if isinstance(exc, OpsError) else (exc.explanation or str(exc))
            raise DeployFailed("%s of %s failed; service %s is back on %s: %s" % (
                procedure, reference, self.service, result["previous"]["image"], message),
                rolled_back=True, previous=result["previous"], image=reference, version=version,
                health=dict(getattr(exc, "details", {})) or None)

        result["container"] = self.describe(new)
        result["history_entry"] = self.history.append({
            "container": self.name, "image": reference, "image_id": image["Id"], "version": version,
            "procedure": procedure, "outcome": "deployed",
            "replaced_image": result["previous"]["image"], "replaced_image_id": result["previous"]["image_id"],
            "replaced_version": result["previous"]["version"]})
        result["undo"] = "roll back with mirrorbuddy.ops.app_rollback, or set the image of %s in %s back to %s" % (
            self.service, result["compose_override"], result["previous"]["image"])
        return result

    def retire(self):
        return {"changed": False}

    def revert(self):
        return {"changed": False, "container": self.describe(self.container(self.name))}
