"""mirrorbuddy.ops.app_health against the sample app, and mirrorbuddy.ops.db_health on both targets."""

from __future__ import annotations

import pytest
from helpers import free_port, run_module, unique_name

from deploy_helpers import start_app


@pytest.fixture(scope="module")
def app_url(docker_client, app_images):
    port = free_port()
    container = start_app(docker_client, app_images["1.1.0"], unique_name("mbtest-health"), port)
    yield "http://127.0.0.1:%d/api/health" % port
    container.remove(force=True)


def test_app_health_passes_on_expected_version(app_url):
    result = run_module("mirrorbuddy.ops.app_health", {
        "url": app_url, "expected_json": {"version": "1.1.0"}, "assertions": ["status == 'ok'"]})

    assert result.get("failed") is not True, result["msg"]
    assert result["attempts"] == 1
    assert result["json"]["version"] == "1.1.0"
    assert result["latency_ms"] > 0
    assert result["changed"] is False


def test_app_health_fails_on_other_version(app_url):
    result = run_module("mirrorbuddy.ops.app_health", {
        "url": app_url, "expected_json": {"version": "1.0.0"}, "retries": 2, "interval": 0.1})

    assert result["failed"] is True
    assert result["attempts"] == 3
    assert result["failures"] == ['version is "1.1.0", expected "1.0.0"']
    assert result["json"]["status"] == "ok"


def test_app_health_fails_on_unhealthy_status(docker_client, app_images):
    port = free_port()
    container = start_app(docker_client, app_images["2.0.0-unhealthy"], unique_name("mbtest-health"), port)
    try:
        result = run_module("mirrorbuddy.ops.app_health", {
            "url": "http://127.0.0.1:%d/api/health" % port, "retries": 1, "interval": 0.1})
    finally:
        container.remove(force=True)

    assert result["failed"] is True
    assert result["status"] == 503
    assert "status 503, expected 200" in result["msg"]


def test_app_health_rejects_invalid_expression(app_url):
    result = run_module("mirrorbuddy.ops.app_health", {"url": app_url, "assertions": ["status =="]})

    assert result["failed"] is True
    assert "invalid jmespath expression 'status =='" in result["msg"]


def test_app_health_reports_refused_connection():
    result = run_module("mirrorbuddy.ops.app_health", {
        "url": "http://127.0.0.1:%d/api/health" % free_port(), "retries": 1, "interval": 0.1, "timeout": 1})

    assert result["failed"] is True
    assert result["status"] is None
    assert "refused" in result["msg"]


def test_db_health_container_target(shared_pg_container):
    result = run_module("mirrorbuddy.ops.db_health", shared_pg_container.connection_args())

    assert result.get("failed") is not True, result.get("msg")
    assert result["database"] == "mirrorbuddy"
    assert result["server_version"].startswith("15")
    assert result["in_recovery"] is False


def test_db_health_host_target(host_postgres):
    result = run_module("mirrorbuddy.ops.db_health", host_postgres.connection_args(tcp=True))

    assert result.get("failed") is not True, result.get("msg")
    assert result["database"] == "mirrorbuddy"
    assert result["attempts"] == 1


def test_db_health_wrong_password_fails_fast(host_postgres):
    args = host_postgres.connection_args(tcp=True, login_password="wrong", retries=0)

    result = run_module("mirrorbuddy.ops.db_health", args)

    assert result["failed"] is True
    assert "password authentication failed" in result["msg"]
    assert "wrong" not in result["msg"]
    assert result["attempts"] == 1
