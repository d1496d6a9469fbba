"""playbooks/data_recovery.yml and playbooks/restore_test.yml against a multi-host inventory."""

from __future__ import annotations

import json
import os
import sys

import pytest

from helpers import run_module, run_playbook, write_inventory

HOOK_TASKS = """
- name: Record the load balancer state on every load balancer
  ansible.builtin.copy:
    dest: "{{ hook_dir }}/{{ item }}-{{ data_recovery_write_state }}"
    content: "{{ data_recovery_write_state }}"
    mode: "0600"
  delegate_to: "{{ item }}"
  loop: "{{ groups['load_balancers'] }}"
"""


def inventory(directory, db_vars):
    """Write an inventory with a database host, two app hosts and a load balancer, all on this machine."""
    text = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            "children": {
                "db_servers": {"hosts": {"db1": db_vars}},
                "app_servers": {"hosts": {"app1": {}, "app2": {}}},
                "load_balancers": {"hosts": {"lb1": {}}},
            },
        },
    }
    return write_inventory(directory, json.dumps(text))


def connection_vars(server, prefix):
    names = {"target": "target", "container": "container", "login_user": "login_user",
             "login_host": "login_host", "port": "port", "pg_bin_dir": "pg_bin_dir"}
    args = server.args()
    return {"%s_%s" % (prefix, names[key]): value for key, value in args.items() if key in names}


@pytest.fixture
def recovery_setup(restore_container, tmp_path):
    """A copy of mirrorbuddy as the application database, a backup of it, then a corruption of it."""
    server = restore_container
    name = server.scratch_database("recovery")
    server.psql("DROP DATABASE \"%s\"" % name, "postgres")
    restored = run_module("mirrorbuddy.ops.pg_backup_restore", server.args(database=name, path=server.backup))
    assert restored.get("failed") is not True, restored.get("msg")
    server.psql("COMMENT ON DATABASE \"%s\" IS NULL" % name, "postgres")

    backup_dir = tmp_path / "backups"
    backup = run_module("mirrorbuddy.ops.pg_backup", server.args(database=name, directory=str(backup_dir)))
    assert backup.get("failed") is not True, backup.get("msg")
    good = server.fingerprint(name)
    server.psql("UPDATE users SET email = 'corrupt-' || id WHERE id % 3 = 0; "
                "DELETE FROM sessions WHERE user_id < 20;", name)

    hook = tmp_path / "lb_hook.yml"
    hook.write_text(HOOK_TASKS)
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    db_vars = connection_vars(server, "data_recovery")
    db_vars.update(data_recovery_backup_dir=str(backup_dir), data_recovery_write_hook_tasks=str(hook),
                   hook_dir=str(hook_dir))
    setup = {"server": server, "database": name, "good": good, "backup": backup["path"], "hook_dir": hook_dir,
             "backup_dir": backup_dir, "inventory": inventory(tmp_path, db_vars),
             "timeline_file": str(tmp_path / "timeline.json")}
    yield setup
    server.drop(*[db for db in server.databases() if db.startswith(name)])


