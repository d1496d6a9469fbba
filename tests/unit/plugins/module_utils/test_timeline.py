"""Timeline events: format checks and appending to the JSON file."""

from __future__ import annotations

import json

import pytest

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.timeline import append_events, check_event

EVENT = {"time": "2026-01-05T03:00:00Z", "procedure": "maintenance", "host": "db1", "step": "vacuum_analyze",
         "phase": None, "outcome": "started", "detail": "weekly window"}


def test_append_creates_then_extends_file(tmp_path):
    path = str(tmp_path / "timeline.json")

    assert append_events(path, [EVENT]) == 1
    assert append_events(path, [dict(EVENT, outcome="ok")]) == 2
    stored = json.loads(open(path).read())
    assert [event["outcome"] for event in stored] == ["started", "ok"]


def test_event_time_must_be_utc_with_z():
    with pytest.raises(InvalidArgument, match="YYYY-MM-DDTHH:MM:SSZ"):
        check_event(dict(EVENT, time="2026-01-05 03:00:00"))


def test_event_outcome_must_be_known():
    with pytest.raises(InvalidArgument, match="outcome 'done'"):
        check_event(dict(EVENT, outcome="done"))


def test_file_that_is_not_a_list_is_rejected(tmp_path):
    path = tmp_path / "timeline.json"
    path.write_text('{"events": []}')

    with pytest.raises(InvalidArgument, match="does not contain a JSON list"):
        append_events(str(path), [EVENT])
