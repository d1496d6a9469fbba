# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figures of a post-incident report: incident window, duration, SLO budget consumed and timeline rows."""

from __future__ import annotations

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.timeline import PHASES, check_event, parse_time

# Labels of the runbook's post-mortem timeline, one per phase.
MILESTONE_LABELS = {
    "detection": "Detection",
    "response": "Response began",
    "mitigation": "Mitigation applied",
    "resolution": "Resolution confirmed",
}


def error_budget_minutes(slo_target, period_days):
    """Return the minutes of unavailability an SLO target allows per period (99.9% of 30 days: 43.2)."""
    if not 0 < slo_target < 100:
        raise InvalidArgument("slo_target is %s; give a percentage between 0 and 100, for example 99.9" % slo_target)
    if period_days <= 0:
        raise InvalidArgument("period_days is %s; give a positive number of days, for example 30" % period_days)
    return round((100.0 - slo_target) / 100.0 * period_days * 24 * 60, 6)


def format_duration(seconds):
    minutes = int(round(seconds / 60.0))
    return "%dh %dm" % (minutes // 60, minutes % 60)


def _incident_window(events, started_at, resolved_at):
    if started_at:
        start = parse_time(started_at, "started_at")
    else:
        detection = [event for event in events if event["phase"] == "detection"]
        if not (detection or events):
            raise InvalidArgument("no started_at and no timeline events; give started_at and resolved_at, "
                                  "or the timeline of the incident")
        start = min(parse_time(event["time"]) for event in (detection or events))

    resolution_event = None
    if resolved_at:
        end = parse_time(resolved_at, "resolved_at")
    else:
        resolutions = [event for event in events if event["phase"] == "resolution"]
        confirmed = [event for event in resolutions if event["outcome"] == "ok"] or resolutions
        if confirmed:
            resolution_event = max(confirmed, key=lambda event: event["time"])
            end = parse_time(resolution_event["time"])
        elif events:
            end = max(parse_time(event["time"]) for event in events)
        else:
            raise InvalidArgument("no resolved_at and no timeline events; give resolved_at or the timeline")
    if end < start:
        raise InvalidArgument("the incident ends (%s) before it starts (%s); check started_at, resolved_at and the "
                              "event times" % (end.strftime("%Y-%m-%dT%H:%M:%SZ"), start.strftime("%Y-%m-%dT%H:%M:%SZ")))
    return start, end, resolution_event


def _describe(event):
    where = " on %s" % event["host"] if event.get("host") else ""
    text = "%s %s%s: %s" % (event["procedure"], event["step"], where, event["outcome"])
    return text + (" (%s)" % event["detail"] if event["detail"] else "")


def timeline_rows(events, start, resolution_event):
    """Return the rows of the report's timeline: every event in time order, milestones labelled."""
    ordered = sorted(events, key=lambda event: event["time"])
    labelled = {}
    for phase in PHASES:
        in_phase = [event for event in ordered if event["phase"] == phase]
        if phase == "resolution" and resolution_event is not None:
            labelled[id(resolution_event)] = MILESTONE_LABELS[phase]
        elif in_phase:
            labelled[id(in_phase[0])] = MILESTONE_LABELS[phase]

    rows = []
    for event in ordered:
        moment = parse_time(event["time"])
        clock = moment.strftime("%H:%M") if moment.date() == start.date() else moment.strftime("%Y-%m-%d %H:%M")
        label = labelled.get(id(event))
        rows.append({"time": clock, "event": "%s: %s" % (label, _describe(event)) if label else _describe(event),
                     "phase": event["phase"], "milestone": label})
    for phase in PHASES:
        if MILESTONE_LABELS[phase] not in labelled.values():
            rows.append({"time": "n/a", "event": "%s: not recorded in the timeline" % MILESTONE_LABELS[phase],
                         "phase": phase, "milestone": MILESTONE_LABELS[phase]})
    return rows


def summarise_incident(timeline, started_at=None, resolved_at=None, slo_target=99.9, period_days=30,
                       downtime_minutes=None):
    """Return the incident window, duration, SLO budget consumed and the timeline rows.

    The SLO budget consumed is the downtime as a percentage of the period's error budget. The downtime is
    the whole incident duration unless downtime_minutes gives the part of it that counted against the SLO.
    """
    events = [check_event(event, position) for position, event in enumerate(timeline or [])]
    start, end, resolution_event = _incident_window(events, started_at, resolved_at)
    seconds = (end - start).total_seconds()
    budget = error_budget_minutes(float(slo_target), float(period_days))
    counted = seconds / 60.0 if downtime_minutes in (None, "") else float(downtime_minutes)
    return {
        "started_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resolved_at": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "date": start.strftime("%Y-%m-%d"),
        "duration_seconds": int(seconds),
        "duration_minutes": round(seconds / 60.0, 1),
        "duration": format_duration(seconds),
        "slo_target": float(slo_target),
        "slo_period_days": float(period_days),
        "error_budget_minutes": budget,
        "downtime_minutes": round(counted, 1),
        "slo_budget_consumed_percent": round(counted / budget * 100.0, 1),
        "timeline": timeline_rows(events, start, resolution_event),
        "event_count": len(events),
    }


def markdown_cell(value):
    """Return text that stays inside one Markdown table cell: no pipes or line breaks."""
    text = "" if value is None else str(value)
    return " ".join(text.replace("|", "\\|").split())
