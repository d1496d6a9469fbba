# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HAProxy's runtime API on its admin socket (stats socket ... level admin), as used by HAProxy 2.x.

Each command opens the socket, sends one line and reads the reply to the end, so no session state is kept
between commands. Changes made here live in the running process only: a reload or restart without a
server-state-file returns every server to its configuration.
"""

from __future__ import annotations

import csv
import io
import socket
import time

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument, OpsError

# srv_admin_state bits of `show servers state` (HAProxy include/haproxy/server-t.h): forced, inherited,
# resolution and hostname maintenance; forced and inherited drain. 0x04 only records `disabled` in the
# configuration and stays set after the server is made ready.
ADMIN_MAINT_BITS = 0x01 | 0x02 | 0x20 | 0x40
ADMIN_DRAIN_BITS = 0x08 | 0x10
# srv_op_state values.
OP_STATES = {0: "stopped", 1: "starting", 2: "running", 3: "stopping"}
STATES = ("ready", "drain", "maint")


class HaproxyError(OpsError):
    """The runtime API cannot be reached, rejected a command or a wait timed out."""


class RuntimeApi:
    """Send commands to HAProxy's admin socket."""

    def __init__(self, socket_path, timeout=5.0):
        self.socket_path = socket_path
        self.timeout = timeout

    def execute(self, command):
        if "\n" in command or ";" in command:
            raise InvalidArgument("HAProxy command %r contains a line break or ';'" % command)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(self.timeout)
                connection.connect(self.socket_path)
                connection.sendall(command.encode("ascii") + b"\n")
                chunks = []
                while True:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
        except OSError as exc:
            raise HaproxyError(
                "cannot use the HAProxy admin socket %s: %s; check that HAProxy runs with "
                "'stats socket %s level admin' and that this user may open it" % (
                    self.socket_path, exc, self.socket_path))
        return b"".join(chunks).decode("utf-8", "replace")

    def servers(self, backend):
        """Return the servers of a backend from `show servers state`, keyed by name."""
        reply = self.execute("show servers state %s" % backend)
        lines = [line for line in reply.splitlines() if line.strip()]
        header = next((line for line in lines if line.startswith("# ")), None)
        if header is None:
            raise HaproxyError("HAProxy rejected 'show servers state %s': %s" % (backend, reply.strip()))
        columns = header[2:].split()
        servers = {}
        for line in lines:
            if line.startswith("#") or line.strip() == "1":
                continue
            row = dict(zip(columns, line.split()))
            if row.get("be_name") == backend:
                servers[row["srv_name"]] = row
        if not servers:
            raise HaproxyError("backend %s not found or has no servers in HAProxy" % backend)
        return servers

    def sessions(self, backend, server):
        """Return the current sessions (scur of `show stat`) of a server."""
        reply = self.execute("show stat")
        rows = csv.DictReader(io.StringIO(reply.lstrip("# ")))
        for row in rows:
            if row.get("pxname") == backend and row.get("svname") == server:
                return int(row.get("scur") or 0)
        raise HaproxyError("server %s/%s not found in 'show stat'" % (backend, server))

    def set_command(self, command, accepted=("",)):
        """Run a `set` command; HAProxy replies with an empty line on success and a message otherwise."""
        reply = self.execute(command).strip()
        if reply not in accepted and not any(reply.startswith(prefix) for prefix in accepted if prefix):
            raise HaproxyError("HAProxy rejected '%s': %s" % (command, reply))
        return reply


def describe_server(row):
    """Return a server's state as results show it: admin state, operational state, address and port."""
    admin = int(row["srv_admin_state"])
    if admin & ADMIN_MAINT_BITS:
        admin_state = "maint"
    elif admin & ADMIN_DRAIN_BITS:
        admin_state = "drain"
    else:
        admin_state = "ready"
    return {
        "state": admin_state,
        "operational_state": OP_STATES.get(int(row["srv_op_state"]), row["srv_op_state"]),
        "address": row["srv_addr"],
        "port": int(row["srv_port"]),
    }


def is_serving(row):
    """Tell whether a server takes new requests: running and neither in maintenance nor draining."""
    described = describe_server(row)
    return described["state"] == "ready" and described["operational_state"] == "running"


class ServerControl:
    """Bring one HAProxy server to a state, address and port, changing only what differs."""

    def __init__(self, api, backend, server):
        self.api = api
        self.backend = backend
        self.server = server

    def current(self):
        servers = self.api.servers(self.backend)
        if self.server not in servers:
            raise HaproxyError("server %s not found in backend %s; known servers: %s" % (
                self.server, self.backend, ", ".join(sorted(servers))))
        return describe_server(servers[self.server])

    def plan(self, state=None, address=None, port=None):
        """Return the runtime API commands that bring the server to what is asked, in order."""
        current = self.current()
        commands = []
        new_address = address or current["address"]
        new_port = port or current["port"]
        if (new_address, new_port) != (current["address"], current["port"]):
            commands.append("set server %s/%s addr %s port %d" % (self.backend, self.server, new_address, new_port))
        if state is not None and state != current["state"]:
            commands.append("set server %s/%s state %s" % (self.backend, self.server, state))
        return current, commands

    def apply(self, commands):
        for command in commands:
            if " addr " in command:
                self.api.set_command(command, accepted=("IP changed from", "port changed from",
                                                        "no need to change"))
            else:
                self.api.set_command(command)

    def wait_running(self, timeout, interval=0.25):
        """Wait until the server's health checks report it running; raise with its state on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.current()
            if current["operational_state"] == "running":
                return current
            if time.monotonic() >= deadline:
                raise HaproxyError(
                    "server %s/%s is %s, not running, %s seconds after it was set ready; check that the "
                    "application answers HAProxy's health check at %s:%s" % (
                        self.backend, self.server, current["operational_state"], timeout, current["address"],
                        current["port"]), server_state=current)
            time.sleep(interval)

    def wait_drained(self, timeout, interval=0.25):
        """Wait until the server has no sessions left; raise with the remaining count on timeout."""
        deadline = time.monotonic() + timeout
        started = time.monotonic()
        while True:
            sessions = self.api.sessions(self.backend, self.server)
            if sessions == 0:
                return round(time.monotonic() - started, 3)
            if time.monotonic() >= deadline:
                raise HaproxyError(
                    "server %s/%s still has %d session(s) after waiting %s seconds for the drain; wait "
                    "longer with drain_timeout, or set the server to maint to cut them" % (
                        self.backend, self.server, sessions, timeout), sessions=sessions)
            time.sleep(interval)


def count_serving(api, backend):
    """Return how many servers of a backend take new requests."""
    return sum(1 for row in api.servers(backend).values() if is_serving(row))
