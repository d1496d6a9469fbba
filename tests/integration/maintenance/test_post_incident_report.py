"""The post-incident report rendered from the timeline of a real maintenance run plus incident events."""

from __future__ import annotations

import json
import re

from helpers import run_playbook, write_inventory

INCIDENT_EVENTS = [
    {"time": "2026-03-02T09:14:05Z", "procedure": "health_check", "host": "app1", "step": "app_health",
     "phase": "detection", "outcome": "failed", "detail": "/api/health timed out"},
    {"time": "2026-03-02T09:20:00Z", "procedure": "data_recovery", "host": "db1", "step": "stop_writes",
     "phase": "response", "outcome": "ok", "detail": "app containers stopped"},
    {"time": "2026-03-02T09:41:30Z", "procedure": "data_recovery", "host": "db1", "step": "restore",
     "phase": "mitigation", "outcome": "ok", "detail": "backup-20260302-0300.sql.gz | restored"},
    {"time": "2026-03-02T10:35:05Z", "procedure": "data_recovery", "host": "db1", "step": "verify_integrity",
     "phase": "resolution", "outcome": "ok", "detail": "row counts match the manifest"},
]


def sections(markdown):
    """Split the report into {heading: body} by its '## ' headings; the title block is under ''."""
    parts = re.split(r"^## (.+)$", markdown, flags=re.MULTILINE)
    found = {"": parts[0]}
    for heading, body in zip(parts[1::2], parts[2::2]):
        found[heading.strip()] = body.strip()
    return found


def test_report_from_maintenance_run_timeline(container_database, tmp_path):
    container_database.psql("CREATE TABLE t1 (id int); INSERT INTO t1 SELECT generate_series(1, 100); DELETE FROM t1;")
    timeline_file = tmp_path / "timeline.json"
    inventory = write_inventory(tmp_path, "db_servers:\n  hosts:\n    db1:\n      ansible_connection: local\n")
    maintenance = run_playbook("maintenance_vacuum_analyze.yml", inventory, extra_vars={
        "maintenance_container": container_database.server.name,
        "maintenance_database": container_database.name,
        "mirrorbuddy_timeline_file": str(timeline_file),
    })
    assert maintenance.returncode == 0, maintenance.output[-3000:]
    recorded = json.loads(timeline_file.read_text())
    assert [(event["step"], event["outcome"]) for event in recorded] == [("vacuum_analyze", "started"),
                                                                         ("vacuum_analyze", "ok")]

    output_dir = tmp_path / "post-mortems"
    report = run_playbook("post_incident_report.yml", "localhost,", extra_vars={
        "mirrorbuddy_timeline_file": str(timeline_file),
        "mirrorbuddy_timeline": INCIDENT_EVENTS,
        "post_incident_title": "Database restore after corruption",
        "post_incident_severity": "SEV2",
        "post_incident_summary": "Writes failed after a disk fault corrupted an index.",
        "post_incident_users_affected": "1200",
        "post_incident_features_impacted": ["chat", "uploads"],
        "post_incident_root_cause": "A failing disk corrupted the messages index.",
        "post_incident_resolution": "Restored the 03:00 backup and rebuilt the indexes.",
        "post_incident_prevention": [
            {"action": "Alert on disk SMART errors", "owner": "ops", "due_date": "2026-03-16"}],
        "post_incident_went_well": ["backup was verified"],
        "post_incident_to_improve": ["detection took six minutes"],
        "post_incident_output_dir": str(output_dir),
    }, env={"ANSIBLE_SHOW_CUSTOM_STATS": "1"})

    assert report.returncode == 0, report.output[-3000:]
    artifact = report.global_custom_stats["mirrorbuddy_post_incident"]
    path = output_dir / "post-mortem-2026-03-02-database-restore-after-corruption.md"
    assert artifact["path"] == str(path)
    markdown = path.read_text()
    assert artifact["markdown"] == markdown
    found = sections(markdown)

    # 09:14:05 to 10:35:05 is 81 minutes; 81 of the 43.2 minutes 99.9% allows in 30 days is 187.5%.
    assert found[""].strip() == ("# Post-Mortem: Database restore after corruption\n\n"
                                 "**Date**: 2026-03-02 | **Severity**: SEV2 | **Duration**: 1h 21m")
    assert artifact["duration_minutes"] == 81.0
    assert artifact["slo_budget_consumed_percent"] == 187.5
    assert found["Summary"] == "Writes failed after a disk fault corrupted an index."
    assert found["Impact"].splitlines() == [
        "- Users affected: 1200",
        "- Features impacted: chat, uploads",
        "- SLO impact: 187.5% of monthly budget consumed (81.0 of 43.2 minutes allowed by a 99.9% target over "
        "30 days)"]

    rows = found["Timeline (UTC)"].splitlines()
    assert rows[:2] == ["| Time | Event |", "|------|-------|"]
    assert rows[2] == "| 09:14 | Detection: health_check app_health on app1: failed (/api/health timed out) |"
    assert rows[3] == "| 09:20 | Response began: data_recovery stop_writes on db1: ok (app containers stopped) |"
    assert rows[4] == ("| 09:41 | Mitigation applied: data_recovery restore on db1: ok "
                       "(backup-20260302-0300.sql.gz \\| restored) |")
    assert rows[5] == ("| 10:35 | Resolution confirmed: data_recovery verify_integrity on db1: ok "
                       "(row counts match the manifest) |")
    # The maintenance run happened on another day, so its rows carry the date, taken from the recorded events.
    run_rows = rows[6:]
    assert len(run_rows) == 2
    for row, event in zip(run_rows, recorded):
        day, clock = event["time"][:10], event["time"][11:16]
        assert row.startswith("| %s %s | maintenance vacuum_analyze on db1: %s" % (day, clock, event["outcome"]))

    assert found["Root Cause"] == "A failing disk corrupted the messages index."
    assert found["Resolution"] == "Restored the 03:00 backup and rebuilt the indexes."
    assert found["Prevention"].splitlines() == [
        "| Action | Owner | Due Date | Status |",
        "|--------|-------|----------|--------|",
        "| Alert on disk SMART errors | ops | 2026-03-16 | Open |"]
    assert found["Lessons Learned"].splitlines() == [
        "- What went well: backup was verified",
        "- What to improve: detection took six minutes"]


def test_report_without_timeline_or_times_fails_clearly(tmp_path):
    run = run_playbook("post_incident_report.yml", "localhost,", extra_vars={
        "post_incident_title": "Empty", "post_incident_output_dir": str(tmp_path)})

    assert run.returncode != 0
    assert "give started_at and resolved_at" in run.output
