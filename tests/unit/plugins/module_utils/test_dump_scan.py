"""Unit tests of the dump scanner: COPY row counts, header, trailer and CR LF detection."""

import pytest

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.dump_scan import DumpScanner, parse_copy_table

DUMP = (
    b"--\n-- PostgreSQL database dump\n--\n\n"
    b"\\restrict abc123\n\n"
    b"-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)\n"
    b"-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)\n\n"
    b"SET statement_timeout = 0;\n"
    b"CREATE TABLE public.users (id bigint, note text);\n\n"
    b"--\n-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: app\n--\n\n"
    b"COPY public.users (id, note) FROM stdin;\n"
    b"1\tline one\\nline two\\r\\nline three\n"
    b"2\t\\\\.\n"
    b"3\t\\N\n"
    b"\\.\n\n"
    b"--\n-- Data for Name: My Table; Type: TABLE DATA; Schema: public; Owner: app\n--\n\n"
    b'COPY public."My Table" (a) FROM stdin;\n'
    b"x\n"
    b"\\.\n\n"
    b"--\n-- Data for Name: empty; Type: TABLE DATA; Schema: public; Owner: app\n--\n\n"
    b"COPY public.empty (a) FROM stdin;\n"
    b"\\.\n\n"
    b"--\n-- PostgreSQL database dump complete\n--\n\n"
    b"\\unrestrict abc123\n\n"
)


def scan(data, chunk_size):
    scanner = DumpScanner()
    for start in range(0, len(data), chunk_size):
        scanner.feed(data[start:start + chunk_size])
    scanner.finish()
    return scanner


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 7, 64, 1 << 20])
def test_scanner_counts_rows_at_any_chunk_size(chunk_size):
    scanner = scan(DUMP, chunk_size)
    assert scanner.tables == {"public.users": 3, 'public."My Table"': 1, "public.empty": 0}
    assert scanner.has_header
    assert scanner.has_trailer
    assert scanner.crlf_lines == 0
    assert scanner.raw_size == len(DUMP)


def test_scanner_reads_versions_from_header():
    scanner = scan(DUMP, 4096)
    assert scanner.server_version == "15.18 (Debian 15.18-0+deb12u1)"
    assert scanner.pg_dump_version == "15.20 (Debian 15.20-0+deb12u1)"


def test_scanner_finds_no_trailer_in_cut_dump():
    cut = DUMP[:DUMP.index(b"3\t\\N")]
    scanner = scan(cut, 10)
    assert not scanner.has_trailer
    assert scanner.in_copy_block


def test_scanner_rejects_trailer_followed_by_sql():
    data = DUMP + b"CREATE TABLE public.late (a int);\n"
    assert not scan(data, 4096).has_trailer


def test_scanner_rejects_trailer_text_inside_copy_data():
    data = DUMP.split(b"--\n-- PostgreSQL database dump complete", maxsplit=1)[0]
    data = data.replace(b"x\n\\.\n", b"x\n-- PostgreSQL database dump complete\n")
    scanner = scan(data, 4096)
    assert not scanner.has_trailer


def test_scanner_counts_crlf_lines_of_a_tty():
    tty_output = DUMP.replace(b"\n", b"\r\n")
    scanner = scan(tty_output, 13)
    assert scanner.crlf_lines > 10
    assert scanner.tables["public.users"] == 3
    assert scanner.has_header


def test_scanner_accepts_escaped_carriage_returns_in_values():
    # pg_dump writes a CR in a value as backslash r, so the CR LF check must not flag it.
    scanner = scan(DUMP, 4096)
    assert b"\\r\\n" in DUMP
    assert scanner.crlf_lines == 0


def test_scanner_skips_lines_longer_than_buffer():
    long_value = b"v" * (3 << 20)
    data = DUMP.replace(b"x\n\\.\n", b"x\n" + long_value + b"\n\\.\n")
    scanner = scan(data, 65536)
    assert scanner.tables['public."My Table"'] == 2
    assert scanner.has_trailer


def test_scanner_without_header_reports_it():
    data = DUMP.replace(b"-- PostgreSQL database dump\n", b"-- something else\n", 1)
    assert not scan(data, 4096).has_header


@pytest.mark.parametrize("line, table", [
    (b"COPY public.users (id, note) FROM stdin;", "public.users"),
    (b'COPY public."My Table" (a) FROM stdin;', 'public."My Table"'),
    (b'COPY "odd schema"."a ""quoted"" name" (a) FROM stdin;', '"odd schema"."a ""quoted"" name"'),
    (b"COPY public.t FROM stdin;", "public.t"),
    (b"CREATE TABLE x (a int);", None),
])
def test_parse_copy_table(line, table):
    assert parse_copy_table(line) == table


def test_scanner_ignores_copy_line_inside_sql_text():
    comment = (b"COMMENT ON TABLE public.users IS E'Load it with:\n"
               b"COPY public.users (id, note) FROM stdin;\n1\tx\n';\n")
    data = DUMP.replace(b"SET statement_timeout = 0;\n", b"SET statement_timeout = 0;\n" + comment)
    scanner = scan(data, 4096)
    assert scanner.tables == {"public.users": 3, 'public."My Table"': 1, "public.empty": 0}
    assert scanner.has_trailer


def test_scanner_counts_joined_dumps():
    scanner = scan(DUMP + DUMP, 4096)
    assert scanner.dump_headers == 2
