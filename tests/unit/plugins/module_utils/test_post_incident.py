"""Pure logic of the post-incident report: incident window, duration, SLO budget and timeline rows."""

from __future__ import annotations

import pytest

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.post_incident import (
    error_budget_minutes,
    format_duration,
    markdown_cell,
    summarise_incident,
)


def event(time, phase, outcome="ok", step="step"):
    return {"time": time, "procedure": "data_recovery", "host": "db1", "step": step, "phase": phase,
            "outcome": outcome, "detail": ""}


def test_error_budget_of_three_nines_in_thirty_days():
    assert error_budget_minutes(99.9, 30) == pytest.approx(43.2)


def test_error_budget_rejects_target_of_100():
    with pytest.raises(InvalidArgument, match="slo_target is 100"):
        error_budget_minutes(100, 30)


def test_duration_text_rounds_to_minutes():
    assert format_duration(81 * 60 + 29) == "1h 21m"
    assert format_duration(43.2 * 60) == "0h 43m"


def test_window_runs_from_detection_to_confirmed_resolution():
    summary = summarise_incident([
        event("2026-01-01T10:00:00Z", None, step="earlier_noise"),
        event("2026-01-01T10:10:00Z", "detection"),
        event("2026-01-01T10:30:00Z", "resolution", outcome="failed"),
        event("2026-01-01T10:53:12Z", "resolution"),
    ])

    assert summary["started_at"] == "2026-01-01T10:10:00Z"
    assert summary["resolved_at"] == "2026-01-01T10:53:12Z"
    assert summary["duration_minutes"] == 43.2
    assert summary["slo_budget_consumed_percent"] == 100.0


def test_explicit_times_and_downtime_override_timeline():
    summary = summarise_incident([], started_at="2026-01-01T00:00:00Z", resolved_at="2026-01-01T02:00:00Z",
                                 slo_target=99.0, period_days=30, downtime_minutes="30")

    assert summary["duration"] == "2h 0m"
    assert summary["error_budget_minutes"] == pytest.approx(432.0)
    assert summary["slo_budget_consumed_percent"] == pytest.approx(6.9)


def test_missing_milestones_get_rows():
    summary = summarise_incident([event("2026-01-01T10:10:00Z", "detection"), event("2026-01-01T10:20:00Z", "resolution")])

    missing = [row["event"] for row in summary["timeline"] if row["time"] == "n/a"]
    assert missing == ["Response began: not recorded in the timeline",
                       "Mitigation applied: not recorded in the timeline"]


def test_end_before_start_is_rejected():
    with pytest.raises(InvalidArgument, match="ends"):
        summarise_incident([], started_at="2026-01-01T02:00:00Z", resolved_at="2026-01-01T01:00:00Z")


def test_event_with_bad_phase_is_rejected():
    with pytest.raises(InvalidArgument, match="phase 'cleanup'"):
        summarise_incident([event("2026-01-01T10:10:00Z", "cleanup")])


def test_markdown_cell_escapes_pipes_and_newlines():
    assert markdown_cell("a | b\nc") == "a \\| b c"
