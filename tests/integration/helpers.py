"""Helpers for integration tests: run modules and playbooks through Ansible, reach test databases."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / ".tmp" / "collections"
SAMPLE_DATA = REPO / "tests" / "fixtures" / "sample_data.sql"
TEST_LABEL = "io.mirrorbuddy.test"
# Containers carry this run's id, so a run removes only its own containers, even beside a parallel run.
TEST_RUN_ID = uuid.uuid4().hex[:12]


def ansible_env(extra=None):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_SHOW_CUSTOM_STATS": "1",
        "ANSIBLE_PYTHON_INTERPRETER": os.environ.get("MIRRORBUDDY_TEST_PYTHON", _venv_python()),
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
    })
    env.update(extra or {})
    return env


def _venv_python():
    import sys
    return sys.executable


class AnsibleRun:
    """The outcome of one ansible or ansible-playbook run, read from the JSON callback."""

    def __init__(self, completed):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        try:
            start = self.stdout.index("{")
            self.data = json.loads(self.stdout[start:])
        except ValueError:
            raise AssertionError("ansible printed no JSON (exit %s):\n%s\n%s" % (
                self.returncode, self.stdout[-4000:], self.stderr[-4000:]))

    @property
    def output(self):
        return self.stdout + self.stderr

    def task_results(self, task_name=None, host=None):
        """Return the results of the tasks named task_name (all when None), host by host, in order."""
        found = []
        for play in self.data["plays"]:
            for task in play["tasks"]:
                # Tasks of a role are named "ROLE : TASK" in the callback's output.
                name = task["task"]["name"]
                if task_name is not None and name != task_name and not name.endswith(" : " + task_name):
                    continue
                for host_name, result in task["hosts"].items():
                    if host is None or host_name == host:
                        found.append(result)
        return found

    def task_result(self, task_name, host=None):
        results = self.task_results(task_name, host)
        assert results, "no result for task %r on %s in:\n%s" % (task_name, host or "any host", self.stdout[-3000:])
        return results[-1]

    @property
    def stats(self):
        return self.data["stats"]

    @property
    def custom_stats(self):
        return self.data.get("custom_stats", {})

    @property
    def global_custom_stats(self):
        return self.data.get("global_custom_stats", {})


def run_module(module, args, check=False, diff=False, env=None, timeout=600):
    """Run one module on localhost through `ansible` and return its result dict."""
    command = ["ansible", "localhost", "-c", "local", "-i", "localhost,", "-m", module, "-a", json.dumps(args)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    completed = subprocess.run(command, capture_output=True, text=True, env=ansible_env(env), timeout=timeout,
                               cwd=str(REPO), check=False)
    run = AnsibleRun(completed)
    results = run.task_results()
    assert results, "no task result:\n%s" % run.output[-3000:]
    result = dict(results[0])
    result["_stdout"] = run.stdout
    return result


def run_playbook(playbook, inventory, extra_vars=None, check=False, diff=False, env=None, limit=None,
                 timeout=900):
    """Run a playbook and return an AnsibleRun.

    A bare name such as "backup.yml" runs the installed collection's playbook by its fully qualified name
    (mirrorbuddy.ops.backup), as users do. An absolute path runs that file.
    """
    if os.path.isabs(str(playbook)):
        name = str(playbook)
    else:
        name = "mirrorbuddy.ops." + Path(playbook).name.rsplit(".", 1)[0]
    command = ["ansible-playbook", name, "-i", str(inventory)]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    if limit:
        command += ["--limit", limit]
    completed = subprocess.run(command, capture_output=True, text=True, env=ansible_env(env), timeout=timeout,
                               cwd=str(REPO), check=False)
    return AnsibleRun(completed)


def write_inventory(directory, text):
    path = Path(directory) / ("inventory-%s.yml" % uuid.uuid4().hex[:8])
    path.write_text(text)
    return path


def unique_name(prefix="mbtest"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


class PgContainer:
    """A PostgreSQL server in a Docker container of the test image."""

    def __init__(self, client, image, name=None, environment=None, ports=None):
        self.client = client
        self.name = name or unique_name()
        env = {"POSTGRES_USER": "mirrorbuddy", "POSTGRES_DB": "mirrorbuddy"}
        env.update(environment or {})
        self.container = client.containers.run(
            image, name=self.name, detach=True, environment=env, labels={TEST_LABEL: TEST_RUN_ID},
            ports=ports or {})
        self.wait_ready()

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code, dummy = self.container.exec_run(["pg_isready", "-q", "-h", "/run/postgresql"])
            if code == 0:
                code, dummy = self.container.exec_run(
                    ["psql", "-X", "-q", "-U", "mirrorbuddy", "-d", "mirrorbuddy", "-c", "SELECT 1"])
                if code == 0:
                    return
            time.sleep(0.3)
        raise AssertionError("PostgreSQL in %s was not ready within %ss:\n%s" % (
            self.name, timeout, self.container.logs().decode(errors="replace")[-3000:]))

    def psql(self, sql, database="mirrorbuddy", user="mirrorbuddy", check=True):
        """Run SQL through psql in the container (standard input, ON_ERROR_STOP) and return stdout."""
        completed = subprocess.run(
            ["docker", "exec", "-i", self.name, "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-U", user, "-d", database],
            input=sql.encode(), capture_output=True, check=False)
        if check and completed.returncode != 0:
            raise AssertionError("psql in %s failed: %s" % (self.name, completed.stderr.decode(errors="replace")))
        return completed.stdout.decode()

    def load_sample_data(self, users=200, body_words=30, database="mirrorbuddy"):
        completed = subprocess.run(
            ["docker", "exec", "-i", self.name, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v",
             "users=%d" % users, "-v", "body_words=%d" % body_words, "-U", "mirrorbuddy", "-d", database],
            input=SAMPLE_DATA.read_bytes(), capture_output=True, check=False)
        assert completed.returncode == 0, completed.stderr.decode(errors="replace")

    def connection_args(self, **extra):
        args = {"target": "container", "container": self.name}
        args.update(extra)
        return args

    def remove(self):
        try:
            self.container.remove(force=True, v=True)
        except Exception:  # already gone
            pass


class HostPostgres:
    """A throwaway PostgreSQL cluster on this machine, made by scripts/local-postgres."""

    def __init__(self, directory, port, password):
        self.directory = str(directory)
        self.port = port
        self.password = password
        env = dict(os.environ, MIRRORBUDDY_DB_PASSWORD=password)
        subprocess.run([str(REPO / "scripts" / "local-postgres"), "start", self.directory, str(port)],
                       check=True, env=env)

    def psql(self, sql, database="mirrorbuddy", user="postgres", check=True):
        completed = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.directory, "-p", str(self.port),
             "-U", user, "-d", database],
            input=sql.encode(), capture_output=True, check=False)
        if check and completed.returncode != 0:
            raise AssertionError("psql failed: %s" % completed.stderr.decode(errors="replace"))
        return completed.stdout.decode()

    def load_sample_data(self, users=200, body_words=30, database="mirrorbuddy"):
        completed = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "users=%d" % users, "-v",
             "body_words=%d" % body_words, "-h", self.directory, "-p", str(self.port), "-U", "mirrorbuddy",
             "-d", database, "-f", str(SAMPLE_DATA)],
            capture_output=True, check=False)
        assert completed.returncode == 0, completed.stderr.decode(errors="replace")

    def connection_args(self, tcp=False, **extra):
        """Module options for this cluster: over the Unix socket (trusted) or TCP (password)."""
        args = {"target": "host", "login_host": "127.0.0.1" if tcp else self.directory, "port": self.port}
        if tcp:
            args["login_password"] = self.password
        args.update(extra)
        return args

    def stop(self):
        subprocess.run([str(REPO / "scripts" / "local-postgres"), "stop", self.directory], check=False)


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_temp_dir(prefix):
    return tempfile.mkdtemp(prefix=prefix, dir="/var/tmp")
