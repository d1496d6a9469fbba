# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the post-incident report: incident_summary and markdown_cell."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.post_incident import markdown_cell, summarise_incident


def incident_summary(timeline, started_at=None, resolved_at=None, slo_target=99.9, period_days=30,
                     downtime_minutes=None):
    try:
        return summarise_incident(timeline, started_at or None, resolved_at or None, slo_target, period_days,
                                  downtime_minutes)
    except OpsError as exc:
        raise AnsibleFilterError(exc.message)


class FilterModule:
    def filters(self):
        return {"incident_summary": incident_summary, "markdown_cell": markdown_cell}
