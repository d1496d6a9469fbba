#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pg_backup_restore
short_description: Restore a verified gzipped plain-SQL dump into a named database, through a staging database
version_added: 0.1.0
description:
  - Verifies the whole backup file first (gzip stream to its end, dump header and trailer, sha256 and row
    counts against the manifest when there is one), before any database is touched.
  - Checks that the roles the dump gives ownership to exist, or, with O(owner), gives every object to that role.
  - Creates a staging database from C(template0) with the dump's encoding, loads the dump into it with
    C(psql --single-transaction) and C(ON_ERROR_STOP), and compares the restored row counts with the dump's.
  - Only then the staging database takes the target's name. An existing target is kept under the name
    C(DATABASE_pre_restore_YYYYMMDDHHMMSS) until O(state=previous_dropped) drops it; a non-empty target is
    rejected unless O(replace=true).
  - Records the backup's sha256 in the comment of the restored database (C(COMMENT ON DATABASE)), so restoring
    the same backup again returns C(changed=false).
author: MirrorBuddy operations team (@mirrorbuddy-ops)
extends_documentation_fragment:
  - mirrorbuddy.ops.connection
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Verifies the file and checks the target and roles, changes nothing and returns the planned actions.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  database:
    description:
      - Database to restore into. Required, with no default; V(postgres), V(template0) and V(template1) are
        rejected.
    type: str
    required: true
    default: null
    aliases: [db]
  path:
    description: Backup file to restore. Exactly one of O(path) and O(directory) is required for O(state=restored).
    type: path
  directory:
    description:
      - Backup directory; the newest file that O(name_template) matches and that passes verification is restored.
        Newer files that fail verification are skipped and listed in RV(skipped_backups).
    type: path
  name_template:
    description: File name template of the backups in O(directory), as in M(mirrorbuddy.ops.pg_backup).
    type: str
    default: backup-%Y%m%d-%H%M.sql.gz
  scratch:
    description:
      - Mark the restored database as a throwaway copy, as a restore test makes. Only databases restored with
        O(scratch=true) can be dropped with O(state=absent); a live database that a restore replaced or
        created keeps its data whatever O(state) says.
    type: bool
    default: false
  state:
    description:
      - V(restored) restores the backup.
      - V(previous_dropped) drops the databases that earlier restores kept in place of O(database).
      - V(absent) drops O(database) itself, but only when its comment carries the marker of a restore (for
        scratch databases of restore tests); any other database is rejected.
    type: str
    choices: [restored, previous_dropped, absent]
    default: restored
  replace:
    description: Restore in place of a non-empty database, which is kept under a dated name.
    type: bool
    default: false
  owner:
    description:
      - Role that owns every restored object and the database, in place of the owners the dump names. Use it
        when the dump's roles do not exist on this server.
    type: str
  force:
    description: Restore even when the database's comment records that it already contains this backup.
    type: bool
    default: false
  terminate_sessions:
    description: End the sessions on an existing target before renaming it. When false, open sessions fail the restore.
    type: bool
    default: true
  maintenance_database:
    description: Database the module connects to for creating, renaming and dropping databases.
    type: str
    default: postgres
  lc_collate:
    description: C(LC_COLLATE) of the new database. By default the existing target's, otherwise C(template1)'s.
    type: str
  lc_ctype:
    description: C(LC_CTYPE) of the new database. By default the existing target's, otherwise C(template1)'s.
    type: str
  require_manifest:
    description: Reject a backup that has no manifest beside it.
    type: bool
    default: false
  compression_library:
    description: V(auto) decompresses with ISA-L when the C(isal) package is importable, V(zlib) always with zlib.
    type: str
    choices: [auto, zlib]
    default: auto
notes:
  - The login role needs C(CREATEDB) and the right to end other sessions (a superuser, or a member of
    C(pg_signal_backend) that owns the target database).
  - A plain dump made without C(--create) carries no database-level settings (C(ALTER DATABASE ... SET)),
    database grants or database comment; the restored database gets the previous target's owner only.
seealso:
  - module: mirrorbuddy.ops.pg_backup
"""

EXAMPLES = r"""
- name: Restore a backup into an empty or new database
  mirrorbuddy.ops.pg_backup_restore:
    database: mirrorbuddy
    path: /var/backups/mirrorbuddy/backup-20261204-2110.sql.gz

- name: Replace the live database with the newest valid backup
  mirrorbuddy.ops.pg_backup_restore:
    database: mirrorbuddy
    directory: /var/backups/mirrorbuddy
    replace: true
  register: restore

- name: Drop the database the restore kept, once the restored one is trusted
  mirrorbuddy.ops.pg_backup_restore:
    database: mirrorbuddy
    state: previous_dropped
"""

RETURN = r"""
database:
  description: The database restored into.
  returned: always
  type: str
