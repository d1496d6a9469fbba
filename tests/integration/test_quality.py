"""The collection's own checks: ansible-test sanity and units, ansible-lint, the changelog fragments."""

from __future__ import annotations

import os
import subprocess

from helpers import COLLECTIONS, REPO


def run(command, **kwargs):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1", NO_COLOR="1")
    return subprocess.run(command, cwd=str(REPO), env=env, capture_output=True, text=True, check=False, **kwargs)


def test_ansible_test_sanity_and_units_pass():
    completed = run([str(REPO / "scripts" / "sanity")], timeout=1800)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-6000:]
    assert " passed" in output


def test_ansible_lint_production_profile_passes():
    completed = run(["ansible-lint", "roles", "playbooks", "molecule"], timeout=900)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-6000:]
    assert "Profile 'production' was required, and it passed" in output


def test_changelog_fragments_are_valid():
    completed = run(["antsibull-changelog", "lint"], timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
