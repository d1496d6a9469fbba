"""The collection builds into a tarball, installs from it, and documents every module."""

from __future__ import annotations

import os
import subprocess

import pytest

from helpers import REPO

MODULES = sorted(path.stem for path in (REPO / "plugins" / "modules").glob("*.py") if path.stem != "__init__")
PLAYBOOKS = sorted(path.stem for path in (REPO / "playbooks").glob("*.yml"))


@pytest.fixture(scope="module")
def installed_collection(tmp_path_factory):
    build = tmp_path_factory.mktemp("build")
    target = tmp_path_factory.mktemp("collections")
    subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(build), str(REPO)],
                   check=True, capture_output=True)
    tarballs = list(build.glob("mirrorbuddy-ops-*.tar.gz"))
    assert len(tarballs) == 1
    subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "--force", "-p", str(target), str(tarballs[0])],
                   check=True, capture_output=True)
    return target


def installed_env(path):
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(path), ANSIBLE_NOCOLOR="1")


def test_tarball_leaves_out_development_files(installed_collection):
    root = installed_collection / "ansible_collections" / "mirrorbuddy" / "ops"
    assert (root / "plugins" / "modules" / "pg_backup.py").exists()
    assert (root / "roles" / "backup" / "meta" / "argument_specs.yml").exists()
    assert not (root / ".venv").exists()
    assert not (root / ".tmp").exists()


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_module(installed_collection, module):
    completed = subprocess.run(["ansible-doc", "mirrorbuddy.ops." + module], capture_output=True, text=True,
                               env=installed_env(installed_collection), check=False)
    assert completed.returncode == 0, completed.stderr
    assert "OPTIONS" in completed.stdout
    assert "[WARNING]" not in completed.stderr


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_runs_by_fully_qualified_name(installed_collection, playbook, tmp_path):
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("[db_servers]\n[app_servers]\n[load_balancers]\n")
    completed = subprocess.run(["ansible-playbook", "mirrorbuddy.ops." + playbook, "-i", str(inventory),
                                "--syntax-check"], capture_output=True, text=True,
                               env=installed_env(installed_collection), check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