backup:
  description: Path of the backup that was (or would be) restored.
  returned: when state=restored
  type: str
sha256:
  description: SHA-256 of the backup file.
  returned: when state=restored and the file passed verification
  type: str
already_restored:
  description: The marker found on the database when it already holds this backup (sha256, file, restored_at).
  returned: when nothing was done for that reason
  type: dict
actions:
  description: The steps the restore takes (or would take, in check mode).
  returned: when a restore runs or would run
  type: list
  elements: str
staging_database:
  description: Name of the staging database.
  returned: when a restore runs or would run
  type: str
previous_database:
  description: Name under which the database that was in place is kept.
  returned: when the target existed
  type: str
tables_expected:
  description: Row count of each table in the backup.
  returned: when state=restored and the file passed verification
  type: dict
tables_restored:
  description: Row count of each table in the restored database.
  returned: success, except in check mode
  type: dict
undo:
  description: How to undo the restore, in words and as SQL to run on the maintenance database.
  returned: when a restore runs or would run
  type: dict
skipped_backups:
  description: Newer files in O(directory) that failed verification, with the reason.
  returned: when O(directory) is used
  type: list
  elements: dict
dropped:
  description: Databases dropped (or that would be dropped) by O(state=previous_dropped) or O(state=absent).
  returned: when state=previous_dropped or state=absent
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.backup_files import backups_newest_first
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import DumpInvalid, InvalidArgument, OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.restore import (
    Catalog,
    RestoreJob,
    check_restore_target,
    drop_previous_databases,
    drop_restored_database,
)
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.target import connection_argument_spec, make_target


def plan_restore(target, params, result):
    """Return the RestoreJob of the given file, or of the newest file in directory that passes verification."""
    options = dict(maintenance_database=params["maintenance_database"], replace=params["replace"],
                   scratch=params["scratch"],
                   owner=params["owner"], force=params["force"], terminate_sessions=params["terminate_sessions"],
                   lc_collate=params["lc_collate"], lc_ctype=params["lc_ctype"],
                   require_manifest=params["require_manifest"],
                   prefer_isal=params["compression_library"] == "auto")
    if params["path"]:
        job = RestoreJob(target, params["path"], params["database"], **options)
        job.plan()
        return job

    result["skipped_backups"] = []
    candidates = backups_newest_first(params["directory"], params["name_template"])
    for path in candidates:
        job = RestoreJob(target, path, params["database"], **options)
        try:
            job.plan()
        except DumpInvalid as exc:
            result["skipped_backups"].append({"path": path, "problem": exc.message})
            continue
        return job
    reasons = "".join("; %s" % entry["problem"] for entry in result["skipped_backups"][:3])
    raise InvalidArgument("no valid backup in %s matches %s (%d files checked)%s" % (
        params["directory"], params["name_template"], len(candidates), reasons))


def main():
    argument_spec = connection_argument_spec(
        database=dict(type="str", required=True, aliases=["db"]),
        path=dict(type="path"),
        directory=dict(type="path"),
        name_template=dict(type="str", default="backup-%Y%m%d-%H%M.sql.gz"),
        state=dict(type="str", choices=["restored", "previous_dropped", "absent"], default="restored"),
        scratch=dict(type="bool", default=False),
        replace=dict(type="bool", default=False),
        owner=dict(type="str"),
        force=dict(type="bool", default=False),
        terminate_sessions=dict(type="bool", default=True),
        maintenance_database=dict(type="str", default="postgres"),
        lc_collate=dict(type="str"),
        lc_ctype=dict(type="str"),
        require_manifest=dict(type="bool", default=False),
        compression_library=dict(type="str", choices=["auto", "zlib"], default="auto"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           mutually_exclusive=[("path", "directory")],
                           required_if=[("state", "restored", ("path", "directory"), True)])
    params = module.params
    result = {"changed": False, "database": params["database"]}

    try:
        check_restore_target(params["database"], params["maintenance_database"])
        target = make_target(params)
        catalog = Catalog(target, params["maintenance_database"])
        if params["state"] == "previous_dropped":
            dropped = drop_previous_databases(catalog, params["database"], module.check_mode)
            result.update(changed=bool(dropped), dropped=dropped)
            module.exit_json(**result)
        if params["state"] == "absent":
            dropped = drop_restored_database(catalog, params["database"], module.check_mode)
            result.update(changed=dropped, dropped=[params["database"]] if dropped else [])
            module.exit_json(**result)

        job = plan_restore(target, params, result)
        result.update(job.result)
        if result["changed"] and not module.check_mode:
            result.update(job.run())
    except OpsError as exc:
        details = dict(exc.details)
        details.pop("changed", None)
        # A failed restore drops its staging database and leaves the target as it was.
        result["changed"] = False
        module.fail_json(msg=exc.message, **dict(result, **details))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
