"""pg_integrity_check: row counts against the manifest, and pg_amcheck."""

from __future__ import annotations

import uuid

from helpers import run_module


def test_integrity_check_passes_then_finds_missing_row(server):
    name = "integrity_%s" % uuid.uuid4().hex[:8]
    try:
        restored = run_module("mirrorbuddy.ops.pg_backup_restore", server.args(database=name, path=server.backup))
        assert restored.get("failed") is not True, restored.get("msg")

        passed = run_module("mirrorbuddy.ops.pg_integrity_check", server.args(database=name, backup=server.backup))
        assert passed.get("failed") is not True, passed.get("msg")
        assert passed["changed"] is False
        assert passed["tables"] == restored["tables_expected"]
        assert passed["amcheck"]["passed"] is True

        server.psql("DELETE FROM sessions WHERE id = (SELECT id FROM sessions LIMIT 1)", name)
        failed = run_module("mirrorbuddy.ops.pg_integrity_check", server.args(database=name, backup=server.backup))
        assert failed.get("failed") is True
        assert "public.sessions" in failed["msg"]
    finally:
        server.drop(name)
