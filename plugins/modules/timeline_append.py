#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: timeline_append
short_description: Append timeline events to a JSON file
version_added: 0.1.0
description:
  - Checks each event against the shared timeline format and appends the events to the JSON list in O(path),
    creating the file when it is missing.
  - Several hosts may append to the same file at once, because an exclusive lock on C(PATH.lock) serialises
    the writers and the file is replaced atomically.
  - "Run it on the controller with C(delegate_to: localhost), where the post-incident report reads the file."
author: MirrorBuddy operations team (@mirrorbuddy-ops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Checks the events and writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  path:
    description: Path of the JSON timeline file.
    type: path
    required: true
  events:
    description:
      - Events with C(time) (C(YYYY-MM-DDTHH:MM:SSZ), UTC), C(procedure), C(host), C(step), C(phase)
        (C(detection), C(response), C(mitigation), C(resolution) or null), C(outcome) (C(started), C(ok),
        C(failed), C(skipped)) and C(detail).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Record that the vacuum finished
  mirrorbuddy.ops.timeline_append:
    path: "{{ mirrorbuddy_timeline_file }}"
    events:
      - {time: "2026-01-05T03:12:40Z", procedure: maintenance, host: "{{ inventory_hostname }}",
         step: vacuum_analyze, phase: null, outcome: ok, detail: "12 tables"}
  delegate_to: localhost
"""

RETURN = r"""
appended:
  description: Number of events appended.
  returned: always
  type: int
event_count:
  description: Number of events in the file after the append.
  returned: success, except in check mode
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.timeline import append_events, check_event


def main():
    module = AnsibleModule(argument_spec=dict(path=dict(type="path", required=True),
                                              events=dict(type="list", elements="dict", required=True)),
                           supports_check_mode=True)
    events = module.params["events"]
    result = {"changed": bool(events), "appended": len(events)}
    try:
        for position, event in enumerate(events):
            check_event(event, position)
        if not module.check_mode and events:
            result["event_count"] = append_events(module.params["path"], events)
    except OpsError as exc:
        module.fail_json(msg=exc.message, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
