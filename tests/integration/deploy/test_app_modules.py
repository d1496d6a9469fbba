"""mirrorbuddy.ops.app_deploy and app_rollback on single containers and on a docker-compose service."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time

import pytest
from helpers import TEST_LABEL, TEST_RUN_ID, free_port, make_temp_dir, run_module, unique_name

from deploy_helpers import get_json, start_app


class SingleApp:
    """One app container with its own deployment history directory and two host ports."""

    def __init__(self, client, images, tag="1.0.0"):
        self.client = client
        self.name = unique_name("mbtest-single")
        self.ports = [free_port(), free_port()]
        self.history_dir = make_temp_dir("mbdeploy-history-")
        self.container = start_app(client, images.get(tag, tag), self.name, self.ports[0])

    def args(self, **extra):
        return dict({"container": self.name, "host_ports": self.ports, "history_dir": self.history_dir,
                     "health_retries": 4, "health_interval": 0.5, "stop_timeout": 10}, **extra)

    def running(self):
        container = self.client.containers.get(self.name)
        port = int(container.attrs["HostConfig"]["PortBindings"]["3000/tcp"][0]["HostPort"])
        body = get_json("http://127.0.0.1:%d/api/health" % port)[1]
        return {"id": container.id, "image_id": container.image.id, "version": body["version"]}

    def names(self):
        return sorted(c.name for c in self.client.containers.list(all=True, filters={"name": self.name}))

    def remove(self):
        for container in self.client.containers.list(all=True, filters={"name": self.name}):
            container.remove(force=True)
        shutil.rmtree(self.history_dir, ignore_errors=True)


@pytest.fixture
def single_app(docker_client, app_images):
    app = SingleApp(docker_client, app_images)
    yield app
    app.remove()


@pytest.fixture
def private_tags(docker_client):
    """A repository name for tags of this test only, removed afterwards."""
    repository = unique_name("mbtest-tags")
    yield repository
    for image in docker_client.images.list(name=repository):
        for tag in image.tags:
            if tag.startswith(repository + ":"):
                docker_client.images.remove(tag)


def deploy(app, image, **extra):
    return run_module("mirrorbuddy.ops.app_deploy", app.args(image=image, **extra))


def deploy_and_retire(app, image):
    started = deploy(app, image)
    assert started.get("failed") is not True, started.get("msg")
    retired = run_module("mirrorbuddy.ops.app_deploy", app.args(state="retired"))
    assert retired.get("failed") is not True, retired.get("msg")
    return started


def test_missing_image_fails_before_touching_anything(single_app):
    before = single_app.running()

    result = deploy(single_app, "mirrorbuddy-app:0.0.0-missing")

    assert result["failed"] is True
    assert "image mirrorbuddy-app:0.0.0-missing not found" in result["msg"]
    assert single_app.running() == before
    assert single_app.names() == [single_app.name]


def test_deploy_copies_container_configuration(single_app, app_images):
    result = deploy_and_retire(single_app, app_images["1.1.0"])

    container = single_app.client.containers.get(single_app.name)
    env = container.attrs["Config"]["Env"]
    assert "MIRRORBUDDY_ROLE=app" in env
    assert "APP_VERSION=1.1.0" in env
    assert container.labels[TEST_LABEL] == TEST_RUN_ID
    assert container.attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert container.attrs["HostConfig"]["PortBindings"]["3000/tcp"][0]["HostIp"] == "127.0.0.1"
    assert "3000/tcp" in container.attrs["Config"]["ExposedPorts"]
    assert not any(port.count("/") > 1 for port in container.attrs["Config"]["ExposedPorts"])
    assert result["host_port"] == single_app.ports[1]
    assert single_app.names() == [single_app.name]


def test_rollback_follows_image_id_when_tag_moved(app_images, private_tags, docker_client):
    v1 = docker_client.images.get(app_images["1.0.0"])
    v2 = docker_client.images.get(app_images["1.1.0"])
    v1.tag(private_tags, "previous")
    v2.tag(private_tags, "current")
    app = SingleApp(docker_client, app_images, tag="%s:previous" % private_tags)
    try:
        deploy_and_retire(app, "%s:current" % private_tags)
        # The tag of the previous release now names the running image, as after a careless rebuild.
        v2.tag(private_tags, "previous")

        result = run_module("mirrorbuddy.ops.app_rollback", app.args())
        running = app.running()
        names = app.names()
    finally:
        app.remove()

    assert result.get("failed") is not True, result.get("msg")
    assert result["source"] == "history"
    assert result["target"]["image"] == v1.id
    assert running["image_id"] == v1.id
    assert running["version"] == "1.0.0"
    assert names == [app.name]


def test_rollback_fails_when_health_still_reports_running_version(single_app, app_images, private_tags,
                                                                  docker_client):
    deploy_and_retire(single_app, app_images["1.1.0"])
    # Another image ID whose app still reports 1.1.0: only the health check can tell.
    rebuilt = "%s:1.0.0" % private_tags
    dockerfile = "FROM %s\nLABEL io.mirrorbuddy.test.rebuilt=1\n" % app_images["1.1.0"]
    subprocess.run(["docker", "build", "-q", "-t", rebuilt, "-"], input=dockerfile.encode(), check=True,
                   capture_output=True, env=dict(os.environ, DOCKER_BUILDKIT="0"))
    before = single_app.running()

    result = run_module("mirrorbuddy.ops.app_rollback", single_app.args(image=rebuilt, expected_version="1.0.0"))

    assert result["failed"] is True
    assert 'version is "1.1.0", expected "1.0.0"' in result["msg"]
    assert single_app.running() == before


def test_rollback_to_tag_moved_onto_running_image_fails(single_app, app_images, private_tags, docker_client):
    # The runbook's case: "previous-tag" was moved onto the running release, so a rollback to it would
    # leave v2 serving. Without expected_version only the image ID can tell, and it must fail.
    deploy_and_retire(single_app, app_images["1.1.0"])
    docker_client.images.get(app_images["1.1.0"]).tag(private_tags, "1.0.0")
    before = single_app.running()

    result = run_module("mirrorbuddy.ops.app_rollback", single_app.args(image="%s:1.0.0" % private_tags))

    assert result.get("failed") is True, result
    assert "already runs, so a rollback would change nothing" in result["msg"]
    assert single_app.running() == before


def test_rollback_without_history_uses_image_dates(docker_client, app_images):
    app = SingleApp(docker_client, app_images, tag="1.1.0")
    try:
        identified = run_module("mirrorbuddy.ops.app_rollback", app.args(identify_only=True))
    finally:
        app.remove()

    assert identified.get("failed") is not True, identified.get("msg")
    assert identified["source"] == "image_creation_dates"
    assert identified["target"]["image"] == app_images["1.0.0"]
    assert identified["changed"] is False


def test_rollback_prefers_history_over_image_dates(docker_client, app_images):
    app = SingleApp(docker_client, app_images, tag="1.1.0")
    try:
        # A deploy of the older image: dates would point further back, the history points at 1.1.0.
        deploy_and_retire(app, app_images["1.0.0"])
        first = run_module("mirrorbuddy.ops.app_rollback", app.args())
        second = run_module("mirrorbuddy.ops.app_rollback", app.args())
        running = app.running()
    finally:
        app.remove()

    assert first.get("failed") is not True, first.get("msg")
    assert first["target"]["version"] == "1.1.0"
    assert first["changed"] is True
    assert running["version"] == "1.1.0"
    assert second["changed"] is False
    assert second["target"]["already_current"] is True


def test_check_mode_changes_nothing(single_app, app_images):
    before = single_app.running()

    result = run_module("mirrorbuddy.ops.app_deploy", single_app.args(image=app_images["1.1.0"]), check=True)

    assert result["changed"] is True
    assert result["version"] == "1.1.0"
    assert single_app.running() == before
    assert single_app.names() == [single_app.name]


@pytest.fixture
def compose_project(docker_client, app_images):
    directory = make_temp_dir("mbcompose-")
    port = free_port()
    compose = {
        "version": "2.4",
        "services": {"app": {
            "image": app_images["1.0.0"],
            "ports": ["127.0.0.1:%d:3000" % port],
            "labels": {TEST_LABEL: TEST_RUN_ID},
            "environment": {"MIRRORBUDDY_ROLE": "app"},
        }},
    }
    with open("%s/docker-compose.yml" % directory, "w") as handle:
        json.dump(compose, handle)
    subprocess.run(["docker-compose", "up", "-d", "app"], cwd=directory, check=True, capture_output=True)
    yield {"dir": directory, "port": port}
    subprocess.run(["docker-compose", "down", "-v"], cwd=directory, capture_output=True, check=False)
    shutil.rmtree(directory, ignore_errors=True)


def test_compose_deploy_gate_and_rollback(compose_project, app_images):
    args = {"compose_project_dir": compose_project["dir"], "compose_service": "app",
            "history_dir": compose_project["dir"] + "/history", "health_retries": 6, "health_interval": 0.5}
    health_url = "http://127.0.0.1:%d/api/health" % compose_project["port"]

    deployed = run_module("mirrorbuddy.ops.app_deploy", dict(args, image=app_images["1.1.0"]))
    again = run_module("mirrorbuddy.ops.app_deploy", dict(args, image=app_images["1.1.0"]))
    assert deployed.get("failed") is not True, deployed.get("msg")
    assert get_json(health_url)[1]["version"] == "1.1.0"
    assert again["changed"] is False

    failed = run_module("mirrorbuddy.ops.app_deploy", dict(args, image=app_images["2.0.0-unhealthy"]))
    assert failed["failed"] is True
    assert failed["rolled_back"] is True
    assert get_json(health_url)[1]["version"] == "1.1.0"
    # A hand-run `docker-compose up -d app` keeps the deployed image.
    subprocess.run(["docker-compose", "up", "-d", "app"], cwd=compose_project["dir"], check=True,
                   capture_output=True)
    with open(compose_project["dir"] + "/docker-compose.override.yml") as handle:
        assert app_images["1.1.0"] in handle.read()

    rolled_back = run_module("mirrorbuddy.ops.app_rollback", args)
    assert rolled_back.get("failed") is not True, rolled_back.get("msg")
    assert rolled_back["target"]["version"] == "1.0.0"
    assert get_json(health_url)[1]["version"] == "1.0.0"


def test_app_finishes_request_on_sigterm(single_app):
    answers = []
    port = single_app.ports[0]
    request = threading.Thread(target=lambda: answers.append(
        get_json("http://127.0.0.1:%d/api/slow?ms=2000" % port, timeout=30)))
    request.start()
    time.sleep(0.5)

    single_app.container.stop(timeout=20)
    request.join(30)

    single_app.container.reload()
    assert answers == [(200, {"version": "1.0.0", "waited_ms": 2000})]
    assert single_app.container.attrs["State"]["ExitCode"] == 0
