#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: haproxy_server
short_description: Set an HAProxy server to ready, drain or maint, and change its address, through the runtime API
version_added: 0.1.0
description:
  - Talks to a running HAProxy through its admin socket (C(stats socket PATH level admin) in the global
    section) and changes only what differs, so a second run reports C(changed=false).
  - Address and port change first, then the state. A server that is already in the requested state is left
    alone; with O(state=ready) and O(wait_running=true) the module still waits until health checks pass.
  - With O(state=drain) or O(state=maint) and O(wait_for_drain=true) the module waits until the server has no
    sessions left and fails after O(drain_timeout) seconds with the remaining count. A ready server asked for
    O(state=maint) is set to drain first and to maint once its sessions ended.
  - Before it takes a server out of rotation, it checks that at least O(min_serving) other servers of the
    backend take requests, so that a backend is never left with no server up.
  - Changes live in the running HAProxy only. A reload without a C(server-state-file) puts every server back to
    its configuration.
author: MirrorBuddy operations team (@mirrorbuddy-ops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the server's state and returns the commands that would run; sends none and waits for nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  socket:
    description: Path of HAProxy's admin socket on the load balancer host.
    type: path
    required: true
  backend:
    description: Name of the backend.
    type: str
    required: true
  server:
    description: Name of the server in the backend, as the configuration names it.
    type: str
    required: true
  state:
    description:
      - V(ready) puts the server in rotation, V(drain) sends it no new requests and lets open sessions finish,
        V(maint) takes it out entirely. Leave unset to change only the address or port.
    type: str
    choices: [ready, drain, maint]
  address:
    description: IPv4 or IPv6 address to send the server's traffic to.
    type: str
  port:
    description: TCP port to send the server's traffic to.
    type: int
  wait_running:
    description: With O(state=ready), wait until HAProxy's health checks report the server running.
    type: bool
    default: true
  running_timeout:
    description: Maximum seconds to wait for O(wait_running).
    type: int
    default: 30
  wait_for_drain:
    description: With O(state=drain) or O(state=maint), wait until the server's current sessions reach zero.
    type: bool
    default: true
  drain_timeout:
    description: Maximum seconds to wait for the drain before failing with the remaining session count.
    type: int
    default: 60
  min_serving:
    description:
      - Fail without a change when taking this server out of rotation would leave fewer than this many other
        servers of the backend running and ready. C(0) turns the check off.
    type: int
    default: 1
"""

EXAMPLES = r"""
- name: Register the new container in the load balancer
  mirrorbuddy.ops.haproxy_server:
    socket: /run/haproxy/admin.sock
    backend: app
    server: app1_green
    address: 127.0.0.1
    port: 13002
    state: ready

- name: Drain the old container and wait until its sessions end
  mirrorbuddy.ops.haproxy_server:
    socket: /run/haproxy/admin.sock
    backend: app
    server: app1_blue
    state: drain
    drain_timeout: 120
"""

RETURN = r"""
previous:
  description: The server before the change.
  returned: always
  type: dict
  sample: {"state": "ready", "operational_state": "running", "address": "127.0.0.1", "port": 13001}
server_state:
  description: The server after the change (the same as RV(previous) in check mode).
  returned: always
  type: dict
commands:
  description: Runtime API commands that ran, or would run in check mode.
  returned: always
  type: list
  elements: str
sessions:
  description: Current sessions of the server when the module finished.
  returned: always
  type: int
drain_seconds:
  description: Seconds spent waiting for the drain.
  returned: when the module waited for a drain
  type: float
serving:
  description: Servers of the backend running and ready when the module finished.
  returned: always
  type: int
undo:
  description: How to put the server back as it was.
  returned: changed
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.haproxy import (
    HaproxyError,
    RuntimeApi,
    ServerControl,
    count_serving,
    is_serving,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            socket=dict(type="path", required=True),
            backend=dict(type="str", required=True),
            server=dict(type="str", required=True),
            state=dict(type="str", choices=["ready", "drain", "maint"]),
            address=dict(type="str"),
            port=dict(type="int"),
            wait_running=dict(type="bool", default=True),
            running_timeout=dict(type="int", default=30),
            wait_for_drain=dict(type="bool", default=True),
            drain_timeout=dict(type="int", default=60),
            min_serving=dict(type="int", default=1),
        ),
        required_one_of=[("state", "address", "port")],
        supports_check_mode=True,
    )
    params = module.params
    result = {"changed": False, "commands": []}

    try:
        api = RuntimeApi(params["socket"])
        control = ServerControl(api, params["backend"], params["server"])
        previous, commands = control.plan(params["state"], params["address"], params["port"])
        result.update(previous=previous, server_state=previous, commands=commands)

        leaving = params["state"] in ("drain", "maint") and previous["state"] == "ready"
        if leaving and params["min_serving"] > 0:
            servers = api.servers(params["backend"])
            others = sum(1 for name, row in servers.items() if name != params["server"] and is_serving(row))
            if others < params["min_serving"]:
                raise HaproxyError(
                    "refusing to set %s/%s to %s: only %d other server(s) of the backend are running and "
                    "ready, and min_serving is %d; bring another server up first" % (
                        params["backend"], params["server"], params["state"], others, params["min_serving"]))

        # maint after a ready state drains first, so open sessions end before the server leaves the backend.
        drain_first = params["state"] == "maint" and previous["state"] == "ready" and params["wait_for_drain"]
        if drain_first:
            maint_command = commands.pop()
            commands += [maint_command.replace(" state maint", " state drain"), maint_command]
            result["commands"] = commands

        if commands and not module.check_mode:
            if drain_first:
                control.apply(commands[:-1])
                result["drain_seconds"] = control.wait_drained(params["drain_timeout"])
                control.apply(commands[-1:])
            else:
                control.apply(commands)
            result["changed"] = True
            result["undo"] = "set server %s/%s state %s" % (params["backend"], params["server"], previous["state"])
            if any(" addr " in command for command in commands):
                result["undo"] += "; set server %s/%s addr %s port %d" % (
                    params["backend"], params["server"], previous["address"], previous["port"])
        elif commands:
            result["changed"] = True

        if not module.check_mode:
            if params["state"] == "ready" and params["wait_running"]:
                control.wait_running(params["running_timeout"])
            if params["state"] in ("drain", "maint") and params["wait_for_drain"] and not drain_first:
                result["drain_seconds"] = control.wait_drained(params["drain_timeout"])
            result["server_state"] = control.current()
        result["sessions"] = api.sessions(params["backend"], params["server"])
        result["serving"] = count_serving(api, params["backend"])
    except OpsError as exc:
        module.fail_json(msg=exc.message, **dict(result, **exc.details))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
