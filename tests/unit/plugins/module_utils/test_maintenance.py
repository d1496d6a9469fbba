"""Pure parts of maintenance: relation names, time budget, skip rules and extension lists."""

from __future__ import annotations

import pytest

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.maintenance import (
    Budget,
    _skip_reason,
    normalise_extensions,
    parse_relation_name,
    quote_ident,
)


def test_relation_name_defaults_to_public():
    assert parse_relation_name("users", "tables") == ("public", "users")
    assert parse_relation_name("app.users", "tables") == ("app", "users")


def test_relation_name_with_semicolon_is_rejected():
    with pytest.raises(InvalidArgument, match="looks like several statements"):
        parse_relation_name("t1; VACUUM t2", "tables")


def test_relation_name_with_three_parts_is_rejected():
    with pytest.raises(InvalidArgument, match="schema.name"):
        parse_relation_name("db.app.users", "tables")


def test_quote_ident_doubles_quotes():
    assert quote_ident('we"ird') == '"we""ird"'


def test_budget_caps_statement_timeout():
    now = [100.0]
    budget = Budget(60, clock=lambda: now[0])
    now[0] = 130.0

    assert budget.statement_timeout_ms(None) == 30000
    assert budget.statement_timeout_ms(10) == 10000
    now[0] = 159.5
    assert budget.spent()


def test_no_budget_and_no_timeout_means_no_limit():
    assert Budget(None).statement_timeout_ms(None) == 0


def test_recently_vacuumed_clean_table_is_skipped():
    row = {"seconds_since_vacuum": 60.0, "n_dead_tup": 0, "n_mod_since_analyze": 0}

    assert _skip_reason("vacuum_analyze", row, 3600).startswith("vacuumed 60 s ago")
    assert _skip_reason("vacuum_analyze", dict(row, n_dead_tup=5), 3600) is None
    assert _skip_reason("vacuum_analyze", dict(row, seconds_since_vacuum=None), 3600) is None


def test_extensions_accept_names_and_dicts():
    assert normalise_extensions(["hstore", {"name": "cube", "version": "1.5"}]) == [
        {"name": "hstore", "version": None}, {"name": "cube", "version": "1.5"}]


def test_extension_with_unknown_key_is_rejected():
    with pytest.raises(InvalidArgument, match="unknown keys target"):
        normalise_extensions([{"name": "hstore", "target": "1.8"}])
