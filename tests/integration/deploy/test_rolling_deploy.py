"""Rolling deploy and rollback behind a real HAProxy: no failed request, no backend left without a server.

The tests of this module share one fleet and run in file order: check mode, deploy, a second deploy, then
check mode, rollback and a second rollback.
"""

from __future__ import annotations

import json

from helpers import run_playbook as run_collection_playbook

from deploy_helpers import LoadGenerator, ServingWatcher


def run_playbook(playbook, inventory, extra_vars=None, **kwargs):
    """Run a playbook with custom stats in the JSON output."""
    return run_collection_playbook(playbook, inventory, extra_vars, env={"ANSIBLE_SHOW_CUSTOM_STATS": "1"}, **kwargs)


def run_under_load(fleet, playbook, extra_vars=None, **kwargs):
    """Run a playbook while the load generator and the watcher run; return the run, the load and the watcher."""
    load = LoadGenerator(fleet.haproxy.port)
    watcher = ServingWatcher(fleet.haproxy)
    load.start()
    watcher.start()
    try:
        run = run_playbook(playbook, fleet.inventory, extra_vars, **kwargs)
    finally:
        load.stop()
        watcher.stop()
    return run, load, watcher


def role_task(run, name, host):
    """Return the last result of a role task, whose callback name is prefixed with the role."""
    found = [result for play in run.data["plays"] for task in play["tasks"]
             if task["task"]["name"].split(" : ", 1)[-1] == name
             for task_host, result in task["hosts"].items() if task_host == host]
    assert found, "no result for task %r on %s" % (name, host)
    return found[-1]


def assert_succeeded(run):
    assert run.returncode == 0, run.output[-6000:]


def changed_tasks(run):
    return [(task["task"]["name"], host) for play in run.data["plays"] for task in play["tasks"]
            for host, result in task["hosts"].items() if result.get("changed")]


def test_deploy_check_mode_changes_nothing(fleet):
    before = fleet.snapshot()

    run = run_playbook("deploy.yml", fleet.inventory, {"app_deploy_image": fleet.images["1.1.0"]}, check=True)

    assert_succeeded(run)
    assert fleet.snapshot() == before
    started = role_task(run, "Start the new container and check its health", "app1")
    assert started["changed"] is True
    assert started["host_port"] == fleet.hosts["app1"]["ports"][1]


def test_deploy_serves_every_request(fleet):
    run, load, watcher = run_under_load(fleet, "deploy.yml", {"app_deploy_image": fleet.images["1.1.0"]})

    assert_succeeded(run)
    assert load.failures == []
    assert load.sent > 100
    assert watcher.minimum >= 1
    for host in fleet.HOSTS:
        assert fleet.health(host)["version"] == "1.1.0"
    assert "1.0.0" in load.versions
    assert "1.1.0" in load.versions


def test_deploy_publishes_stats_and_timeline(fleet):
    run = run_playbook("deploy.yml", fleet.inventory, {"app_deploy_image": fleet.images["1.1.0"]})

    assert_succeeded(run)
    stats = run.global_custom_stats
    assert set(stats["mirrorbuddy_deploy"]) == set(fleet.HOSTS)
    assert stats["mirrorbuddy_deploy"]["app1"]["status"] == "unchanged"
    events = stats["mirrorbuddy_timeline"]
    assert {event["host"] for event in events} == set(fleet.HOSTS)
    assert {event["procedure"] for event in events} == {"deploy"}
    assert all(event["time"].endswith("Z") for event in events)


def test_deploy_second_run_changes_nothing(fleet):
    before = fleet.snapshot()

    run = run_playbook("deploy.yml", fleet.inventory, {"app_deploy_image": fleet.images["1.1.0"]})

    assert_succeeded(run)
    assert changed_tasks(run) == []
    assert fleet.snapshot() == before


def test_rollback_check_mode_changes_nothing(fleet):
    before = fleet.snapshot()

    run = run_playbook("rollback.yml", fleet.inventory, check=True)

    assert_succeeded(run)
    assert fleet.snapshot() == before
    target = role_task(run, "Identify the previous version", "app2")
    assert target["target"]["version"] == "1.0.0"
    assert target["source"] == "history"


def test_rollback_returns_to_previous_image(fleet, tmp_path):
    timeline_file = tmp_path / "timeline.json"
    v1_id = fleet.client.images.get(fleet.images["1.0.0"]).id

    run, load, watcher = run_under_load(fleet, "rollback.yml", {"mirrorbuddy_timeline_file": str(timeline_file)})

    assert_succeeded(run)
    assert load.failures == []
    assert watcher.minimum >= 1
    for host in fleet.HOSTS:
        health = fleet.health(host)
        assert health["image_id"] == v1_id
        assert health["version"] == "1.0.0"
    assert run.global_custom_stats["mirrorbuddy_rollback"]["app3"]["status"] == "changed"
    events = json.loads(timeline_file.read_text())
    assert {event["procedure"] for event in events} == {"rollback"}
    assert [event["step"] for event in events if event["host"] == "app1"][-1] == "graceful_shutdown"
    verified = [event for event in run.global_custom_stats["mirrorbuddy_timeline"] if event["step"] == "verify"]
    assert [event["host"] for event in verified] == list(fleet.HOSTS)
    assert {event["phase"] for event in verified} == {"resolution"}


def test_rollback_second_run_changes_nothing(fleet):
    before = fleet.snapshot()

    run = run_playbook("rollback.yml", fleet.inventory)

    assert_succeeded(run)
    assert changed_tasks(run) == []
    assert fleet.snapshot() == before
