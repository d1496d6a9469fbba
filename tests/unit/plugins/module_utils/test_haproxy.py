"""Reading HAProxy server states from `show servers state` rows."""

from __future__ import annotations

import pytest

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.haproxy import RuntimeApi, describe_server, is_serving


def row(op_state, admin_state):
    return {"srv_op_state": str(op_state), "srv_admin_state": str(admin_state), "srv_addr": "127.0.0.1",
            "srv_port": "13001"}


@pytest.mark.parametrize("admin_state, expected", [
    (0, "ready"), (4, "ready"), (8, "drain"), (1, "maint"), (5, "maint"), (9, "maint"), (0x20, "maint")])
def test_admin_state_bits(admin_state, expected):
    assert describe_server(row(2, admin_state))["state"] == expected


def test_serving_needs_running_and_ready():
    assert is_serving(row(2, 0)) is True
    assert is_serving(row(2, 8)) is False
    assert is_serving(row(0, 0)) is False


def test_command_with_line_break_is_rejected():
    with pytest.raises(InvalidArgument):
        RuntimeApi("/nonexistent.sock").execute("show stat\nshutdown sessions server app/a")
