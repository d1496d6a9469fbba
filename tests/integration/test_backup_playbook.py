"""playbooks/backup.yml over a multi-host inventory: a container database and a host database."""

from __future__ import annotations

import os

import pytest

from helpers import run_playbook, write_inventory


@pytest.fixture
def inventory(tmp_path, shared_pg_container, host_postgres):
    text = """
db_servers:
  hosts:
    db-container:
      ansible_connection: local
      backup_container: {container}
      backup_directory: {directory}/container
    db-host:
      ansible_connection: local
      backup_target: host
      backup_login_host: 127.0.0.1
      backup_port: {port}
      backup_login_password: {password}
      backup_directory: {directory}/host
      backup_expect_tables: [users, sessions, content]
""".format(container=shared_pg_container.name, directory=tmp_path, port=host_postgres.port,
           password=host_postgres.password)
    return write_inventory(tmp_path, text)


def backups_in(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".sql.gz")) if os.path.isdir(directory) else []


def test_backup_playbook_check_then_apply_then_rerun(inventory, tmp_path, host_postgres):
    checked = run_playbook("backup.yml", inventory, check=True)
    assert checked.returncode == 0, checked.output[-3000:]
    assert backups_in(tmp_path / "container") == []
    assert backups_in(tmp_path / "host") == []

    applied = run_playbook("backup.yml", inventory)
    assert applied.returncode == 0, applied.output[-3000:]
    assert applied.stats["db-container"]["changed"] == 1
    assert applied.stats["db-host"]["changed"] == 1
    published = applied.global_custom_stats["mirrorbuddy_backup"]
    assert set(published) == {"db-container", "db-host"}
    for host in ("db-container", "db-host"):
        assert published[host]["verified"] is True
        assert published[host]["created"] is True
        assert os.path.exists(published[host]["path"])
    assert published["db-host"]["tables"]["public.users"] == 200
    assert host_postgres.password not in applied.output

    rerun = run_playbook("backup.yml", inventory, extra_vars={"backup_skip_if_newer_than": "1h"})
    assert rerun.returncode == 0, rerun.output[-3000:]
    assert rerun.stats["db-container"]["changed"] == 0
    assert rerun.stats["db-host"]["changed"] == 0
    assert len(backups_in(tmp_path / "container")) == 1
    assert len(backups_in(tmp_path / "host")) == 1


def test_backup_playbook_fails_on_one_host_and_says_why(inventory, tmp_path):
    run = run_playbook("backup.yml", inventory, extra_vars={"backup_database": "no_such_database"})
    assert run.returncode != 0
    failed = run.task_result("Dump the database into a gzipped file", host="db-host")
    assert failed["failed"] is True
    assert "no_such_database" in failed["msg"]
    assert backups_in(tmp_path / "host") == []


def test_backup_role_rejects_bad_variable(inventory):
    run = run_playbook("backup.yml", inventory, extra_vars={"backup_target": "cloud"})
    assert run.returncode != 0
    assert "backup_target must be one of: container, host, got: cloud" in run.output
