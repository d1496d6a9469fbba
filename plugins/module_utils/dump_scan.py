# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read facts from a plain-SQL pg_dump stream in one pass, chunk by chunk, with constant memory.

The scanner finds the rows of every COPY block, the versions in the dump header, the completion trailer
and CR LF line endings, which appear when a TTY sat between pg_dump and the file. pg_dump writes a CR
inside a value as the two characters backslash and r, so a raw CR LF ending a line is not pg_dump's output.
"""

from __future__ import annotations

import re

TRAILER = b"-- PostgreSQL database dump complete"
HEADER = b"-- PostgreSQL database dump"
COPY_PREFIX = b"COPY "
COPY_END = b"\\."
_VERSION_LINES = {
    b"-- Dumped from database version ": "server_version",
    b"-- Dumped by pg_dump version ": "pg_dump_version",
}
# Lines that may follow the trailer: the comment frame around it and, since PostgreSQL 17.6, 16.10 and
# 15.14, the \unrestrict meta-command that closes the \restrict at the top of the dump.
_AFTER_TRAILER = (b"", b"--")
_UNRESTRICT = b"\\unrestrict "
_DATA_COMMENT = b"-- Data for Name: "
_TABLE_DATA = b"; Type: TABLE DATA;"
_MAX_LINE_BYTES = 1 << 20  # longer lines are counted but not kept; COPY headers are far shorter
_CLIENT_ENCODING = re.compile(rb"^SET client_encoding = '([^']+)';$")
# pg_dump writes one `ALTER <kind> <name> OWNER TO <role>;` line per owned object.
_OWNER_TO = re.compile(rb"^ALTER [A-Z ]+ .+ OWNER TO (\"(?:[^\"]|\"\")+\"|[^ ;\"]+);$")


def parse_copy_table(line):
    """Return the table of a COPY line as pg_dump wrote it (for example public."My Table"), or None.

    pg_dump writes `COPY schema.table (col, ...) FROM stdin;` with identifiers quoted where needed, so the
    name ends at the first space outside double quotes.
    """
    if not line.startswith(COPY_PREFIX):
        return None
    text = line[len(COPY_PREFIX):].decode("utf-8", "replace")
    in_quotes = False
    for index, char in enumerate(text):
        if char == '"':
            in_quotes = not in_quotes
        elif char == " " and not in_quotes:
            return text[:index]
    return None


class DumpScanner:
    """Feed decompressed dump bytes in order; read the results from the attributes when done.

    Attributes: tables (table name to row count, in dump order), server_version, pg_dump_version,
    has_header, has_trailer, crlf_lines (lines of the dump's own SQL that end in CR LF), raw_size.
    """

    def __init__(self):
        self.tables = {}
        self.server_version = None
        self.pg_dump_version = None
        self.has_header = False
        self.dump_headers = 0  # more than one means several dumps were joined into one file
        # pg_dump writes a "-- Data for Name: T; Type: TABLE DATA; ..." comment before every COPY block. A
        # COPY line without it is text inside a literal, comment or function body, not table data.
        self._data_comment_seen = False
        self.client_encoding = None
        self.owners = set()  # roles that ALTER ... OWNER TO lines give objects to
        self.crlf_lines = 0
        self.raw_size = 0
        self.lines_seen = 0
        self._copy_table = None  # the table whose COPY data is being read
        self._partial = b""  # the start of a line whose newline has not arrived yet
        self._trailer_last = False  # the trailer was seen and only closing lines came after it
        self._in_long_line = False

    @property
    def has_trailer(self):
        return self._trailer_last and self._copy_table is None

    @property
    def in_copy_block(self):
        return self._copy_table is not None

    def feed(self, chunk):
        if not chunk:
            return
        self.raw_size += len(chunk)

        if self._in_long_line:
            newline = chunk.find(b"\n")
            if newline < 0:
                return
            self._end_long_line()
            chunk = chunk[newline + 1:]
            if not chunk:
                return

        data = self._partial + chunk if self._partial else chunk
        end = data.rfind(b"\n")
        self._partial = data[end + 1:]
        if len(self._partial) > _MAX_LINE_BYTES:
            # A line this long is a data row or a large SQL literal, never a line the scanner looks for,
            # so its bytes are skipped until its newline instead of being buffered.
            self._partial = b""
            self._in_long_line = True
        if end >= 0:
            self._scan_lines(data, end + 1)

    def _end_long_line(self):
        self._in_long_line = False
        if self._copy_table is not None:
            self.tables[self._copy_table] += 1
        else:
            self.lines_seen += 1
            self._trailer_last = False

    def finish(self):
        """Account for a last line without a newline."""
        if self._in_long_line:
            self._end_long_line()
        if self._partial:
            data = self._partial + b"\n"
            self._partial = b""
            self._scan_lines(data, len(data))

    def _scan_lines(self, data, stop):
        # data[:stop] contains whole lines. COPY data is counted with bytes.count, which keeps the pass fast,
        # because only lines outside COPY blocks are looked at one by one and a dump is mostly COPY data.
        position = 0
        while position < stop:
            if self._copy_table is not None:
                position = self._scan_copy_data(data, position, stop)
                continue

            line_end = data.index(b"\n", position, stop)
            line = data[position:line_end]
            position = line_end + 1
            self.lines_seen += 1
            self._scan_sql_line(line)

    def _scan_copy_data(self, data, position, stop):
        if data.startswith(COPY_END + b"\n", position) or data.startswith(COPY_END + b"\r\n", position):
            terminator = position
        else:
            terminator = data.find(b"\n" + COPY_END + b"\n", position - 1 if position else 0, stop)
            if terminator < 0:
                terminator = data.find(b"\n" + COPY_END + b"\r\n", position - 1 if position else 0, stop)
            if terminator >= 0:
                terminator += 1
        if terminator < 0 or terminator >= stop:
            self.tables[self._copy_table] += data.count(b"\n", position, stop)
            return stop

        self.tables[self._copy_table] += data.count(b"\n", position, terminator)
        line_end = data.index(b"\n", terminator, stop)
        if data[line_end - 1:line_end] == b"\r":
            self.crlf_lines += 1
        self._copy_table = None
        return line_end + 1

    def _scan_sql_line(self, line):
        if line.endswith(b"\r"):
            self.crlf_lines += 1
            line = line[:-1]
        if line == TRAILER:
            self._trailer_last = True
            return
        if self._trailer_last and line not in _AFTER_TRAILER and not line.startswith(_UNRESTRICT):
            self._trailer_last = False
        if line.startswith(COPY_PREFIX) and line.endswith(b"FROM stdin;") and self._data_comment_seen:
            table = parse_copy_table(line)
            if table is not None:
                self._copy_table = table
                self.tables.setdefault(table, 0)
                self._data_comment_seen = False
                return
        if line.startswith(_DATA_COMMENT) and _TABLE_DATA in line:
            self._data_comment_seen = True
            return
        if line not in _AFTER_TRAILER:
            self._data_comment_seen = False
        if line.startswith(b"ALTER ") and b" OWNER TO " in line:
            match = _OWNER_TO.match(line)
            if match:
                self.owners.add(unquote_identifier(match.group(1).decode("utf-8", "replace")))
            return
        if self.client_encoding is None and line.startswith(b"SET client_encoding"):
            match = _CLIENT_ENCODING.match(line)
            if match:
                self.client_encoding = match.group(1).decode("ascii", "replace")
            return
        if line == HEADER:
            self.has_header = True
            self.dump_headers += 1
            return
        for prefix, attribute in _VERSION_LINES.items():
            if line.startswith(prefix) and getattr(self, attribute) is None:
                setattr(self, attribute, line[len(prefix):].decode("utf-8", "replace").strip())

    def summary(self):
        return {
            "tables": dict(self.tables),
            "server_version": self.server_version,
            "pg_dump_version": self.pg_dump_version,
            "header": self.has_header,
            "dump_headers": self.dump_headers,
            "trailer": self.has_trailer,
            "crlf_lines": self.crlf_lines,
            "raw_size": self.raw_size,
            "client_encoding": self.client_encoding,
            "owners": sorted(self.owners),
        }


def unquote_identifier(text):
    """Return an SQL identifier as PostgreSQL stores it, without the quotes and with doubled quotes undone."""
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return text[1:-1].replace('""', '"')
    return text


def split_qualified_name(text):
    """Split a name as pg_dump writes it (public."My Table") into its unquoted schema and name."""
    parts, current, in_quotes = [], "", False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
        if char == "." and not in_quotes:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    if len(parts) != 2:
        raise ValueError("%s is not a schema-qualified table name" % text)
    return unquote_identifier(parts[0]), unquote_identifier(parts[1])


def version_number(version_text):
    """Return the leading major.minor of a version string such as '15.18 (Debian 15.18-0+deb12u1)'."""
    match = re.match(r"\s*(\d+(?:\.\d+)?)", version_text or "")
    return match.group(1) if match else None
