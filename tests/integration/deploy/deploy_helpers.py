"""Test fleet for deploys: app containers on loopback ports behind a real HAProxy, a load generator, a watcher."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

from helpers import REPO, TEST_LABEL, TEST_RUN_ID, free_port, make_temp_dir, unique_name, write_inventory

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.haproxy import RuntimeApi, count_serving

APP_BUILD = REPO / "tests" / "images" / "app" / "build.sh"
BACKEND = "app"


def build_app_images():
    """Build or reuse the sample app images and return their references by tag."""
    completed = subprocess.run([str(APP_BUILD)], check=True, capture_output=True, text=True)
    return {line.split(":", 1)[1]: line for line in completed.stdout.split()}


def start_app(client, image, name, host_port, labels=None):
    """Start an app container publishing port 3000 on 127.0.0.1:host_port and wait for its health."""
    container = client.containers.run(
        image, name=name, detach=True, ports={"3000/tcp": ("127.0.0.1", host_port)},
        labels=dict({TEST_LABEL: TEST_RUN_ID}, **(labels or {})), environment={"MIRRORBUDDY_ROLE": "app"},
        restart_policy={"Name": "unless-stopped"})
    wait_http("http://127.0.0.1:%d/api/health" % host_port)
    return container


def wait_http(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return get_json(url)
        except OSError:
            time.sleep(0.2)
    raise AssertionError("%s did not answer within %ss" % (url, timeout))


def get_json(url, timeout=5):
    host_port, path = url.split("//", 1)[1].split("/", 1)
    host, port = host_port.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request("GET", "/" + path)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


class Haproxy:
    """An HAProxy process of Debian's package with an admin socket, bound to 127.0.0.1 only."""

    def __init__(self, directory, servers):
        self.directory = Path(directory)
        self.port = free_port()
        self.socket = str(self.directory / "admin.sock")

        lines = [
            "global",
            "  stats socket %s mode 600 level admin" % self.socket,
            "defaults",
            "  mode http",
            "  timeout connect 2s",
            "  timeout client 30s",
            "  timeout server 30s",
            "frontend web",
            "  bind 127.0.0.1:%d" % self.port,
            "  default_backend %s" % BACKEND,
            "backend %s" % BACKEND,
            "  balance roundrobin",
            "  option httpchk GET /api/health",
            "  http-check expect status 200",
            "  default-server inter 300ms fall 2 rise 1",
        ]
        for name, port, enabled in servers:
            lines.append("  server %s 127.0.0.1:%d check%s" % (name, port, "" if enabled else " disabled"))

        self.config = self.directory / "haproxy.cfg"
        self.config.write_text("\n".join(lines) + "\n")
        self.log = open(self.directory / "haproxy.log", "wb")
        self.process = subprocess.Popen(["haproxy", "-db", "-f", str(self.config)], stdout=self.log,
                                        stderr=subprocess.STDOUT)
        self.api = RuntimeApi(self.socket)

        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("haproxy did not start: %s" % (self.directory / "haproxy.log").read_text())
            time.sleep(0.05)

    def wait_serving(self, count, timeout=15):
        deadline = time.monotonic() + timeout
        while count_serving(self.api, BACKEND) < count:
            if time.monotonic() > deadline:
                raise AssertionError("HAProxy has fewer than %d servers up: %s" % (count, self.servers()))
            time.sleep(0.1)

    def servers(self):
        return self.api.servers(BACKEND)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class Fleet:
    """Three app hosts, each with one container of 1.0.0 and two HAProxy servers, and a load balancer host."""

    HOSTS = ("app1", "app2", "app3")

    def __init__(self, client, images, image_tag="1.0.0"):
        self.client = client
        self.images = images
        self.directory = Path(make_temp_dir("mbdeploy-"))
        self.prefix = unique_name("mbtest-app")
        self.hosts = {}
        servers = []
        for host in self.HOSTS:
            ports = (free_port(), free_port())
            self.hosts[host] = {"container": "%s-%s" % (self.prefix, host), "ports": ports,
                                "servers": [{"name": "%s_a" % host, "port": ports[0]},
                                            {"name": "%s_b" % host, "port": ports[1]}],
                                "history_dir": str(self.directory / "history" / host)}
            servers += [("%s_a" % host, ports[0], True), ("%s_b" % host, ports[1], False)]
        for host, settings in self.hosts.items():
            start_app(client, images[image_tag], settings["container"], settings["ports"][0])
        self.haproxy = Haproxy(self.directory, servers)
        self.haproxy.wait_serving(len(self.HOSTS))
        self.inventory = write_inventory(self.directory, self.inventory_text())

    def inventory_text(self, **extra_vars):
        hosts = {}
        for host, settings in self.hosts.items():
            hosts[host] = {"app_deploy_container": settings["container"],
                           "app_deploy_lb_servers": settings["servers"],
                           "app_deploy_history_dir": settings["history_dir"]}
        inventory = {"all": {
            "vars": dict({
                "ansible_connection": "local",
                "app_deploy_haproxy_socket": self.haproxy.socket,
                "app_deploy_haproxy_backend": BACKEND,
                "app_deploy_lb_address": "127.0.0.1",
                "app_deploy_health_retries": 20,
                "app_deploy_health_interval": 0.5,
                "app_deploy_running_timeout": 15,
                "app_deploy_drain_timeout": 20,
                "app_deploy_stop_timeout": 10,
            }, **extra_vars),
            "children": {
                "app_servers": {"hosts": hosts},
                "load_balancers": {"hosts": {"lb1": {}}},
            }}}
        return json.dumps(inventory, indent=1)

    def container(self, host):
        return self.client.containers.get(self.hosts[host]["container"])

    def health(self, host):
        """Return the version the host's container reports and the image ID it runs."""
        container = self.container(host)
        container.reload()
        port = int(container.attrs["HostConfig"]["PortBindings"]["3000/tcp"][0]["HostPort"])
        status, body = get_json("http://127.0.0.1:%d/api/health" % port)
        return {"status": status, "version": body["version"], "image_id": container.image.id, "port": port}

    def snapshot(self):
        """Return what a run could change: containers (id, image, port) and HAProxy servers' state."""
        containers = sorted((c.name, c.id, c.image.id, c.status) for c in self.client.containers.list(
            all=True, filters={"name": self.prefix}))
        servers = {name: (row["srv_addr"], row["srv_port"], row["srv_admin_state"])
                   for name, row in self.haproxy.servers().items()}
        return {"containers": containers, "servers": servers}

    def remove(self):
        for container in self.client.containers.list(all=True, filters={"name": self.prefix}):
            container.remove(force=True)
        self.haproxy.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class LoadGenerator(threading.Thread):
    """Send GET / through HAProxy until stopped, at most max_requests or max_seconds; count failures."""

    def __init__(self, port, max_requests=20000, max_seconds=240, pause=0.005):
        super().__init__(daemon=True)
        self.port = port
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self.pause = pause
        self.sent = 0
        self.failures = []
        self.versions = {}
        self._stop_event = threading.Event()

    def run(self):
        deadline = time.monotonic() + self.max_seconds
        while not self._stop_event.is_set() and self.sent < self.max_requests and time.monotonic() < deadline:
            self.sent += 1
            try:
                status, body = get_json("http://127.0.0.1:%d/" % self.port)
                if status != 200:
                    self.failures.append("status %s: %s" % (status, body))
                else:
                    self.versions[body["version"]] = self.versions.get(body["version"], 0) + 1
            except (OSError, ValueError, http.client.HTTPException) as exc:
                self.failures.append("%s: %s" % (type(exc).__name__, exc))
            time.sleep(self.pause)

    def stop(self):
        self._stop_event.set()
        self.join(30)


class ServingWatcher(threading.Thread):
    """Sample HAProxy's servers every 50 ms and keep the lowest count of servers running and ready."""

    def __init__(self, haproxy, max_seconds=240):
        super().__init__(daemon=True)
        self.haproxy = haproxy
        self.max_seconds = max_seconds
        self.minimum = None
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self):
        deadline = time.monotonic() + self.max_seconds
        while not self._stop_event.is_set() and time.monotonic() < deadline:
            serving = count_serving(self.haproxy.api, BACKEND)
            self.minimum = serving if self.minimum is None else min(self.minimum, serving)
            self.samples += 1
            time.sleep(0.05)

    def stop(self):
        self._stop_event.set()
        self.join(10)
