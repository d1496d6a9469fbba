#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pg_backup_prune
short_description: Delete old backups while keeping the newest valid ones
version_added: 0.1.0
description:
  - Looks at the backups in a directory whose names the name template can produce, and keeps every valid
    backup that is among the newest O(keep) or, with O(keep_within), younger than that. It deletes the other
    valid backups with their manifest and C(.sha256) file.
  - A backup counts as valid when it has a manifest and passes verification (see O(verification)). Files
    that fail, or have no manifest, are never counted as valid and never deleted; they are returned in
    RV(invalid) for a person to look at. The newest valid backup is never deleted.
  - Partial files that an interrupted run left behind are returned in RV(stale_temporary_files), not removed.
author: MirrorBuddy operations team (@mirrorbuddy-ops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Deletes nothing and returns in RV(deleted) what would be deleted.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  directory:
    description: Absolute path of the backup directory on the managed node.
    type: path
    required: true
  name_template:
    description: The name template the backups were made with (see M(mirrorbuddy.ops.pg_backup)).
    type: str
    default: backup-%Y%m%d-%H%M.sql.gz
  keep:
    description: Number of newest valid backups to keep; at least 1.
    type: int
    default: 7
  keep_within:
    description:
      - Also keep every valid backup that finished less than this long ago, for example C(14d). A number with a
        unit C(s), C(m), C(h), C(d) or C(w).
    type: str
  database:
    description: Only count and delete backups of this database (from their manifests).
    type: str
  verification:
    description:
      - V(full) reads every backup to the end (gzip, trailer, sha256 and row counts against the manifest).
      - V(quick) hashes the file and compares its size and sha256 with the manifest and the C(.sha256) file,
        without decompressing it. It finds any changed byte, but not a dump that was already incomplete when
        written.
    type: str
    choices: [full, quick]
    default: full
seealso:
  - module: mirrorbuddy.ops.pg_backup
  - module: mirrorbuddy.ops.pg_backup_verify
"""

EXAMPLES = r"""
- name: Keep the seven newest valid backups and everything from the last 14 days
  mirrorbuddy.ops.pg_backup_prune:
    directory: /var/backups/mirrorbuddy
    keep: 7
    keep_within: 14d
"""

RETURN = r"""
kept:
  description: Valid backups that stay.
  returned: always
  type: list
  elements: str
deleted:
  description: Backups deleted (that would be deleted, in check mode), each with its manifest and .sha256 file.
  returned: always
  type: list
  elements: str
invalid:
  description: Files that failed verification or have no manifest, with the reason; they are not touched.
  returned: always
  type: list
  elements: dict
stale_temporary_files:
  description: Partial files left by interrupted runs; they are not touched.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.backup_files import (
    check_template,
    parse_duration,
    utc_now,
)
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.retention import prune


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directory=dict(type="path", required=True),
            name_template=dict(type="str", default="backup-%Y%m%d-%H%M.sql.gz"),
            keep=dict(type="int", default=7),
            keep_within=dict(type="str"),
            database=dict(type="str"),
            verification=dict(type="str", choices=["full", "quick"], default="full"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = {"changed": False, "kept": [], "deleted": [], "invalid": [], "stale_temporary_files": []}
    try:
        check_template(params["name_template"])
        keep_within = parse_duration(params["keep_within"], "keep_within") if params["keep_within"] else None
        result.update(prune(
            params["directory"], params["name_template"], params["keep"], keep_within, utc_now(),
            verification=params["verification"], database=params["database"], check_mode=module.check_mode))
    except OpsError as exc:
        module.fail_json(msg=exc.message, **dict(result, **exc.details))
    result["changed"] = bool(result["deleted"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