def test_corruption_path_end_to_end(recovery_setup):
    setup = recovery_setup
    server, name = setup["server"], setup["database"]
    corrupt = server.fingerprint(name)
    extra = {"recovery_type": "corruption", "recovery_database": name,
             "mirrorbuddy_timeline_file": setup["timeline_file"]}
    session = server.background_session(name)

    checked = run_playbook("data_recovery.yml", setup["inventory"], extra, check=True)
    assert checked.returncode == 0, checked.output[-3000:]
    assert server.fingerprint(name) == corrupt
    assert server.scalar("SHOW default_transaction_read_only", name) == "off"
    assert sorted(os.listdir(setup["backup_dir"])) == sorted(
        os.path.basename(setup["backup"]) + suffix for suffix in ("", ".manifest.json", ".sha256"))
    assert session.poll() is None

    run = run_playbook("data_recovery.yml", setup["inventory"], extra)
    assert run.returncode == 0, run.output[-3000:]

    assert server.fingerprint(name) == setup["good"]
    previous = [db for db in server.databases() if db.startswith(name + "_pre_restore_")]
    assert len(previous) == 1
    assert server.fingerprint(previous[0]) == corrupt
    assert server.scalar("SHOW default_transaction_read_only", name) == "off"
    assert session.wait(timeout=20) != 0
    assert [f for f in os.listdir(setup["backup_dir"]) if f.startswith("pre-recovery-") and f.endswith(".sql.gz")]
    assert sorted(os.listdir(setup["hook_dir"])) == ["lb1-resumed", "lb1-stopped"]

    summary = run.global_custom_stats["mirrorbuddy_data_recovery"]["db1"]
    assert summary["outcome"] == "ok"
    assert summary["restored_backup"] == setup["backup"]
    assert summary["previous_database"] == previous[0]
    assert any("RENAME TO" in entry for entry in summary["undo"])

    timeline = run.global_custom_stats["mirrorbuddy_timeline"]
    finished = [(event["step"], event["phase"]) for event in timeline if event["outcome"] == "ok"]
    assert finished == [("stop_writes", "response"), ("backup_current", "mitigation"), ("restore", "mitigation"),
                        ("verify_integrity", "mitigation"), ("resume_writes", "resolution")]
    assert all(event["host"] == "db1" and event["procedure"] == "data_recovery" for event in timeline)
    assert all(event["time"].endswith("Z") for event in timeline)
    with open(setup["timeline_file"]) as handle:
        recorded = json.load(handle)
    assert [event["step"] for event in recorded if event["outcome"] == "ok"][-5:] == [step for step, phase in finished]
    assert "app1" not in run.stats or run.stats["app1"]["changed"] == 0

    again = run_playbook("data_recovery.yml", setup["inventory"], extra)
    assert again.returncode == 0, again.output[-3000:]
    assert again.task_result("Restore the backup in place of the database", "db1")["changed"] is False
    assert len([db for db in server.databases() if db.startswith(name + "_pre_restore_")]) == 1


def test_accidental_delete_undeletes_window(recovery_setup):
    setup = recovery_setup
    server, name = setup["server"], setup["database"]
    server.psql("UPDATE users SET deleted_at = '2026-12-04 10:05:00+00' WHERE id IN (3, 4);"
                "UPDATE content SET deleted_at = '2026-12-04 10:05:00+00' WHERE author_id IN (3, 4) "
                "AND deleted_at IS NULL;", name)
    earlier = server.scalar("SELECT count(*) FROM content WHERE deleted_at < '2026-12-04'", name)
    extra = {"recovery_type": "accidental_delete", "recovery_database": name,
             "data_recovery_soft_delete_tables": [{"table": "users"}, {"table": "content"}],
             "data_recovery_deleted_from": "2026-12-04T10:00:00Z",
             "data_recovery_deleted_until": "2026-12-04T10:15:00Z"}

    run = run_playbook("data_recovery.yml", setup["inventory"], extra)
    assert run.returncode == 0, run.output[-3000:]
    assert server.scalar("SELECT count(*) FROM users WHERE id IN (3, 4) AND deleted_at IS NULL", name) == "2"
    assert server.scalar("SELECT count(*) FROM content WHERE deleted_at < '2026-12-04'", name) == earlier
    assert not [db for db in server.databases() if db.startswith(name + "_pre_restore_")]
    summary = run.global_custom_stats["mirrorbuddy_data_recovery"]["db1"]
    assert summary["path_taken"] == "accidental_delete"
    steps = [event["step"] for event in run.global_custom_stats["mirrorbuddy_timeline"] if event["outcome"] == "ok"]
    assert steps == ["check_soft_delete", "undelete"]


def test_accidental_delete_unrecoverable_without_fallback_fails(recovery_setup):
    setup = recovery_setup
    extra = {"recovery_type": "accidental_delete", "recovery_database": setup["database"],
             "data_recovery_soft_delete_tables": [{"table": "users"}],
             "data_recovery_deleted_from": "2030-01-01T00:00:00Z", "data_recovery_fallback_to_restore": False}
    run = run_playbook("data_recovery.yml", setup["inventory"], extra)
    assert run.returncode != 0
    assert "no selected row can be undeleted" in run.output
    summary = run.global_custom_stats["mirrorbuddy_data_recovery"]["db1"]
    assert summary["outcome"] == "failed"


