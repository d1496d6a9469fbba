# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inspect and undelete soft-deleted rows: rows whose deletion column (deleted_at by default) is set.

Rows are chosen by key, by deletion time window, or both; a row deleted outside the window stays deleted.
Every identifier reaches SQL as a psql :"name" variable, every value as a :'name' literal, so the same
statement text runs on both targets and nothing is pasted into SQL.
"""

from __future__ import annotations

import json

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument, OpsError

MAX_CONFLICTS_SHOWN = 10


class SoftDeleteTable:
    """The soft-deleted rows of one table that match a selection (keys, time window)."""

    def __init__(self, target, database, schema, table, key_columns, deleted_column="deleted_at", keys=None,
                 deleted_from=None, deleted_until=None):
        if not key_columns:
            raise InvalidArgument("key_columns is empty; give the column or columns that identify a row, for "
                                  "example [id]")
        if not keys and not deleted_from and not deleted_until:
            raise InvalidArgument(
                "give keys, deleted_from or deleted_until to choose the rows; undeleting every deleted row of "
                "%s.%s at once is not supported" % (schema, table))
        self.target = target
        self.database = database
        self.schema = schema
        self.table = table
        self.key_columns = list(key_columns)
        self.deleted_column = deleted_column
        self.keys = [_normalise_key(key, len(self.key_columns)) for key in keys or []]
        self.deleted_from = deleted_from
        self.deleted_until = deleted_until

    def _variables(self, extra=None):
        variables = {"schema": self.schema, "table": self.table, "deleted": self.deleted_column,
                     "keys": json.dumps(self.keys), "deleted_from": self.deleted_from or "",
                     "deleted_until": self.deleted_until or ""}
        for index, column in enumerate(self.key_columns):
            variables["k%d" % index] = column
        variables.update(extra or {})
        return variables

    def _key_expression(self, alias):
        return "jsonb_build_array(%s)" % ", ".join(
            'CAST(%s.:"k%d" AS text)' % (alias, index) for index in range(len(self.key_columns)))

    def _selection(self, alias="t"):
        conditions = ['%s.:"deleted" IS NOT NULL' % alias]
        if self.keys:
            conditions.append("%s IN (SELECT jsonb_array_elements(CAST(:'keys' AS jsonb)))"
                              % self._key_expression(alias))
        if self.deleted_from:
            conditions.append("%s.:\"deleted\" >= CAST(:'deleted_from' AS timestamptz)" % alias)
        if self.deleted_until:
            conditions.append("%s.:\"deleted\" <= CAST(:'deleted_until' AS timestamptz)" % alias)
        return " AND ".join(conditions)

    def _query(self, statement, extra=None):
        return self.target.query(statement, self._variables(extra), database=self.database)

    def check_columns(self):
        rows = self._query(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(format('%I.%I', :'schema', :'table')) "
            "AND attnum > 0 AND NOT attisdropped")
        if not rows:
            raise InvalidArgument("table %s.%s not found in database %s; check schema and table"
                                  % (self.schema, self.table, self.database))
        columns = {row["attname"] for row in rows}
        missing = [name for name in self.key_columns + [self.deleted_column] if name not in columns]
        if missing:
            raise InvalidArgument("table %s.%s has no column %s; check key_columns and deleted_column" % (
                self.schema, self.table, ", ".join(missing)))

    def rows(self, limit):
        """Return (total, rows): the number of matching rows and up to limit of them, keys as text."""
        selected = ", ".join('CAST(t.:"k%d" AS text) AS key_%d' % (index, index)
                             for index in range(len(self.key_columns)))
        rows = self._query(
            "SELECT %s, CAST(t.:\"deleted\" AS text) AS deleted_at_value, count(*) OVER () AS total "
            "FROM :\"schema\".:\"table\" AS t WHERE %s ORDER BY %s LIMIT %d"
            % (selected, self._selection(), ", ".join("key_%d" % i for i in range(len(self.key_columns))),
               int(limit)))
        total = int(rows[0]["total"]) if rows else 0
        return total, [self._row(row) for row in rows]

    def _row(self, row):
        key = {column: row["key_%d" % index] for index, column in enumerate(self.key_columns)}
        return {"key": key, self.deleted_column: row["deleted_at_value"]}

    def unique_indexes(self):
        return self._query(
            "SELECT (SELECT relname FROM pg_class WHERE oid = i.indexrelid) AS index_name, "
            "       (SELECT conname FROM pg_constraint WHERE conindid = i.indexrelid LIMIT 1) AS constraint_name, "
            "       (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(CAST(i.indkey AS int2[])) "
            "            WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute AS a "
            "            ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS columns, "
            "       0 = ANY(CAST(i.indkey AS int2[])) AS has_expression "
            "FROM pg_index AS i "
            "WHERE i.indrelid = to_regclass(format('%I.%I', :'schema', :'table')) AND i.indisunique "
            "AND NOT i.indisprimary ORDER BY 1")

    def conflicts(self):
        """Return the selected rows that would collide with a live row on a unique index or constraint.

        NOTE: indexes on expressions are skipped, and two selected rows that collide with each other are
        left to the database, which rejects the UPDATE with a unique violation.
        """
        found = []
        for index in self.unique_indexes():
            if index["has_expression"] or not index["columns"]:
                continue
            variables = {"u%d" % number: column for number, column in enumerate(index["columns"])}
            same_values = " AND ".join('live.:"u%d" = t.:"u%d"' % (number, number) for number in range(len(variables)))
            rows = self._query(
                "SELECT CAST(%s AS text) AS row_key, CAST(%s AS text) AS live_key "
                "FROM :\"schema\".:\"table\" AS t JOIN :\"schema\".:\"table\" AS live ON %s "
                "WHERE %s AND live.:\"deleted\" IS NULL LIMIT %d"
                % (self._key_expression("t"), self._key_expression("live"), same_values, self._selection(),
                   MAX_CONFLICTS_SHOWN), variables)
            for row in rows:
                found.append({
                    "constraint": index["constraint_name"] or index["index_name"],
                    "columns": index["columns"],
                    "row": dict(zip(self.key_columns, json.loads(row["row_key"]))),
                    "live_row": dict(zip(self.key_columns, json.loads(row["live_key"]))),
                })
        return found

    def undelete(self):
        self.target.run_sql_script(
            'UPDATE :"schema".:"table" AS t SET :"deleted" = NULL WHERE %s;\n' % self._selection(),
            self.database, self._variables())


def _normalise_key(key, width):
    values = key if isinstance(key, (list, tuple)) else [key]
    if len(values) != width:
        raise InvalidArgument("key %r has %d values but key_columns has %d columns" % (key, len(values), width))
    return [None if value is None else str(value) for value in values]


def describe_conflicts(conflicts, table):
    first = conflicts[0]
    return ("undeleting %s.%s would violate unique constraint %s (%s): row %s collides with live row %s; "
            "delete or change the live row first, or leave this row out of keys" % (
                table[0], table[1], first["constraint"], ", ".join(first["columns"]),
                json.dumps(first["row"]), json.dumps(first["live_row"])))


def soft_delete(selection, state, max_rows=100, check_mode=False):
    """Inspect (state "inspected") or undelete (state "undeleted") the selected rows; return the result."""
    selection.check_columns()
    total, rows = selection.rows(max_rows)
    conflicts = selection.conflicts() if total else []
    result = {"changed": False, "table": "%s.%s" % (selection.schema, selection.table), "count": total,
              "rows": rows, "rows_truncated": total > len(rows), "conflicts": conflicts,
              "recoverable": bool(total) and not conflicts}
    if state == "inspected":
        return result
    if conflicts:
        raise OpsError(describe_conflicts(conflicts, (selection.schema, selection.table)), **result)
    if not total:
        return result

    result["changed"] = True
    column = selection.deleted_column
    before = ["%s %s=%s\n" % (json.dumps(row["key"]), column, row[column]) for row in rows]
    after = ["%s %s=NULL\n" % (json.dumps(row["key"]), column) for row in rows]
    result["diff"] = {"before": "".join(before), "after": "".join(after)}
    result["undo"] = ("set %s back to the values listed in rows (for example UPDATE ... SET %s = '<value>' "
                      "WHERE key = ...); rows lists up to max_rows of them" % (
                          selection.deleted_column, selection.deleted_column))
    if not check_mode:
        selection.undelete()
    return result
