"""Run every molecule scenario of the collection (check, converge, idempotence, testinfra verify)."""

from __future__ import annotations

import os
import subprocess

import pytest

from helpers import COLLECTIONS, REPO

SCENARIOS = sorted(path.parent.name for path in (REPO / "molecule").glob("*/molecule.yml"))


def test_collection_has_molecule_scenarios():
    assert "backup" in SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario, test_image):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), MIRRORBUDDY_TEST_IMAGE=test_image,
               ANSIBLE_NOCOLOR="1", PY_COLORS="0", ANSIBLE_FORCE_COLOR="0")
    completed = subprocess.run(["molecule", "test", "-s", scenario], cwd=str(REPO), env=env,
                               capture_output=True, text=True, timeout=900, check=False)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-6000:]
    assert "failed=0" in output
