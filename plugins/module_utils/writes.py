# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stop and resume writes to a database with default_transaction_read_only.

Stopping sets default_transaction_read_only=on for new sessions of the database (ALTER DATABASE ... SET)
and ends the sessions that were open before, because they keep the setting they started with. A session
can still run SET default_transaction_read_only = off itself, so this stops a well-behaved application,
not a hostile client.
"""

from __future__ import annotations

import json

READ_ONLY_SETTING = "default_transaction_read_only=on"


class WriteSwitch:
    """Read and change whether a database accepts writes; every method takes plain values."""

    def __init__(self, target, database, maintenance_database="postgres", roles=()):
        self.target = target
        self.database = database
        self.maintenance_database = maintenance_database
        self.roles = list(roles)

    def _query(self, statement, variables):
        return self.target.query(statement, variables, database=self.maintenance_database)

    def is_read_only(self):
        rows = self._query(
            "SELECT coalesce(bool_or(setting = :'setting'), false) AS read_only "
            "FROM pg_db_role_setting AS s JOIN pg_database AS d ON d.oid = s.setdatabase, "
            "unnest(s.setconfig) AS setting WHERE d.datname = :'name' AND s.setrole = 0",
            {"name": self.database, "setting": READ_ONLY_SETTING})
        return bool(rows[0]["read_only"])

    def database_exists(self):
        rows = self._query("SELECT count(*) AS found FROM pg_database WHERE datname = :'name'",
                           {"name": self.database})
        return int(rows[0]["found"]) == 1

    def _session_filter(self):
        return ("datname = :'name' AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
                "AND (:'roles' = '[]' OR usename IN (SELECT json_array_elements_text(:'roles'::json)))")

    def sessions(self):
        rows = self._query(
            "SELECT pid, usename AS user, application_name, client_addr::text AS client_addr FROM pg_stat_activity "
            "WHERE " + self._session_filter() + " ORDER BY pid",
            {"name": self.database, "roles": json.dumps(self.roles)})
        return rows

    def terminate_sessions(self):
        rows = self._query(
            "SELECT count(pg_terminate_backend(pid)) AS ended FROM pg_stat_activity WHERE " + self._session_filter(),
            {"name": self.database, "roles": json.dumps(self.roles)})
        return int(rows[0]["ended"])

    def set_read_only(self, read_only):
        if read_only:
            script = 'ALTER DATABASE :"name" SET default_transaction_read_only = on;\n'
        else:
            script = 'ALTER DATABASE :"name" RESET default_transaction_read_only;\n'
        self.target.run_sql_script(script, self.maintenance_database, {"name": self.database})


def switch_writes(switch, state, terminate="changed", check_mode=False):
    """Bring the database to state "stopped" or "resumed"; return the result dict.

    terminate: "changed" ends open sessions only when this call switched the database to read-only (the
    sessions that came after are read-only already), "always" ends them on every call, "never" leaves them.
    """
    read_only = switch.is_read_only()
    requested_read_only = state == "stopped"
    result = {"database": switch.database, "state": state, "was_read_only": read_only,
              "changed": read_only != requested_read_only, "sessions_ended": 0}
    end_sessions = requested_read_only and (terminate == "always" or (terminate == "changed" and not read_only))
    if end_sessions:
        open_sessions = switch.sessions()
        result["sessions"] = open_sessions
        result["changed"] = result["changed"] or bool(open_sessions)

    if requested_read_only:
        result["undo"] = ("resume writes with mirrorbuddy.ops.pg_writes state=resumed, or run ALTER DATABASE %s "
                          "RESET default_transaction_read_only" % switch.database)
    else:
        result["undo"] = "stop writes again with mirrorbuddy.ops.pg_writes state=stopped"

    if check_mode:
        return result
    if read_only != requested_read_only:
        switch.set_read_only(requested_read_only)
    if end_sessions and result["sessions"]:
        result["sessions_ended"] = switch.terminate_sessions()
    return result
