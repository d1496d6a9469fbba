"""The cron entries the schedules role installed on the molecule instance."""

import pytest

CRON_FILE = "/etc/cron.d/mirrorbuddy-ops"


def entries(host):
    text = host.file(CRON_FILE).content_string
    return [line for line in text.splitlines() if line and not line.startswith(("#", "SHELL=", "PATH="))]


def test_cron_file_is_root_owned_and_not_writable_by_others(host):
    cron_file = host.file(CRON_FILE)

    assert cron_file.exists
    assert cron_file.user == "root"
    assert cron_file.mode == 0o644


@pytest.mark.parametrize("schedule, playbook", [
    ("0 3 * * 0", "mirrorbuddy.ops.maintenance_vacuum_analyze"),
    ("30 3 1 * *", "mirrorbuddy.ops.maintenance_index_rebuild"),
    ("0 4 1 1,4,7,10 *", "mirrorbuddy.ops.maintenance_extension_upgrade"),
    ("0 5 * * 0", "mirrorbuddy.ops.restore_test"),
    ("0 6 1 * *", "mirrorbuddy.ops.security_scan"),
])
def test_window_job_has_its_schedule(host, schedule, playbook):
    matching = [line for line in entries(host) if " %s" % playbook in line]

    assert len(matching) == 1
    assert matching[0].startswith(schedule + " root flock -n ")


@pytest.mark.parametrize("check", ["app", "db"])
def test_health_check_runs_every_30_seconds(host, check):
    matching = [line for line in entries(host) if "mirrorbuddy_health_check=%s" % check in line]

    commands = [line.split(" root ", 1)[1] for line in matching]
    assert len(commands) == 2
    assert commands[0].startswith("flock -n ")
    assert commands[1].startswith("sleep 30 && flock -n ")


def test_log_directory_exists(host):
    assert host.file("/var/log/mirrorbuddy").is_directory
