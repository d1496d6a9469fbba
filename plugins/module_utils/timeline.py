# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Timeline events shared by recovery, deploy, rollback, maintenance and the post-incident report.

An event is a dict with time ("YYYY-MM-DDTHH:MM:SSZ", UTC), procedure, host, step, phase (detection,
response, mitigation, resolution or None), outcome (started, ok, failed, skipped) and detail. Playbooks
publish events with set_stats under mirrorbuddy_timeline and, when mirrorbuddy_timeline_file is set, append
them to that JSON list on the controller.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import tempfile

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument

PHASES = ("detection", "response", "mitigation", "resolution")
OUTCOMES = ("started", "ok", "failed", "skipped")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
FIELDS = ("time", "procedure", "host", "step", "phase", "outcome", "detail")


def parse_time(text, what="time"):
    try:
        return datetime.datetime.strptime(str(text), TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise InvalidArgument("%s %r is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ" % (what, text))


def check_event(event, position=0):
    """Return the event with every field present; raise InvalidArgument naming the first bad field."""
    if not isinstance(event, dict):
        raise InvalidArgument("timeline event %d is %r, not a dict with %s" % (position, event, ", ".join(FIELDS)))
    for field in ("time", "procedure", "step", "outcome"):
        if not event.get(field):
            raise InvalidArgument("timeline event %d has no %s: %r" % (position, field, event))
    parse_time(event["time"], "timeline event %d time" % position)
    if event.get("phase") not in PHASES + (None,):
        raise InvalidArgument("timeline event %d has phase %r; use one of %s or null" % (
            position, event.get("phase"), ", ".join(PHASES)))
    if event["outcome"] not in OUTCOMES:
        raise InvalidArgument("timeline event %d has outcome %r; use one of %s" % (
            position, event["outcome"], ", ".join(OUTCOMES)))
    checked = {field: event.get(field) for field in FIELDS}
    checked["detail"] = checked["detail"] or ""
    return checked


def append_events(path, events):
    """Append events to the JSON list in path under an exclusive lock; return the number of events stored."""
    events = [check_event(event, position) for position, event in enumerate(events)]
    directory = os.path.dirname(os.path.abspath(path))
    with open(path + ".lock", "a") as lock:
        # Several hosts of one play append at the same time; the lock serialises their read-modify-write.
        fcntl.flock(lock, fcntl.LOCK_EX)
        stored = read_events(path)
        stored.extend(events)
        handle, temporary = tempfile.mkstemp(prefix=".timeline-", dir=directory)
        try:
            with os.fdopen(handle, "w") as output:
                json.dump(stored, output, indent=1)
                output.write("\n")
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    return len(stored)


def read_events(path):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return []
    with open(path) as source:
        try:
            stored = json.load(source)
        except ValueError as exc:
            raise InvalidArgument("timeline file %s is not valid JSON (%s); move it away or fix it" % (path, exc))
    if not isinstance(stored, list):
        raise InvalidArgument("timeline file %s does not contain a JSON list; move it away or fix it" % path)
    return stored
