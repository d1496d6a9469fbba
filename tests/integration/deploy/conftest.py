"""Fixtures of the deploy tests: the sample app images and a fleet behind HAProxy."""

from __future__ import annotations

import pytest

from deploy_helpers import Fleet, build_app_images


@pytest.fixture(scope="session")
def app_images(test_image):
    """The sample app images by tag: 1.0.0, 1.1.0 and 2.0.0-unhealthy."""
    return build_app_images()


@pytest.fixture(scope="module")
def fleet(docker_client, app_images):
    """Three app hosts on 1.0.0 behind HAProxy, shared by the tests of one module in file order."""
    fleet = Fleet(docker_client, app_images)
    yield fleet
    fleet.remove()


@pytest.fixture
def fresh_fleet(docker_client, app_images):
    fleet = Fleet(docker_client, app_images)
    yield fleet
    fleet.remove()
