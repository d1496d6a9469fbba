# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify a gzipped plain-SQL dump in one streaming pass.

One read of the file checks the gzip stream to its end, the sha256 against the manifest and the .sha256
file, the dump's header and completion trailer, CR LF line endings and the row counts of every COPY block.
`gunzip -t` checks only the first of these, so a dump cut short before its trailer passes it.
"""

from __future__ import annotations

import hashlib
import os

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.backup_files import (
    read_manifest,
    read_sha256_digest,
    sha256_path,
)
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.compression import GZIP_MAGIC, GzipReader
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.dump_scan import TRAILER, DumpScanner
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import DumpInvalid

READ_SIZE = 1 << 20


def _first_bytes(path, count):
    with open(path, "rb") as handle:
        return handle.read(count)


def _describe_non_gzip(head):
    text = head.lstrip()
    if text.startswith(b"--") or text[:6].upper() in (b"CREATE", b"SELECT", b"INSERT", b"BEGIN;", b"SET ST"):
        return "it looks like plain SQL; a backup file must be gzip-compressed (gzip FILE)"
    if head.startswith(b"PGDMP"):
        return "it is a pg_dump custom-format archive; restore it with pg_restore"
    return "it starts with bytes %s instead of the gzip magic 1f 8b" % head[:4].hex(" ")


def check_expectations(tables, expect_tables=(), min_rows=None):
    """Return the problems with the found row counts: tables that must be present, minimum rows."""
    problems = []
    names = _names_by_unqualified(tables)
    for wanted in expect_tables or ():
        if _lookup(tables, names, wanted) is None:
            problems.append("table %s is not in the dump" % wanted)
    for wanted, minimum in (min_rows or {}).items():
        rows = _lookup(tables, names, wanted)
        if rows is None:
            problems.append("table %s is not in the dump (expected at least %s rows)" % (wanted, minimum))
        elif rows < int(minimum):
            problems.append("table %s has %s rows, fewer than the expected minimum of %s" % (wanted, rows, minimum))
    return problems


def _names_by_unqualified(tables):
    names = {}
    for qualified in tables:
        names.setdefault(qualified.split(".", 1)[-1].strip('"'), []).append(qualified)
    return names


def _lookup(tables, names, wanted):
    """Find a table by its qualified name as pg_dump writes it, or by a bare name when that is unique."""
    if wanted in tables:
        return tables[wanted]
    matches = names.get(wanted.strip('"'), [])
    if len(matches) == 1:
        return tables[matches[0]]
    return None


def verify_backup(path, require_manifest=False, expect_tables=(), min_rows=None, prefer_isal=True):
    """Return what the file holds; raise DumpInvalid naming the first problem, with all findings attached."""
    findings = {"path": path, "problems": []}

    if not os.path.exists(path):
        raise DumpInvalid("backup file %s not found" % path, **findings)
    if not os.path.isfile(path):
        raise DumpInvalid("backup path %s is not a regular file" % path, **findings)
    size = os.path.getsize(path)
    findings["compressed_size"] = size
    if size == 0:
        raise DumpInvalid("%s is an empty file (0 bytes), not a gzip file" % path, **findings)
    head = _first_bytes(path, 64)
    if not head.startswith(GZIP_MAGIC):
        raise DumpInvalid("%s is not a gzip file: %s" % (path, _describe_non_gzip(head)), **findings)

    try:
        manifest = read_manifest(path)
    except ValueError as exc:
        raise DumpInvalid(str(exc), **findings)
    findings["manifest_found"] = manifest is not None
    if manifest is None and require_manifest:
        raise DumpInvalid(
            "%s has no manifest (%s); it was not written by pg_backup or its manifest was removed"
            % (path, os.path.basename(path) + ".manifest.json"), **findings)

    digest = hashlib.sha256()
    reader = GzipReader(prefer_isal)
    scanner = DumpScanner()
    findings["library"] = reader.library
    try:
        with open(path, "rb") as handle:
            while True:
                chunk = handle.read(READ_SIZE)
                if not chunk:
                    break
                digest.update(chunk)
                scanner.feed(reader.feed(chunk))
        reader.finish()
        scanner.finish()
    except ValueError as exc:
        findings.update(scanner.summary())
        raise DumpInvalid("%s is not a valid gzip file: %s" % (path, exc), **findings)

    findings.update(scanner.summary())
    findings["sha256"] = digest.hexdigest()
    findings["gzip_members"] = reader.members
    problems = findings["problems"]

    if not scanner.has_header:
        problems.append("no '-- PostgreSQL database dump' header: the file is not a plain-SQL pg_dump")
    if scanner.dump_headers > 1:
        problems.append("the file holds %d dumps joined together; a backup must hold exactly one"
                        % scanner.dump_headers)
    if not scanner.has_trailer:
        if scanner.in_copy_block:
            where = "inside the COPY data of %s" % scanner._copy_table
        else:
            where = "after %d bytes of SQL" % scanner.raw_size
        problems.append("the dump is truncated: it ends %s without the '%s' trailer"
                        % (where, TRAILER.decode()))
    if scanner.crlf_lines:
        problems.append(
            "%d lines of the dump end in CR LF: a TTY was allocated between pg_dump and the file, which "
            "changes the data; take the backup again without a TTY (docker exec without -t)"
            % scanner.crlf_lines)

    recorded_digest = read_sha256_digest(path)
    if recorded_digest is not None and recorded_digest != findings["sha256"]:
        problems.append("sha256 %s does not match %s in %s" % (
            findings["sha256"], recorded_digest, os.path.basename(sha256_path(path))))

    if manifest is not None:
        problems.extend(_compare_with_manifest(findings, manifest))
        findings["manifest"] = {key: manifest.get(key) for key in (
            "database", "started_at", "finished_at", "server_version", "pg_dump_version", "sha256")}

    problems.extend(check_expectations(findings["tables"], expect_tables, min_rows))

    findings["valid"] = not problems
    if problems:
        raise DumpInvalid("%s failed verification: %s" % (path, "; ".join(problems)), **findings)
    return findings


def _compare_with_manifest(findings, manifest):
    problems = []
    if manifest.get("sha256") != findings["sha256"]:
        problems.append("sha256 %s does not match the manifest's %s" % (findings["sha256"], manifest.get("sha256")))
    if manifest.get("compressed_size") != findings["compressed_size"]:
        problems.append("size %s bytes does not match the manifest's %s" % (
            findings["compressed_size"], manifest.get("compressed_size")))
    if manifest.get("raw_size") is not None and manifest.get("raw_size") != findings["raw_size"]:
        problems.append("uncompressed size %s bytes does not match the manifest's %s" % (
            findings["raw_size"], manifest.get("raw_size")))
    recorded = manifest.get("tables") or {}
    for table, rows in sorted(recorded.items()):
        found = findings["tables"].get(table)
        if found != rows:
            problems.append("table %s has %s rows, the manifest records %s" % (table, found, rows))
    for table in sorted(set(findings["tables"]) - set(recorded)):
        problems.append("table %s is in the dump but not in the manifest" % table)
    return problems
