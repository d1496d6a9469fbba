"""The schedules role on a real host: a container of the test image, reached with the docker connection."""

from __future__ import annotations

import pytest

from helpers import TEST_LABEL, TEST_RUN_ID, run_playbook as run_collection_playbook, unique_name, write_inventory

CRON_FILE = "/etc/cron.d/mirrorbuddy-ops"


def run_playbook(playbook, inventory, **kwargs):
    # Pipelining saves a file transfer per task over the docker connection.
    return run_collection_playbook(playbook, inventory, env={"ANSIBLE_PIPELINING": "1"}, **kwargs)


@pytest.fixture(scope="module")
def scheduler_host(docker_client, test_image):
    container = docker_client.containers.run(test_image, ["sleep", "900"], name=unique_name("mbtest-sched"),
                                             detach=True, labels={TEST_LABEL: TEST_RUN_ID})
    yield container
    container.remove(force=True)


@pytest.fixture
def inventory(scheduler_host, tmp_path):
    return write_inventory(tmp_path, (
        "schedulers:\n  hosts:\n    %s:\n      ansible_connection: community.docker.docker\n"
        "      ansible_python_interpreter: /usr/bin/python3\n") % scheduler_host.name)


def read(host, path):
    code, output = host.exec_run(["cat", path])
    return output.decode() if code == 0 else None


def unit_files(host):
    return host.exec_run(["sh", "-c", "ls /etc/systemd/system | grep '^mirrorbuddy-' || true"]).output.decode().split()


def changed(run):
    return sum(host["changed"] for host in run.stats.values())


def test_schedules_install_idempotently_and_remove(scheduler_host, inventory):
    checked = run_playbook("schedules.yml", inventory, extra_vars={"schedules_backend": "cron"}, check=True)
    assert checked.returncode == 0, checked.output[-3000:]
    assert read(scheduler_host, CRON_FILE) is None

    first = run_playbook("schedules.yml", inventory, extra_vars={"schedules_backend": "cron"})
    second = run_playbook("schedules.yml", inventory, extra_vars={"schedules_backend": "cron"})
    installed = read(scheduler_host, CRON_FILE)
    removed = run_playbook("schedules.yml", inventory, extra_vars={"schedules_state": "absent"})
    removed_again = run_playbook("schedules.yml", inventory, extra_vars={"schedules_state": "absent"})

    assert first.returncode == 0, first.output[-3000:]
    assert changed(first) > 0
    assert changed(second) == 0
    lines = [line for line in installed.splitlines() if line and not line.startswith(("#", "SHELL=", "PATH="))]
    assert len(lines) == 9
    assert ("0 3 * * 0 root flock -n /run/lock/mirrorbuddy-vacuum-analyze.lock ansible-playbook -i "
            "/etc/mirrorbuddy/inventory.yml mirrorbuddy.ops.maintenance_vacuum_analyze "
            ">> /var/log/mirrorbuddy/vacuum-analyze.log 2>&1") in lines
    assert any(line.startswith("30 3 1 * * root ") and "maintenance_index_rebuild" in line for line in lines)
    assert any(line.startswith("0 4 1 1,4,7,10 * root ") and "maintenance_extension_upgrade" in line for line in lines)
    assert any(line.startswith("0 5 * * 0 root ") and "mirrorbuddy.ops.restore_test" in line for line in lines)
    assert any(line.startswith("0 6 1 * * root ") and "mirrorbuddy.ops.security_scan" in line for line in lines)
    for check in ("app", "db"):
        every_minute = [line for line in lines if "mirrorbuddy_health_check=%s" % check in line]
        assert len(every_minute) == 2
        assert every_minute[0].startswith("* * * * * root flock ")
        assert every_minute[1].startswith("* * * * * root sleep 30 && flock ")
    assert scheduler_host.exec_run(["test", "-d", "/var/log/mirrorbuddy"]).exit_code == 0
    published = first.global_custom_stats["mirrorbuddy_schedules"][scheduler_host.name]
    assert published["state"] == "present"
    assert published["backend"] == "cron"
    assert "restore-test" in published["jobs"]
    assert removed.returncode == 0, removed.output[-3000:]
    assert read(scheduler_host, CRON_FILE) is None
    assert removed.global_custom_stats["mirrorbuddy_schedules"][scheduler_host.name]["jobs"] == []
    assert changed(removed_again) == 0


def test_schedules_switch_between_systemd_timers_and_cron(scheduler_host, inventory):
    timers = run_playbook("schedules.yml", inventory, extra_vars={
        "schedules_backend": "systemd", "schedules_disabled": ["extension-upgrade"]})
    timer = read(scheduler_host, "/etc/systemd/system/mirrorbuddy-app-health.timer")
    service = read(scheduler_host, "/etc/systemd/system/mirrorbuddy-vacuum-analyze.service")
    units = unit_files(scheduler_host)
    cron_with_timers = read(scheduler_host, CRON_FILE)
    back_to_cron = run_playbook("schedules.yml", inventory, extra_vars={"schedules_backend": "cron"})
    units_with_cron = unit_files(scheduler_host)
    cron_with_cron = read(scheduler_host, CRON_FILE)
    run_playbook("schedules.yml", inventory, extra_vars={"schedules_state": "absent"})

    assert timers.returncode == 0, timers.output[-3000:]
    assert cron_with_timers is None
    # systemd does not run in the container, so the units are written but not enabled.
    assert len(units) == 12
    assert "mirrorbuddy-extension-upgrade.timer" not in units
    assert "OnCalendar=*:*:00/30" in timer
    assert ("ExecStart=/usr/bin/flock -n /run/lock/mirrorbuddy-vacuum-analyze.lock ansible-playbook -i "
            "/etc/mirrorbuddy/inventory.yml mirrorbuddy.ops.maintenance_vacuum_analyze") in service
    assert back_to_cron.returncode == 0, back_to_cron.output[-3000:]
    assert units_with_cron == []
    assert cron_with_cron is not None


def test_invalid_schedule_job_is_rejected(scheduler_host, inventory):
    run = run_playbook("schedules.yml", inventory, extra_vars={
        "schedules_backend": "cron",
        "schedules_extra_jobs": [{"name": "odd", "playbook": "x.yml", "every_seconds": 7}]})

    assert run.returncode != 0
    assert "schedule job" in run.output
    assert "divisor of 60" in run.output
    assert read(scheduler_host, CRON_FILE) is None
