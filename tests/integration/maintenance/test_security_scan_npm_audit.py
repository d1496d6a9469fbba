"""The monthly security scan: real npm audit in a container of the test image, on a fixture app."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from helpers import REPO, TEST_LABEL, TEST_RUN_ID, run_module, run_playbook, unique_name, write_inventory

FIXTURE_APP = REPO / "tests" / "fixtures" / "npm_audit_app"
ADVISORY_SERVER = REPO / "tests" / "integration" / "maintenance" / "advisory_server.py"
ADVISORY_PORT = 8765
HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


@pytest.fixture(scope="module")
def app_container(docker_client, test_image):
    """A container with the fixture app in /app and the advisory stand-in listening on its loopback."""
    volumes = {HOST_CA_BUNDLE: {"bind": "/etc/mirrorbuddy-host-ca.crt", "mode": "ro"}} \
        if os.path.exists(HOST_CA_BUNDLE) else {}
    container = docker_client.containers.run(test_image, ["sleep", "900"], name=unique_name("mbtest-app"), detach=True,
                                             labels={TEST_LABEL: TEST_RUN_ID}, volumes=volumes)
    try:
        subprocess.run(["docker", "cp", "%s/." % FIXTURE_APP, "%s:/app" % container.name], check=True)
        subprocess.run(["docker", "cp", str(ADVISORY_SERVER), "%s:/tmp/advisory_server.py" % container.name],
                       check=True)
        container.exec_run(["python3", "/tmp/advisory_server.py", str(ADVISORY_PORT)], detach=True)
        deadline = time.monotonic() + 20
        while container.exec_run(["curl", "-sf", "http://127.0.0.1:%d/minimist" % ADVISORY_PORT]).exit_code != 0:
            assert time.monotonic() < deadline, "the advisory stand-in did not start"
            time.sleep(0.2)
        yield container
    finally:
        container.remove(force=True)


def local_registry():
    return "http://127.0.0.1:%d/" % ADVISORY_PORT


def test_scan_fails_at_threshold_with_counts(app_container, tmp_path):
    inventory = write_inventory(tmp_path, "app_servers:\n  hosts:\n    app1:\n      ansible_connection: local\n")

    run = run_playbook("security_scan.yml", inventory, extra_vars={
        "security_scan_container": app_container.name,
        "security_scan_registry": local_registry(),
        "security_scan_fail_on": "high",
    }, env={"ANSIBLE_SHOW_CUSTOM_STATS": "1"})

    assert run.returncode != 0
    result = run.task_result("mirrorbuddy.ops.security_scan : Run npm audit in container %s" % app_container.name)
    assert result["status"] == "failed"
    assert result["counts"] == {"info": 0, "low": 0, "moderate": 0, "high": 1, "critical": 1, "total": 2}
    assert result["over_threshold"] == ["lodash", "minimist"]
    assert "critical 1, high 1" in result["msg"]
    minimist = [entry for entry in result["vulnerabilities"] if entry["name"] == "minimist"][0]
    assert "https://github.com/advisories/GHSA-xvch-5gv4-984h" in [advisory["url"] for advisory in minimist["advisories"]]
    published = run.global_custom_stats["mirrorbuddy_security_scan"]
    assert published["status"] == "failed"
    assert published["counts"]["critical"] == 1


def test_scan_threshold_critical_names_only_critical(app_container):
    result = run_module("mirrorbuddy.ops.npm_audit", {"container": app_container.name, "registry": local_registry(),
                                                      "fail_on": "critical"})

    assert result["status"] == "failed"
    assert result["over_threshold"] == ["minimist"]


def test_scan_below_threshold_passes_and_reports(app_container):
    result = run_module("mirrorbuddy.ops.npm_audit", {"container": app_container.name, "registry": local_registry(),
                                                      "fail_on": "none"}, check=True)

    assert not result.get("failed"), result.get("msg")
    assert result["status"] == "passed"
    assert result["counts"]["total"] == 2


def test_unreachable_advisory_database_does_not_pass(app_container):
    # Nothing listens on port 9 of the container's loopback.
    result = run_module("mirrorbuddy.ops.npm_audit", {"container": app_container.name,
                                                      "registry": "http://127.0.0.1:9/", "fail_on": "none"})

    assert result.get("failed") is True
    assert result["status"] == "unavailable"
    assert "not a pass" in result["msg"]
    assert "ECONNREFUSED" in result["msg"]
    assert "counts" not in result


def test_scan_against_public_registry_never_passes(app_container):
    # The fixture pins minimist 0.0.8, which has a published critical advisory: the scan may fail on it, or
    # fail because the advisory endpoint cannot be reached from here, but it must not pass.
    environment = {"NODE_EXTRA_CA_CERTS": "/etc/mirrorbuddy-host-ca.crt"} if os.path.exists(HOST_CA_BUNDLE) else {}

    result = run_module("mirrorbuddy.ops.npm_audit", {"container": app_container.name, "fail_on": "critical",
                                                      "environment": environment})

    assert result.get("failed") is True
    assert result["status"] in ("failed", "unavailable")
    if result["status"] == "failed":
        assert "minimist" in result["over_threshold"]
    else:
        assert "not a pass" in result["msg"]


def test_missing_container_is_named(docker_client):
    result = run_module("mirrorbuddy.ops.npm_audit", {"container": "mbtest-no-such-app"})

    assert result.get("failed") is True
    assert "mbtest-no-such-app not found" in result["msg"]
