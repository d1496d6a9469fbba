"""Unit tests of the target's pure helpers: option checks and SQL variable translation."""

import pytest

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.backup import check_dump_options, classify_stderr
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.target import (
    HostTarget,
    check_database_name,
    connection_argument_spec,
    to_psycopg2,
)


@pytest.mark.parametrize("name", ["postgresql://u:secret@h/db", "postgres://h/db", "host=h password=secret",
                                  "dbname=x", "", "  "])
def test_check_database_name_rejects_connection_strings(name):
    with pytest.raises(InvalidArgument):
        check_database_name(name)


@pytest.mark.parametrize("name", ["mirrorbuddy", "app-db", "My Db", "db=1x"[3:]])
def test_check_database_name_accepts_names(name):
    assert check_database_name(name) == name


def test_connection_spec_marks_password_no_log():
    spec = connection_argument_spec()
    assert spec["login_password"]["no_log"] is True
    assert spec["database"]["default"] == "mirrorbuddy"


def test_connection_spec_override_does_not_leak():
    connection_argument_spec(database=dict(type="str", required=True))
    assert connection_argument_spec()["database"]["default"] == "mirrorbuddy"


def host_params(**extra):
    params = {name: option.get("default") for name, option in connection_argument_spec().items()}
    params.update(target="host", **extra)
    return params


def test_client_argv_has_no_password_and_no_prompt():
    target = HostTarget(host_params(login_password="s3cret", login_host="db.local", port=5433))
    argv = target.client_argv("sh")
    assert "s3cret" not in " ".join(argv)
    assert "--no-password" in argv
    assert argv[-2:] == ["--dbname", "mirrorbuddy"]
    assert target.client_environment()["PGPASSWORD"] == "s3cret"


def test_connect_timeout_below_one_is_rejected():
    with pytest.raises(InvalidArgument, match="connect_timeout"):
        HostTarget(host_params(connect_timeout=0))


def test_to_psycopg2_translates_literals_and_identifiers():
    pytest.importorskip("psycopg2")
    composed, values = to_psycopg2("SELECT :'value' AS v, 5 % 2 FROM :\"table\" WHERE x::text = :'value'",
                                   {"value": "O'Brien", "table": "My Table"})
    text = repr(composed)
    assert "Placeholder('value')" in text
    assert "Identifier('My Table')" in text
    assert "5 %% 2" in text
    assert "x::text" in text
    assert values == {"value": "O'Brien"}


def test_to_psycopg2_requires_every_variable():
    pytest.importorskip("psycopg2")
    with pytest.raises(InvalidArgument, match="missing_one"):
        to_psycopg2("SELECT :'missing_one'", {})


@pytest.mark.parametrize("option", ["-Fc", "--format=custom", "-f", "--file=/x", "-W", "--password", "-h",
                                    "--host=x", "-Uroot", "--jobs=2", "-Z9"])
def test_check_dump_options_rejects_reserved(option):
    with pytest.raises(InvalidArgument, match="sets itself"):
        check_dump_options([option])


def test_check_dump_options_accepts_table_filters():
    options = ["--exclude-table-data=public.sessions", "-n", "public", "--no-owner"]
    assert check_dump_options(options) == options


def test_classify_stderr_separates_warnings():
    warnings, errors = classify_stderr(
        "pg_dump: warning: there are circular foreign-key constraints on this table:\n"
        "pg_dump: detail: t\n"
        "pg_dump: error: connection to server failed: FATAL:  password authentication failed\n")
    assert len(warnings) == 2
    assert errors == ["pg_dump: error: connection to server failed: FATAL:  password authentication failed"]
