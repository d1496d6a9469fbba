"""Fixtures that start real servers: PostgreSQL in Docker containers and on the host."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from helpers import REPO, TEST_LABEL, TEST_RUN_ID, HostPostgres, PgContainer, free_port, make_temp_dir


@pytest.fixture(scope="session")
def docker_client():
    import docker

    client = docker.from_env()
    client.ping()
    yield client
    # Remove every container this run started, also those a failed fixture left behind.
    for container in client.containers.list(all=True, filters={"label": "%s=%s" % (TEST_LABEL, TEST_RUN_ID)}):
        container.remove(force=True, v=True)
    client.close()


@pytest.fixture(scope="session")
def test_image():
    """The locally built base image (PostgreSQL 15, python3, curl); built once, reused while unchanged."""
    image = os.environ.get("MIRRORBUDDY_TEST_IMAGE")
    if not image:
        image = subprocess.run([str(REPO / "tests" / "images" / "build.sh")], check=True, capture_output=True,
                               text=True).stdout.strip().splitlines()[-1]
    return image


@pytest.fixture
def pg_container_factory(docker_client, test_image):
    """Start PostgreSQL containers for one test; each is removed when the test ends."""
    started = []

    def start(**kwargs):
        container = PgContainer(docker_client, test_image, **kwargs)
        started.append(container)
        return container

    yield start
    for container in started:
        container.remove()


@pytest.fixture
def pg_container(pg_container_factory):
    """A fresh PostgreSQL container with the sample data, named like the runbook's, for one test."""
    container = pg_container_factory()
    container.load_sample_data()
    return container


@pytest.fixture(scope="session")
def shared_pg_container(docker_client, test_image):
    """A PostgreSQL container with the sample data shared by tests that only read from it."""
    container = PgContainer(docker_client, test_image)
    container.load_sample_data()
    yield container
    container.remove()


@pytest.fixture(scope="session")
def host_postgres():
    """A throwaway PostgreSQL cluster on this machine with the sample data in database mirrorbuddy."""
    directory = make_temp_dir("mbtest-pg-")
    server = HostPostgres(directory, free_port(), password="host-test-password")
    server.load_sample_data()
    yield server
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def backup_dir(tmp_path):
    directory = tmp_path / "backups"
    return str(directory)
