"""A deploy that fails on one host stops the rollout, puts that host back and leaves the others serving."""

from __future__ import annotations

import threading

from deploy_helpers import get_json
from test_rolling_deploy import role_task, run_playbook, run_under_load


def test_unhealthy_image_stops_rollout_on_first_host(fresh_fleet):
    fleet = fresh_fleet
    before = fleet.snapshot()
    fleet_vars = {"app_deploy_image": fleet.images["2.0.0-unhealthy"], "app_deploy_health_retries": 4}

    run, load, watcher = run_under_load(fleet, "deploy.yml", fleet_vars)

    assert run.returncode != 0
    assert load.failures == []
    assert watcher.minimum >= 2
    assert fleet.snapshot() == before
    assert role_task(run, "Start the new container and check its health", "app1")["rolled_back"] is True
    hosts_run = {host for play in run.data["plays"] for task in play["tasks"] for host in task["hosts"]}
    assert hosts_run == {"app1", "lb1"} or hosts_run == {"app1"}
    stats = run.global_custom_stats
    assert stats["mirrorbuddy_deploy"]["app1"]["status"] == "failed"
    assert set(stats["mirrorbuddy_deploy"]) == {"app1"}
    phases = [event["phase"] for event in stats["mirrorbuddy_timeline"]]
    assert "detection" in phases
    assert "mitigation" in phases
    for host in fleet.HOSTS:
        assert fleet.health(host)["version"] == "1.0.0"


def test_drain_timeout_puts_old_container_back(fresh_fleet):
    fleet = fresh_fleet
    old_id = fleet.container("app1").id
    answers = []
    # Only app1's server takes new requests, so the long request holds a session on app1's old container.
    for server in ("app2_a", "app3_a"):
        fleet.haproxy.api.set_command("set server app/%s state drain" % server)
    slow = threading.Thread(target=lambda: answers.append(
        get_json("http://127.0.0.1:%d/api/slow?ms=25000" % fleet.haproxy.port, timeout=60)))
    slow.start()

    run = run_playbook("deploy.yml", fleet.inventory, {"app_deploy_image": fleet.images["1.1.0"],
                                                       "app_deploy_drain_timeout": 2}, limit="app1,lb1")
    slow.join(60)

    assert run.returncode != 0
    assert "still has 1 session(s)" in run.output
    assert fleet.container("app1").id == old_id
    assert fleet.health("app1")["version"] == "1.0.0"
    servers = fleet.haproxy.servers()
    assert servers["app1_a"]["srv_admin_state"] == "0"
    assert int(servers["app1_b"]["srv_admin_state"]) & 0x01
    assert [answer[0] for answer in answers] == [200]
