"""playbooks/health_check.yml, the 30-second checks of the runbook's Health Check Schedule."""

from __future__ import annotations

import pytest

from deploy_helpers import start_app
from helpers import free_port, run_playbook, unique_name, write_inventory


@pytest.fixture
def app_url(docker_client, app_images):
    port = free_port()
    container = start_app(docker_client, app_images["1.1.0"], unique_name("mbtest-health"), port)
    yield "http://127.0.0.1:%d/api/health" % port
    container.remove(force=True)


def inventory_for(tmp_path, app_url, db_container, database=None):
    return write_inventory(tmp_path, """
app_servers:
  hosts:
    app1:
      ansible_connection: local
      health_check_app_url: {url}
      health_check_app_expected_json: {{version: "1.1.0"}}
db_servers:
  hosts:
    db1:
      ansible_connection: local
      backup_container: {container}
      backup_database: {database}
""".format(url=app_url, container=db_container, database=database or "mirrorbuddy"))


def test_health_check_passes_and_publishes(tmp_path, app_url, shared_pg_container):
    run = run_playbook("health_check.yml", inventory_for(tmp_path, app_url, shared_pg_container.name))

    assert run.returncode == 0, run.output[-3000:]
    published = run.global_custom_stats["mirrorbuddy_health_check"]
    assert published["app1"]["check"] == "app"
    assert published["app1"]["ok"] is True
    assert published["app1"]["status"] == 200
    assert published["db1"]["check"] == "db"
    assert published["db1"]["ok"] is True


def test_health_check_fails_on_wrong_version(tmp_path, app_url, shared_pg_container):
    inventory = inventory_for(tmp_path, app_url, shared_pg_container.name)
    run = run_playbook("health_check.yml", inventory, extra_vars={
        "mirrorbuddy_health_check": "app", "health_check_app_expected_json": {"version": "9.9.9"},
        "health_check_retries": 1})

    assert run.returncode != 0
    published = run.global_custom_stats["mirrorbuddy_health_check"]
    assert published["app1"]["ok"] is False
    assert "db1" not in published


def test_health_check_fails_on_missing_database(tmp_path, app_url, shared_pg_container):
    inventory = inventory_for(tmp_path, app_url, shared_pg_container.name, database="no_such_database")
    extra_vars = {"mirrorbuddy_health_check": "db", "health_check_retries": 1}
    run = run_playbook("health_check.yml", inventory, extra_vars=extra_vars)

    assert run.returncode != 0
    published = run.global_custom_stats["mirrorbuddy_health_check"]
    assert published["db1"]["ok"] is False
    assert "no_such_database" in published["db1"]["message"]
    assert "app1" not in published
