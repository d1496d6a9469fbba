"""What a CI pipeline gets from a run: the exit status and a JUnit report from ansible-core's junit callback."""

from __future__ import annotations

from xml.etree import ElementTree

from helpers import run_playbook, write_inventory


def junit_env(directory):
    return {"ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.junit", "JUNIT_OUTPUT_DIR": str(directory),
            "JUNIT_TASK_CLASS": "yes", "JUNIT_HIDE_TASK_ARGUMENTS": "yes"}


def failed_cases(root):
    # The junit callback reports a failed task as an error unless its name starts with "TEST CASE".
    return [case for case in root.iter("testcase") if case.find("failure") is not None or case.find("error") is not None]


def read_report(directory):
    reports = list(directory.glob("*.xml"))
    assert len(reports) == 1, reports
    return ElementTree.parse(reports[0]).getroot()


def test_failed_backup_gives_nonzero_exit_and_junit_failure(tmp_path, shared_pg_container):
    inventory = write_inventory(tmp_path, """
db_servers:
  hosts:
    db-ci:
      ansible_connection: local
      backup_container: %s
      backup_directory: %s/backups
      backup_database: no_such_database
""" % (shared_pg_container.name, tmp_path))
    reports = tmp_path / "junit"
    run = run_playbook("backup.yml", inventory, env=junit_env(reports))

    assert run.returncode == 2
    root = read_report(reports)
    failures = failed_cases(root)
    assert len(failures) == 1
    assert failures[0].get("name").endswith("Dump the database into a gzipped file")
    assert failures[0].get("name").startswith("[db-ci]")
    assert "no_such_database" in ElementTree.tostring(failures[0], encoding="unicode")


def test_successful_backup_gives_zero_exit_and_clean_junit(tmp_path, shared_pg_container):
    inventory = write_inventory(tmp_path, """
db_servers:
  hosts:
    db-ci:
      ansible_connection: local
      backup_container: %s
      backup_directory: %s/backups
""" % (shared_pg_container.name, tmp_path))
    reports = tmp_path / "junit"
    run = run_playbook("backup.yml", inventory, env=junit_env(reports))

    assert run.returncode == 0, run.output[-3000:]
    root = read_report(reports)
    assert failed_cases(root) == []
    assert len(list(root.iter("testcase"))) >= 4
