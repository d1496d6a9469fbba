#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pg_backup
short_description: Create a verified, gzipped plain-SQL dump of a PostgreSQL database
version_added: 0.1.0
description:
  - Runs C(pg_dump) in the database container or against a server, and streams its output through gzip into a
    temporary file in the backup directory.
  - The file gets its final name only when every stage passed, which means pg_dump exited 0, wrote no error
    on stderr, its output had the dump header and the C(-- PostgreSQL database dump complete) trailer and no
    CR LF line endings, and every write and the fsync succeeded. A failure leaves neither the final nor the
    temporary file and never touches earlier backups.
  - Beside the dump it writes a JSON manifest (C(NAME.manifest.json)) and a C(NAME.sha256) file that
    C(sha256sum -c) accepts. The manifest records the database, the server and pg_dump versions, start and
    end times in UTC, the duration, the raw and compressed sizes, the sha256 and the row count of every table
    read from the COPY blocks of the dump.
  - The output is a standard gzip stream, so the runbook's C(gunzip -t) and
    C(gunzip -c FILE | psql) work on it. ISA-L (the C(isal) Python package) compresses it when the managed
    node has it, zlib otherwise.
  - The backup directory is created with mode 0700 (an existing one is narrowed to 0700) and files get
    mode 0600.
author: MirrorBuddy operations team (@mirrorbuddy-ops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - mirrorbuddy.ops.connection
attributes:
  check_mode:
    support: full
    details: Creates nothing and returns the path the backup would get.
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
    description:
      - File name of the backup as a C(strftime) template, filled with the UTC start time.
      - When the name exists already, C(-2), C(-3) and so on are added before C(.sql.gz); nothing is overwritten.
    type: str
    default: backup-%Y%m%d-%H%M.sql.gz
  compression_level:
    description:
      - gzip compression level from 1 (fastest) to 9 (smallest).
      - With ISA-L, levels 1-2, 3-5 and 6-9 use ISA-L's levels 1, 2 and 3; level 3 writes files about 6%
        larger than C(gzip -6) at more than ten times its speed.
    type: int
    default: 6
  compression_library:
    description:
      - V(auto) uses ISA-L when the C(isal) package is importable and zlib otherwise; V(zlib) always uses zlib.
    type: str
    choices: [auto, zlib]
    default: auto
  skip_if_newer_than:
    description:
      - Do nothing and return C(changed=false) when a backup of the same database, made with this name
        template, finished less than this long ago and passes a full verification.
      - A number with a unit C(s), C(m), C(h), C(d) or C(w), for example C(1h).
    type: str
  expect_tables:
    description:
      - Tables that must have a COPY block in the dump, as pg_dump names them (C(public.users)) or by a bare name
        when only one schema has it. A dump without one of them fails and no backup file is kept.
    type: list
    elements: str
    default: []
  min_rows:
    description: "Minimum row count per table, for example C({users: 1}); a dump with fewer rows fails and is not kept."
    type: dict
    default: {}
  dump_options:
    description:
      - Extra C(pg_dump) options, for example C(--exclude-table-data=public.sessions).
      - Options that change the output format or file, or the connection, are rejected, because the module
        sets them itself.
    type: list
    elements: str
    default: []
seealso:
  - module: mirrorbuddy.ops.pg_backup_verify
  - module: mirrorbuddy.ops.pg_backup_prune
"""

EXAMPLES = r"""
- name: Back up the database of the mirrorbuddy-db container
  mirrorbuddy.ops.pg_backup:
    directory: /var/backups/mirrorbuddy

- name: Back up a database on a server, at most once an hour
  mirrorbuddy.ops.pg_backup:
    target: host
    login_host: db.internal
    login_user: backup
    login_password: "{{ vault_backup_password }}"
    database: mirrorbuddy
    directory: /var/backups/mirrorbuddy
    skip_if_newer_than: 1h
  register: backup

- name: Show where the backup went
  ansible.builtin.debug:
    msg: "{{ backup.path }} ({{ backup.compressed_size }} bytes, sha256 {{ backup.sha256 }})"
"""

RETURN = r"""
path:
  description: Path of the backup (the one that would be created, in check mode; the recent one, when skipped).
  returned: always
  type: str
  sample: /var/backups/mirrorbuddy/backup-20261204-2110.sql.gz
skipped_recent:
  description: True when O(skip_if_newer_than) found a recent verified backup and no dump ran.
  returned: always
  type: bool
manifest_path:
  description: Path of the JSON manifest.
  returned: success
  type: str
sha256:
  description: SHA-256 of the compressed file.
  returned: success, except in check mode
  type: str
compressed_size:
  description: Size of the backup file in bytes.
  returned: success, except in check mode
  type: int
raw_size:
  description: Size of the plain-SQL dump in bytes.
  returned: success, except in check mode
  type: int
duration_seconds:
  description: Seconds from the start of pg_dump to the fsync of the last file.
  returned: success, except in check mode
  type: float
server_version:
  description: PostgreSQL server version, as the dump header records it.
  returned: success, except in check mode
  type: str
pg_dump_version:
  description: pg_dump version, as the dump header records it.
  returned: success, except in check mode
  type: str
tables:
  description: Row count of every table, read from the COPY blocks of the dump.
  returned: success, except in check mode
  type: dict
  sample: {"public.users": 1000, "public.content": 5000}
row_count:
  description: Sum of the RV(tables) rows.
  returned: success, except in check mode
  type: int
compression:
  description: Format, library and level used.
  returned: success, except in check mode
  type: dict
  sample: {"format": "gzip", "library": "isal", "level": 3}
warnings_from_pg_dump:
  description: pg_dump warnings that did not make the dump incomplete.
  returned: success, except in check mode
  type: list
  elements: str
command:
  description: The pg_dump argument vector that ran (it never contains a password).
  returned: always
  type: list
  elements: str
exit_code:
  description: Exit status of pg_dump, when it failed.
  returned: failure
  type: int
stderr:
  description: What pg_dump wrote on stderr, when it failed.
  returned: failure
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.backup import (
    BackupJob,
    check_dump_options,
    find_recent_backup,
)
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.backup_files import check_template, parse_duration
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument, OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.target import connection_argument_spec, make_target


def main():
    argument_spec = connection_argument_spec(
        directory=dict(type="path", required=True),
        name_template=dict(type="str", default="backup-%Y%m%d-%H%M.sql.gz"),
        compression_level=dict(type="int", default=6),
        compression_library=dict(type="str", choices=["auto", "zlib"], default="auto"),
        skip_if_newer_than=dict(type="str"),
        dump_options=dict(type="list", elements="str", default=[]),
        expect_tables=dict(type="list", elements="str", default=[]),
        min_rows=dict(type="dict", default={}),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    result = {"changed": False, "skipped_recent": False}

    try:
        if not 1 <= params["compression_level"] <= 9:
            raise InvalidArgument("compression_level is %s; give a gzip level from 1 to 9" % params["compression_level"])
        check_template(params["name_template"])
        check_dump_options(params["dump_options"])
        prefer_isal = params["compression_library"] == "auto"
        target = make_target(params)
        job = BackupJob(target, params["directory"], params["name_template"], params["compression_level"],
                        prefer_isal, params["dump_options"], expect_tables=params["expect_tables"],
                        min_rows=params["min_rows"])
        result["command"] = job.argv

        if params["skip_if_newer_than"]:
            max_age = parse_duration(params["skip_if_newer_than"], "skip_if_newer_than")
            if max_age < 1:
                raise InvalidArgument("skip_if_newer_than must be at least 1s")
            recent = find_recent_backup(params["directory"], params["name_template"], target.database, max_age,
                                        prefer_isal=prefer_isal) if os.path.isdir(params["directory"]) else None
            if recent is not None:
                result.update(recent["manifest"], path=recent["path"], skipped_recent=True)
                result["manifest_path"] = recent["path"] + ".manifest.json"
                module.exit_json(**result)

        if module.check_mode:
            result.update(changed=True, path=job.plan())
            module.exit_json(**result)

        manifest = job.run()
        result.update(manifest, changed=True, manifest_path=manifest["path"] + ".manifest.json")
        result["warnings_from_pg_dump"] = result.pop("warnings")
    except OpsError as exc:
        module.fail_json(msg=exc.message, **dict(result, **exc.details))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
