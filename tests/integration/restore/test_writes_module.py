"""pg_writes: stop and resume writes on a real server."""

from __future__ import annotations

from helpers import run_module

MODULE = "mirrorbuddy.ops.pg_writes"


def test_stop_and_resume_writes(server):
    name = server.scratch_database("writes", "CREATE TABLE notes (id int); GRANT ALL ON notes TO mirrorbuddy;")
    try:
        session = server.background_session(name)

        planned = run_module(MODULE, server.args(database=name, state="stopped"), check=True)
        assert planned["changed"] is True
        assert len(planned["sessions"]) == 1
        assert session.poll() is None

        stopped = run_module(MODULE, server.args(database=name, state="stopped"))
        assert stopped.get("failed") is not True, stopped.get("msg")
        assert stopped["changed"] is True
        assert stopped["sessions_ended"] == 1
        assert session.wait(timeout=20) != 0
        assert server.scalar("SHOW default_transaction_read_only", name) == "on"

        again = run_module(MODULE, server.args(database=name, state="stopped"))
        assert again["changed"] is False
        assert again["sessions_ended"] == 0

        resumed = run_module(MODULE, server.args(database=name, state="resumed"))
        assert resumed["changed"] is True
        assert server.scalar("SHOW default_transaction_read_only", name) == "off"
        server.psql("INSERT INTO notes VALUES (1)", name)
        assert run_module(MODULE, server.args(database=name, state="resumed"))["changed"] is False
    finally:
        server.drop(name)


def test_stopped_database_rejects_writes(server):
    name = server.scratch_database("writes", "CREATE TABLE notes (id int);")
    try:
        run_module(MODULE, server.args(database=name, state="stopped"))
        try:
            server.psql("INSERT INTO notes VALUES (1)", name)
        except AssertionError as exc:
            assert "read-only transaction" in str(exc)
        else:
            raise AssertionError("an INSERT succeeded on a database whose writes are stopped")
    finally:
        server.drop(name)


def test_writes_unknown_database_fails(server):
    result = run_module(MODULE, server.args(database="no_such_database", state="stopped"))
    assert result.get("failed") is True
    assert "no_such_database does not exist" in result["msg"]
