"""Pure logic of restore, soft delete and write switching."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.dump_scan import DumpScanner, split_qualified_name
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument, OpsError
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.restore import (
    CommandTags,
    check_restore_target,
    dated_name,
    make_marker,
    match_copy_counts,
    parse_marker,
    rewrite_owners,
)
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.soft_delete import SoftDeleteTable
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.writes import switch_writes

MOMENT = datetime.datetime(2026, 12, 4, 21, 10, 5, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("name", ["postgres", "template0", "template1", "", "  "])
def test_reserved_or_empty_target_rejected(name):
    with pytest.raises(InvalidArgument):
        check_restore_target(name, "postgres")


def test_target_equal_to_maintenance_database_rejected():
    with pytest.raises(InvalidArgument, match="maintenance_database"):
        check_restore_target("admin", "admin")


def test_dated_name_fits_identifier_limit():
    name = dated_name("x" * 80, "pre_restore", MOMENT)
    assert len(name.encode()) == 63
    assert name.endswith("_pre_restore_20261204211005")


def test_dated_name_cuts_multibyte_base_cleanly():
    name = dated_name("é" * 40, "restore_staging", MOMENT)
    assert len(name.encode()) <= 63
    name.encode("utf-8").decode("utf-8")


def test_marker_round_trip():
    marker = make_marker({"sha256": "ab" * 32, "path": "/b/backup-1.sql.gz"}, MOMENT)
    assert parse_marker(marker) == {"sha256": "ab" * 32, "file": "backup-1.sql.gz",
                                    "restored_at": "2026-12-04T21:10:05Z", "scratch": False}


def test_marker_records_scratch():
    marker = make_marker({"sha256": "ab" * 32, "path": "/b/backup-1.sql.gz"}, MOMENT, scratch=True)
    assert parse_marker(marker)["scratch"] is True


@pytest.mark.parametrize("comment", [None, "", "the app database", "mirrorbuddy.ops:restore not-json",
                                     "mirrorbuddy.ops:restore [1]"])
def test_foreign_comment_is_no_marker(comment):
    assert parse_marker(comment) is None


def test_owner_rewrite_skips_copy_data_across_chunks():
    dump = (b"ALTER TABLE public.users OWNER TO old_owner;\n"
            b"COPY public.notes (body) FROM stdin;\n"
            b"ALTER TABLE x OWNER TO old_owner;\n"
            b"\\.\n"
            b'ALTER SCHEMA "s" OWNER TO "Old ""Q""";\n')
    chunks = [dump[index:index + 7] for index in range(0, len(dump), 7)]
    output = b"".join(rewrite_owners(chunks, 'new "o"'))
    assert output == (b'ALTER TABLE public.users OWNER TO "new ""o""";\n'
                      b"COPY public.notes (body) FROM stdin;\n"
                      b"ALTER TABLE x OWNER TO old_owner;\n"
                      b"\\.\n"
                      b'ALTER SCHEMA "s" OWNER TO "new ""o""";\n')


def test_command_tags_across_chunks():
    tags = CommandTags()
    for chunk in [b"SET\nCOPY 1", b"2\nALTER TABLE\nCOPY 0\n", b"COPY 7\n"]:
        tags.feed(chunk)
    assert tags.copy_counts == [12, 0, 7]


def test_copy_count_mismatch_rejected():
    assert match_copy_counts(["public.a", "public.b"], [3, 4]) == {"public.a": 3, "public.b": 4}
    with pytest.raises(OpsError, match="2 COPY blocks"):
        match_copy_counts(["public.a", "public.b"], [3])


def test_scanner_finds_owners_and_encoding():
    scanner = DumpScanner()
    scanner.feed(b"SET client_encoding = 'LATIN1';\n"
                 b"ALTER TABLE public.t OWNER TO app_owner;\n"
                 b'ALTER FUNCTION public.f(a integer) OWNER TO "Odd ""Role""";\n'
                 b"-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: app_owner\n--\n\n"
                 b"COPY public.t (a) FROM stdin;\nALTER TABLE x OWNER TO not_an_owner;\n\\.\n")
    scanner.finish()
    assert scanner.client_encoding == "LATIN1"
    assert scanner.owners == {"app_owner", 'Odd "Role"'}


@pytest.mark.parametrize("text, expected", [
    ("public.users", ("public", "users")),
    ('public."My.Table"', ("public", "My.Table")),
    ('"Odd ""S"""."t"', ('Odd "S"', "t")),
])
def test_split_qualified_name(text, expected):
    assert split_qualified_name(text) == expected


def test_soft_delete_needs_selection():
    with pytest.raises(InvalidArgument, match="give keys"):
        SoftDeleteTable(None, "db", "public", "users", ["id"])


def test_soft_delete_key_width_checked():
    with pytest.raises(InvalidArgument, match="2 columns"):
        SoftDeleteTable(None, "db", "public", "t", ["a", "b"], keys=[1])


class RecordingSwitch:
    """A stand-in for WriteSwitch that records the calls switch_writes makes."""

    database = "appdb"

    def __init__(self, read_only, sessions):
        self.read_only = read_only
        self.open_sessions = sessions
        self.calls = []

    def is_read_only(self):
        return self.read_only

    def sessions(self):
        return self.open_sessions

    def set_read_only(self, value):
        self.calls.append(("set_read_only", value))

    def terminate_sessions(self):
        self.calls.append(("terminate",))
        return len(self.open_sessions)


def test_stop_writes_ends_sessions_only_when_switching():
    first = RecordingSwitch(False, [{"pid": 1}])
    assert switch_writes(first, "stopped")["sessions_ended"] == 1
    assert first.calls == [("set_read_only", True), ("terminate",)]

    second = RecordingSwitch(True, [{"pid": 2}])
    result = switch_writes(second, "stopped")
    assert result["changed"] is False
    assert second.calls == []


def test_stop_writes_check_mode_changes_nothing():
    switch = RecordingSwitch(False, [{"pid": 1}])
    result = switch_writes(switch, "stopped", check_mode=True)
    assert result["changed"] is True
    assert switch.calls == []
