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


def test_execution_environment_definition_builds_a_context(tmp_path):
    context = tmp_path / "context"
    completed = subprocess.run(["ansible-builder", "create", "-f", str(REPO / "meta" / "execution-environment.yml"),
                                "--context", str(context)], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    requirements = (context / "_build" / "requirements.txt").read_text()
    for package in ("psycopg2-binary", "docker", "jmespath", "isal"):
        assert package in requirements
    assert "postgresql-client" in (context / "_build" / "bindep.txt").read_text()
    assert "ARG EE_BASE_IMAGE" in (context / "Dockerfile").read_text()


def test_example_inventory_has_the_playbook_groups(installed_collection):
    inventory = installed_collection / "ansible_collections" / "mirrorbuddy" / "ops" / "examples" / "inventory.yml"
    completed = subprocess.run(["ansible-inventory", "-i", str(inventory), "--graph"], capture_output=True, text=True,
                               check=False, env=installed_env(installed_collection))
    assert completed.returncode == 0, completed.stderr
    for group in ("@db_servers", "@app_servers", "@load_balancers"):
        assert group in completed.stdout


def test_reference_docs_are_current(installed_collection, tmp_path):
    completed = subprocess.run(["python", str(REPO / "scripts" / "gen_reference.py"), str(tmp_path)],
                               capture_output=True, text=True, check=False, env=installed_env(installed_collection))
    assert completed.returncode == 0, completed.stderr
    for page in ("modules.md", "roles.md"):
        current = (REPO / "docs" / "reference" / page).read_text()
        assert (tmp_path / page).read_text() == current, (
            "docs/reference/%s is out of date; run python scripts/gen_reference.py" % page)
