"""mirrorbuddy.ops.haproxy_server against a real HAProxy and its admin socket."""

from __future__ import annotations

import threading
import time

from helpers import run_module

from deploy_helpers import BACKEND, get_json


def haproxy_args(fleet, server, **extra):
    return dict({"socket": fleet.haproxy.socket, "backend": BACKEND, "server": server}, **extra)


def test_ready_on_running_server_returns_at_once_unchanged(fresh_fleet):
    started = time.monotonic()

    result = run_module("mirrorbuddy.ops.haproxy_server", haproxy_args(fresh_fleet, "app1_a", state="ready"))

    assert result["changed"] is False
    assert result["commands"] == []
    assert result["server_state"]["operational_state"] == "running"
    assert time.monotonic() - started < 10


def test_drain_timeout_fails_with_remaining_sessions(fresh_fleet):
    fleet = fresh_fleet
    answers = []
    url = "http://127.0.0.1:%d/api/slow?ms=10000" % fleet.haproxy.port
    # Round robin over three servers gives each one long request.
    slow = [threading.Thread(target=lambda: answers.append(get_json(url, timeout=30))) for host in fleet.HOSTS]
    for thread in slow:
        thread.start()
    time.sleep(0.5)

    result = run_module("mirrorbuddy.ops.haproxy_server",
                        haproxy_args(fleet, "app2_a", state="drain", drain_timeout=1))
    for thread in slow:
        thread.join(30)

    assert result["failed"] is True
    assert "still has 1 session(s)" in result["msg"]
    assert result["sessions"] == 1
    assert fleet.haproxy.servers()["app2_a"]["srv_admin_state"] == "8"
    assert [answer[0] for answer in answers] == [200, 200, 200]


def test_address_and_port_change_is_idempotent(fresh_fleet):
    fleet = fresh_fleet
    args = haproxy_args(fleet, "app1_b", address="127.0.0.1", port=fleet.hosts["app2"]["ports"][0], state="ready")

    first = run_module("mirrorbuddy.ops.haproxy_server", args)
    second = run_module("mirrorbuddy.ops.haproxy_server", args)

    assert first["changed"] is True
    assert first["commands"][0].endswith("addr 127.0.0.1 port %d" % fleet.hosts["app2"]["ports"][0])
    assert first["server_state"]["port"] == fleet.hosts["app2"]["ports"][0]
    assert first["server_state"]["operational_state"] == "running"
    assert second["changed"] is False


def test_maint_of_last_serving_server_is_rejected(fresh_fleet):
    fleet = fresh_fleet
    for server in ("app1_a", "app2_a"):
        assert run_module("mirrorbuddy.ops.haproxy_server",
                          haproxy_args(fleet, server, state="maint"))["changed"] is True

    result = run_module("mirrorbuddy.ops.haproxy_server", haproxy_args(fleet, "app3_a", state="maint"))

    assert result["failed"] is True
    assert "only 0 other server(s)" in result["msg"]
    assert fleet.haproxy.servers()["app3_a"]["srv_admin_state"] == "0"


def test_check_mode_sends_no_command(fresh_fleet):
    result = run_module("mirrorbuddy.ops.haproxy_server", haproxy_args(fresh_fleet, "app1_a", state="maint"),
                        check=True)

    assert result["changed"] is True
    assert result["commands"] == ["set server app/app1_a state drain", "set server app/app1_a state maint"]
    assert fresh_fleet.haproxy.servers()["app1_a"]["srv_admin_state"] == "0"


def test_unknown_server_error_names_known_ones(fresh_fleet):
    result = run_module("mirrorbuddy.ops.haproxy_server", haproxy_args(fresh_fleet, "nope", state="ready"))

    assert result["failed"] is True
    assert "server nope not found in backend app" in result["msg"]
    assert "app1_a" in result["msg"]
