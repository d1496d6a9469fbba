"""Fixtures of the maintenance tests: one database per test, in a container or on the host cluster."""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest

from helpers import PgContainer


class Database:
    """A fresh database on one target kind, with psql for the test's own setup and checks."""

    def __init__(self, kind, server, name):
        self.kind = kind
        self.server = server
        self.name = name

    def args(self, **extra):
        args = self.server.connection_args(database=self.name)
        if self.kind == "host":
            args["login_user"] = "mirrorbuddy"
        args.update(extra)
        return args

    def psql(self, sql, check=True):
        return self.server.psql(sql, database=self.name, user="mirrorbuddy", check=check)

    def value(self, sql):
        return self.psql(sql).strip()

    def psql_argv(self, sql):
        """Return the argv of a psql session that runs sql, for a blocking session started with Popen."""
        if self.kind == "container":
            return ["docker", "exec", self.server.name, "psql", "-X", "-q", "-U", "mirrorbuddy", "-d", self.name,
                    "-c", sql]
        return ["psql", "-X", "-q", "-h", self.server.directory, "-p", str(self.server.port), "-U", "mirrorbuddy",
                "-d", self.name, "-c", sql]

    def wait_for_lock_holder(self, table, timeout=20):
        """Wait until another session holds a lock on table (the blocking session has started)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            held = self.value(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = '%s' AND l.granted AND l.pid <> pg_backend_pid()" % table)
            if held != "0":
                return
            time.sleep(0.1)
        raise AssertionError("no session took a lock on %s within %ss" % (table, timeout))


@pytest.fixture(scope="session")
def maintenance_container(docker_client, test_image):
    container = PgContainer(docker_client, test_image)
    yield container
    container.remove()


def _create_database(kind, server):
    name = "maint_%s" % uuid.uuid4().hex[:8]
    if kind == "container":
        server.psql("CREATE DATABASE %s OWNER mirrorbuddy" % name, database="postgres")
    else:
        server.psql("CREATE DATABASE %s OWNER mirrorbuddy" % name, database="postgres", user="postgres")
    return Database(kind, server, name)


@pytest.fixture(params=["container", "host"])
def database(request):
    """A fresh database on each target kind."""
    server = request.getfixturevalue("maintenance_container" if request.param == "container" else "host_postgres")
    return _create_database(request.param, server)


@pytest.fixture
def container_database(maintenance_container):
    """A fresh database in the container only, for tests whose behaviour does not depend on the target kind."""
    return _create_database("container", maintenance_container)


@pytest.fixture
def blocking_session():
    """Start psql sessions in the background (for example one that holds a lock); stop them after the test."""
    started = []

    def start(db, sql):
        process = subprocess.Popen(db.psql_argv(sql), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()
