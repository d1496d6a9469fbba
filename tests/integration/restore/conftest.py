"""Fixtures of the restore tests: one database server per target kind, and a verified backup of each."""

from __future__ import annotations

import pytest

from helpers import PgContainer
from restore_helpers import Server


@pytest.fixture(scope="session")
def restore_container(docker_client, test_image):
    container = PgContainer(docker_client, test_image)
    container.load_sample_data(users=200, body_words=20)
    server = Server("container", container, container.connection_args())
    server.backup = server.take_backup()
    yield server
    server.close()
    container.remove()


@pytest.fixture(scope="session")
def restore_host(host_postgres):
    server = Server("host", host_postgres, host_postgres.connection_args(
        login_user="postgres", pg_bin_dir="/usr/lib/postgresql/15/bin"))
    server.backup = server.take_backup()
    yield server
    server.close()


@pytest.fixture(params=["container", "host"])
def server(request):
    """Each restore test runs once against a container and once against a cluster on the host."""
    return request.getfixturevalue("restore_%s" % request.param)
