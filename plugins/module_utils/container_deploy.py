# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replace an app container with one of another image, gated on health and version, over the Docker Engine API.

A deploy copies the configuration of the container it replaces (environment, ports, volumes, networks,
labels, restart policy and the rest of its host configuration) minus what came from the old image, so the
new image's own environment and labels apply. Two ways to replace:

- side by side: with two or more host ports, the new container publishes the app port on a free one while the
  old container, renamed NAME-previous, keeps serving. A load balancer moves traffic over; `retire` stops the
  old container gracefully and `revert` puts it back under its name.
- in place: without host ports, the old container stops first (for a host the load balancer drained).

compose_deploy.ComposeDeployment replaces containers of docker-compose projects.
"""

from __future__ import annotations

import time

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument, OpsError, TargetError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.health import HttpCheck, check_http
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.release_history import (
    NoPreviousRelease,
    newest_rollback,
    previous_from_image_dates,
    repository_of,
    rollback_target_from_history,
    version_of,
)

try:
    import docker
    from docker import errors as docker_errors
except ImportError:
    docker = None
    docker_errors = None

PREVIOUS_SUFFIX = "-previous"
DEPLOY_LABEL = "io.mirrorbuddy.deploy.version"


class DeployFailed(OpsError):
    """The new container did not pass its gate; details carry rolled_back and the previous container."""


def docker_client(docker_host=None):
    if docker is None:
        raise TargetError("the docker Python SDK is not installed on the managed node; install it with "
                          "'pip install docker' or Debian's python3-docker")
    try:
        client = docker.DockerClient(base_url=docker_host) if docker_host else docker.from_env()
        client.api.ping()
    except docker_errors.DockerException as exc:
        raise TargetError("cannot reach the Docker Engine at %s: %s; check that dockerd runs and that this user "
                          "may use its socket" % (docker_host or "the default socket", exc))
    return client


class GateSettings:
    """Settings of the health gate: parts of the health URL, the expected version and the polling."""

    def __init__(self, container_port=3000, health_path="/api/health", health_host="127.0.0.1", retries=30,
                 interval=1.0, timeout=3.0, version_field="version", expected_version=None):
        self.container_port = container_port
        self.health_path = health_path if health_path.startswith("/") else "/" + health_path
        self.health_host = health_host
        self.retries = retries
        self.interval = interval
        self.timeout = timeout
        self.version_field = version_field
        self.expected_version = expected_version


def _subtract(values, image_values):
    return [value for value in (values or []) if value not in (image_values or [])]


def creation_config(info, old_image, new_image_ref):
    """Return create_container keyword arguments that copy a container's own configuration onto another image.

    What equals the old image's defaults is left out, so the new image's environment, labels, command and
    user apply: copying APP_VERSION from the old container would make the new one report the old version.
    """
    config = info["Config"]
    image_config = old_image.get("Config") or {}
    arguments = {
        "image": new_image_ref,
        "environment": _subtract(config.get("Env"), image_config.get("Env")),
        "labels": {key: value for key, value in (config.get("Labels") or {}).items()
                   if (image_config.get("Labels") or {}).get(key) != value},
        "host_config": dict(info["HostConfig"]),
        "detach": True,
    }
    for key, argument in (("Cmd", "command"), ("Entrypoint", "entrypoint"), ("WorkingDir", "working_dir"),
                          ("User", "user"), ("StopSignal", "stop_signal"), ("Healthcheck", "healthcheck")):
        if config.get(key) and config.get(key) != image_config.get(key):
            arguments[argument] = config[key]
    exposed = [port for port in (config.get("ExposedPorts") or {})
               if port not in (image_config.get("ExposedPorts") or {})]
    bound = list((info["HostConfig"].get("PortBindings") or {}).keys())
    if exposed or bound:
        # The SDK's ports list takes (port, protocol) tuples; "3000/tcp" would become "3000/tcp/tcp".
        arguments["ports"] = [(int(port.split("/")[0]), port.split("/")[1] if "/" in port else "tcp")
                              for port in sorted(set(exposed + bound))]
    if config.get("StopTimeout") is not None:
        arguments["stop_timeout"] = config["StopTimeout"]
    return arguments


def _port_key(port):
    return "%d/tcp" % port


def published_port(info, container_port):
    """Return the host port a container publishes container_port on, from its configuration."""
    bindings = (info["HostConfig"].get("PortBindings") or {}).get(_port_key(container_port)) or []
    for binding in bindings:
        if binding.get("HostPort"):
            return int(binding["HostPort"])
    return None


class ContainerDeployment:
    """Deploy an image in place of the container NAME on one Docker host."""

    def __init__(self, client, name, history, gate, host_ports=(), stop_timeout=30, check_mode=False):
        self.client = client
        self.api = client.api
        self.name = name
        self.previous_name = name + PREVIOUS_SUFFIX
        self.history = history
        self.gate = gate
        self.host_ports = [int(port) for port in host_ports]
        self.stop_timeout = stop_timeout
        self.check_mode = check_mode
        if len(self.host_ports) == 1:
            raise InvalidArgument("host_ports has one port (%s); give two or more for a side-by-side deploy, or "
                                  "none to replace the container in place" % self.host_ports[0])

    # Reading

    def image(self, reference):
        """Return the image inspect dict, or raise before anything is touched."""
        try:
            return self.api.inspect_image(reference)
        except docker_errors.ImageNotFound:
            raise InvalidArgument("image %s not found on this Docker host; build, load or pull it before the "
                                  "deploy (nothing was changed)" % reference)
        except docker_errors.APIError as exc:
            raise TargetError("cannot inspect image %s: %s" % (reference, exc.explanation or exc))

    def container(self, name):
        try:
            return self.api.inspect_container(name)
        except docker_errors.NotFound:
            return None

    def describe(self, info):
        """Return the facts about a container that results and the history use."""
        if info is None:
            return None
        image = self.api.inspect_image(info["Image"])
        return {
            "name": info["Name"].lstrip("/"),
            "id": info["Id"],
            "image": info["Config"]["Image"],
            "image_id": info["Image"],
            "version": version_of(image, info["Config"]["Image"]),
            "status": info["State"]["Status"],
            "host_port": published_port(info, self.gate.container_port),
        }

    def health_url(self, info):
        port = published_port(info, self.gate.container_port)
        if port is not None:
            return "http://%s:%d%s" % (self.gate.health_host, port, self.gate.health_path)
        address = info["NetworkSettings"].get("IPAddress")
        for network in (info["NetworkSettings"].get("Networks") or {}).values():
            address = address or network.get("IPAddress")
        if not address:
            raise DeployFailed("container %s publishes no port %d and has no IP address to check its health at"
                               % (info["Name"].lstrip("/"), self.gate.container_port))
        return "http://%s:%d%s" % (address, self.gate.container_port, self.gate.health_path)

    def check_gate(self, info, image, version):
        """Check that the container runs the image and its health endpoint reports the version."""
        info = self.api.inspect_container(info["Id"])
        if info["Image"] != image["Id"]:
            raise DeployFailed("container %s runs image %s, not %s" % (self.name, info["Image"], image["Id"]))
        expected = {self.gate.version_field: version} if version else {}
        check = HttpCheck([200], expected)
        return check_http(self.health_url(info), check, self.gate.retries, self.gate.interval, self.gate.timeout)

    # Deploying

    def deploy(self, reference, procedure="deploy"):
        """Start the image as NAME and gate it; on failure put the previous container back and raise."""
        image = self.image(reference)
        version = self.gate.expected_version or version_of(image, reference)
        current = self.container(self.name)
        if current is None:
            raise InvalidArgument("container %s not found; a deploy copies the configuration of the running "
                                  "container, so start the first one yourself (or with docker-compose)" % self.name)
        leftover = self.container(self.previous_name)
        result = {"image": reference, "image_id": image["Id"], "version": version,
                  "previous": self.describe(leftover or current)}

        if current["Image"] == image["Id"] and current["State"]["Running"]:
            result["health"] = self.check_gate(current, image, version)
            result.update(changed=False, container=self.describe(current))
            return result
        if leftover is not None:
            raise DeployFailed("container %s exists from an unfinished deploy; finish it with state=retired or "
                               "undo it with state=reverted, then deploy again" % self.previous_name,
                               previous=result["previous"])

        host_port = self._free_host_port(current)
        result.update(changed=True, host_port=host_port, side_by_side=bool(self.host_ports))
        if self.check_mode:
            return result

        old_image = self.api.inspect_image(current["Image"])
        arguments = creation_config(current, old_image, reference)
        arguments["labels"][DEPLOY_LABEL] = version or ""
        if host_port is not None:
            bindings = dict(arguments["host_config"].get("PortBindings") or {})
            old_bindings = bindings.get(_port_key(self.gate.container_port)) or [{"HostIp": ""}]
            bindings[_port_key(self.gate.container_port)] = [
                dict(binding, HostPort=str(host_port)) for binding in old_bindings]
            arguments["host_config"]["PortBindings"] = bindings

        self.api.rename(current["Id"], self.previous_name)
        if not self.host_ports:
            self.api.stop(current["Id"], timeout=self.stop_timeout)
        new_id = None
        try:
            new_id = self._create_and_start(arguments, current)
            result["health"] = self.check_gate(self.api.inspect_container(new_id), image, version)
        except (OpsError, docker_errors.APIError) as exc:
            logs = self._logs_tail(new_id)
            self._put_back(current["Id"], new_id)
            message = exc.message if isinstance(exc, OpsError) else (exc.explanation or str(exc))
            details = dict(getattr(exc, "details", {}))
            raise DeployFailed(
                "%s of %s failed and container %s is back on %s: %s" % (
                    procedure, reference, self.name, result["previous"]["image"], message),
                rolled_back=True, new_container_logs=logs, previous=result["previous"], image=reference,
                version=version, health=details or None)

        result["container"] = self.describe(self.api.inspect_container(new_id))
        result["history_entry"] = self.history.append({
            "container": self.name, "image": reference, "image_id": image["Id"], "version": version,
            "procedure": procedure, "outcome": "deployed",
            "replaced_image": result["previous"]["image"], "replaced_image_id": result["previous"]["image_id"],
            "replaced_version": result["previous"]["version"]})
        if not self.host_ports:
            self.api.remove_container(current["Id"])
            result["previous_removed"] = True
        result["undo"] = ("roll back with mirrorbuddy.ops.app_rollback, or deploy %s again; image %s stays on "
                          "the host" % (result["previous"]["image"], result["previous"]["image_id"]))
        return result

    def _free_host_port(self, current):
        if not self.host_ports:
            return published_port(current, self.gate.container_port)
        used = published_port(current, self.gate.container_port)
        for port in self.host_ports:
            if port != used:
                return port
        raise InvalidArgument("host_ports %s offers no port besides the one in use" % self.host_ports)

    def _create_and_start(self, arguments, current):
        arguments = dict(arguments)
        host_config = arguments.pop("host_config")
        networks = current["NetworkSettings"].get("Networks") or {}
        primary = host_config.get("NetworkMode")
        created = self.api.create_container(name=self.name, host_config=host_config, **arguments)
        for network, settings in networks.items():
            if network == primary or primary in ("host", "none") or primary.startswith("container:"):
                continue
            aliases = [alias for alias in (settings.get("Aliases") or []) if not current["Id"].startswith(alias)]
            self.api.connect_container_to_network(created["Id"], network, aliases=aliases or None)
        self.api.start(created["Id"])
        return created["Id"]

    def _logs_tail(self, container_id):
        if container_id is None:
            return None
        try:
            return self.api.logs(container_id, tail=20).decode("utf-8", "replace")
        except docker_errors.APIError:
            return None

    def _put_back(self, previous_id, new_id):
        if new_id is not None:
            self.api.remove_container(new_id, force=True)
        self.api.rename(previous_id, self.name)
        if not self.api.inspect_container(previous_id)["State"]["Running"]:
            self.api.start(previous_id)

    # After the load balancer moved traffic

    def retire(self):
        """Stop the renamed previous container gracefully and remove it."""
        leftover = self.container(self.previous_name)
        if leftover is None:
            return {"changed": False}
        result = {"changed": True, "retired": self.describe(leftover)}
        if self.check_mode:
            return result
        started = time.monotonic()
        self.api.stop(leftover["Id"], timeout=self.stop_timeout)
        state = self.api.inspect_container(leftover["Id"])["State"]
        result.update(stop_seconds=round(time.monotonic() - started, 3), exit_code=state.get("ExitCode"))
        # 137 is SIGKILL after the stop timeout: requests in flight may have been cut.
        result["graceful"] = state.get("ExitCode") != 137
        self.api.remove_container(leftover["Id"])
        result["undo"] = "deploy %s again to return to it" % result["retired"]["image"]
        return result

    def revert(self):
        """Put the previous container back under NAME and remove the new one."""
        leftover = self.container(self.previous_name)
        current = self.container(self.name)
        if leftover is None:
            return {"changed": False, "container": self.describe(current)}
        result = {"changed": True, "removed": self.describe(current), "container": self.describe(leftover)}
        if self.check_mode:
            return result
        if not leftover["State"]["Running"]:
            self.api.start(leftover["Id"])
        if current is not None:
            self.api.stop(current["Id"], timeout=self.stop_timeout)
            self.api.remove_container(current["Id"])
            self.history.mark_last(current["Image"], "reverted")
        self.api.rename(leftover["Id"], self.name)
        result["container"] = self.describe(self.api.inspect_container(leftover["Id"]))
        return result

    # Choosing the rollback target

    def rollback_target(self):
        """Return the release to roll back to, with source history or image_creation_dates.

        The result has already_current=True when the container runs the target, for example after a
        first rollback.
        """
        current = self.container(self.name)
        if current is None:
            raise InvalidArgument("container %s not found; there is nothing to roll back" % self.name)
        entries = self.history.entries()
        target = rollback_target_from_history(entries, current["Image"])
        if target is not None:
            target["source"] = "history"
        elif entries:
            done = newest_rollback(entries, current["Image"])
            if done is None:
                raise NoPreviousRelease(
                    "the deployment history %s records no deploy to undo; name the image to roll back to"
                    % self.history.path)
            target = {"image": done["image"], "image_id": done["image_id"], "version": done.get("version"),
                      "source": "history"}
        else:
            target = self._target_from_image_dates(current)
        target["image"] = self._live_reference(target["image"], target["image_id"])
        target["already_current"] = target["image_id"] == current["Image"]
        target["current"] = self.describe(current)
        return target

    def check_rollback_changes_image(self, target):
        """Raise NoPreviousRelease when a rollback would leave the running image in place.

        A target that is the running image is accepted only as the repeat of a rollback that already went
        live, which keeps a second run unchanged. Otherwise, for example a tag moved onto the running image,
        the rollback would report success while the same release keeps serving.
        """
        if not target.get("already_current"):
            return
        if newest_rollback(self.history.entries(), target["image_id"]) is not None:
            return
        raise NoPreviousRelease(
            "the rollback target %s is image %s, which container %s already runs, so a rollback would change "
            "nothing; name the image of the release to return to (its tag may have been moved onto the "
            "running image)" % (target["image"], target["image_id"], self.name))

    def _target_from_image_dates(self, current):
        current_image = self.api.inspect_image(current["Image"])
        repository = repository_of(current["Config"]["Image"])
        images = [self.api.inspect_image(summary["Id"]) for summary in self.api.images(name=repository)]
        found = previous_from_image_dates(images, current_image)
        if found is None:
            raise NoPreviousRelease(
                "no deployment history in %s and no image of %s older than the running %s; name the image "
                "to roll back to" % (self.history.path, repository, current["Config"]["Image"]))
        tags = [tag for tag in (found.get("RepoTags") or []) if repository_of(tag) == repository]
        reference = sorted(tags)[0] if tags else found["Id"]
        return {"image": reference, "image_id": found["Id"], "version": version_of(found, reference),
                "source": "image_creation_dates"}

    def _live_reference(self, reference, image_id):
        """Return reference when it still names image_id, else the image ID, so a moved tag is not followed."""
        try:
            if self.api.inspect_image(reference)["Id"] == image_id:
                return reference
        except docker_errors.ImageNotFound:
            pass
        try:
            self.api.inspect_image(image_id)
        except docker_errors.ImageNotFound:
            raise NoPreviousRelease("the rollback target %s (image %s) is no longer on this Docker host; load "
                                    "or build it again, or name another image" % (reference, image_id))
        return image_id

    def current_state(self):
        return {"changed": False, "container": self.describe(self.container(self.name)),
                "previous": self.describe(self.container(self.previous_name))}