def test_corruption_path_stops_at_invalid_backup(recovery_setup):
    setup = recovery_setup
    server, name = setup["server"], setup["database"]
    corrupt = server.fingerprint(name)
    with open(setup["backup"], "r+b") as handle:
        handle.truncate(os.path.getsize(setup["backup"]) // 2)
    extra = {"recovery_type": "corruption", "recovery_database": name}

    run = run_playbook("data_recovery.yml", setup["inventory"], extra)
    assert run.returncode != 0
    assert server.fingerprint(name) == corrupt
    timeline = run.global_custom_stats["mirrorbuddy_timeline"]
    assert [e["step"] for e in timeline if e["outcome"] == "failed"] == ["restore"]
    assert "no valid backup" in run.global_custom_stats["mirrorbuddy_data_recovery"]["db1"]["failure"]


def test_restore_test_playbook_passes_and_drops_scratch(server, tmp_path):
    backup_dir = tmp_path / "backups"
    backup_dir.mkdir()
    os.link(server.backup, backup_dir / os.path.basename(server.backup))
    os.link(server.backup + ".manifest.json", str(backup_dir / os.path.basename(server.backup)) + ".manifest.json")
    scratch = "restore_test_%s" % os.getpid()
    db_vars = connection_vars(server, "restore_test")
    db_vars.update(restore_test_backup_dir=str(backup_dir), restore_test_database=scratch)

    run = run_playbook("restore_test.yml", inventory(tmp_path, db_vars))
    assert run.returncode == 0, run.output[-3000:]
    outcome = run.global_custom_stats["mirrorbuddy_restore_test"]["db1"]
    assert outcome["passed"] is True
    assert outcome["tables"]["public.users"] == 200
    assert scratch not in server.databases()


def test_restore_test_playbook_reports_failure(server, tmp_path):
    backup_dir = tmp_path / "backups"
    backup_dir.mkdir()
    copy = backup_dir / os.path.basename(server.backup)
    with open(server.backup, "rb") as source:
        copy.write_bytes(source.read())
    manifest = json.loads(open(server.backup + ".manifest.json").read())
    manifest["tables"]["public.users"] += 1
    manifest["row_count"] += 1
    (backup_dir / (copy.name + ".manifest.json")).write_text(json.dumps(manifest))
    scratch = "restore_test_%s" % os.getpid()
    db_vars = connection_vars(server, "restore_test")
    db_vars.update(restore_test_backup_dir=str(backup_dir), restore_test_database=scratch)

    run = run_playbook("restore_test.yml", inventory(tmp_path, db_vars))
    assert run.returncode != 0
    outcome = run.global_custom_stats["mirrorbuddy_restore_test"]["db1"]
    assert outcome["passed"] is False
    assert "public.users" in outcome["failure"]
    assert scratch not in server.databases()


def test_unrecoverable_delete_takes_restore_path(recovery_setup):
    # Check mode keeps this fast: the branch taken and the planned steps show in the timeline.
    setup = recovery_setup
    server, name = setup["server"], setup["database"]
    before = server.fingerprint(name)
    extra = {"recovery_type": "accidental_delete", "recovery_database": name,
             "data_recovery_soft_delete_tables": [{"table": "users"}],
             "data_recovery_deleted_from": "2030-01-01T00:00:00Z"}

    run = run_playbook("data_recovery.yml", setup["inventory"], extra, check=True)
    assert run.returncode == 0, run.output[-3000:]
    summary = run.global_custom_stats["mirrorbuddy_data_recovery"]["db1"]
    assert summary["path_taken"] == "corruption"
    steps = [event["step"] for event in run.global_custom_stats["mirrorbuddy_timeline"] if event["outcome"] == "ok"]
    assert steps == ["check_soft_delete", "stop_writes", "backup_current", "restore", "verify_integrity",
                     "resume_writes"]
    assert server.fingerprint(name) == before
    assert not [db for db in server.databases() if db.startswith(name + "_pre_restore_")]
