#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pg_backup_verify
short_description: Verify a gzipped plain-SQL PostgreSQL dump in one streaming pass
version_added: 0.1.0
description:
  - Reads the backup file once and checks the whole gzip stream to its end, the sha256 against the manifest
    and the C(.sha256) file, the dump header, the C(-- PostgreSQL database dump complete) trailer, CR LF line
    endings (the mark of a TTY between pg_dump and the file) and the row counts of every COPY block against
    the manifest.
  - C(gunzip -t) accepts a dump that was cut short as long as its gzip stream is complete; this module fails
    it as truncated.
  - Optional expectations fail the task when a table is missing or has fewer rows than a minimum.
  - Read-only; it runs in check mode too and never reports a change.
author: MirrorBuddy operations team (@mirrorbuddy-ops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads, so check mode runs the full verification.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  path:
    description: Path of the backup file (C(.sql.gz)) on the managed node.
    type: path
    required: true
  require_manifest:
    description:
      - Fail when the file has no manifest beside it. Without a manifest the sha256 and row counts cannot be
        compared, but the gzip stream, header, trailer and line endings are still checked, which suits
        backups made by the runbook's shell pipeline.
    type: bool
    default: false
  expect_tables:
    description:
      - Tables that must have a COPY block in the dump, as pg_dump names them (C(public.users)) or by a bare
        name when only one schema has it (C(users)).
    type: list
    elements: str
    default: []
  min_rows:
    description: "Minimum row count per table, for example C({users: 1})."
    type: dict
    default: {}
  compression_library:
    description: V(auto) decompresses with ISA-L when the C(isal) package is importable; V(zlib) always uses zlib.
    type: str
    choices: [auto, zlib]
    default: auto
seealso:
  - module: mirrorbuddy.ops.pg_backup
"""

EXAMPLES = r"""
- name: Verify the newest backup and require its main tables
  mirrorbuddy.ops.pg_backup_verify:
    path: /var/backups/mirrorbuddy/backup-20261204-2110.sql.gz
    require_manifest: true
    expect_tables: [users, sessions, content]
    min_rows:
      users: 1
"""

RETURN = r"""
path:
  description: The file that was verified.
  returned: always
  type: str
valid:
  description: True when every check passed (the task fails otherwise).
  returned: success
  type: bool
sha256:
  description: SHA-256 of the file.
  returned: when the gzip stream could be read to its end
  type: str
compressed_size:
  description: Size of the file in bytes.
  returned: when the file exists
  type: int
raw_size:
  description: Size of the decompressed dump in bytes.
  returned: when the file is gzip
  type: int
tables:
  description: Row count of every table, read from the COPY blocks.
  returned: when the file is gzip
  type: dict
header:
  description: Whether the dump header was found.
  returned: when the file is gzip
  type: bool
trailer:
  description: Whether the completion trailer ends the dump.
  returned: when the file is gzip
  type: bool
crlf_lines:
  description: Number of the dump's SQL lines that end in CR LF; anything but 0 fails.
  returned: when the file is gzip
  type: int
manifest_found:
  description: Whether a manifest was found beside the file.
  returned: when the file is gzip
  type: bool
manifest:
  description: The manifest's database, times, versions and sha256.
  returned: when a manifest was found
  type: dict
problems:
  description: Every problem found; the message names the first ones.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.verify import verify_backup


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            require_manifest=dict(type="bool", default=False),
            expect_tables=dict(type="list", elements="str", default=[]),
            min_rows=dict(type="dict", default={}),
            compression_library=dict(type="str", choices=["auto", "zlib"], default="auto"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        findings = verify_backup(
            params["path"], require_manifest=params["require_manifest"], expect_tables=params["expect_tables"],
            min_rows=params["min_rows"], prefer_isal=params["compression_library"] == "auto")
    except OpsError as exc:
        module.fail_json(msg=exc.message, **dict(exc.details, changed=False, valid=False))
    module.exit_json(changed=False, **findings)


if __name__ == "__main__":
    main()
