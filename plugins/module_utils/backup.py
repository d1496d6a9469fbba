# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Create a gzipped plain-SQL dump that is only given its final name after every stage succeeded."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.backup_files import (
    MANIFEST_FORMAT,
    ensure_directory,
    free_name,
    fsync_directory,
    isoformat,
    link_to_free_name,
    backups_newest_first,
    parse_isoformat,
    read_manifest,
    remove_quietly,
    render_name,
    sidecar_paths,
    utc_now,
    write_sidecars,
)
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.compression import GzipWriter
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.dump_scan import TRAILER, DumpScanner
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import (
    CommandFailed,
    DumpInvalid,
    InvalidArgument,
    OpsError,
)
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.verify import check_expectations, verify_backup

# pg_dump messages that do not make a dump incomplete; every other stderr line fails the backup.
_HARMLESS_PREFIXES = ("pg_dump: warning:", "pg_dump: detail:", "pg_dump: hint:")


# pg_dump options the module sets itself: output format and file, connection, prompting and compression.
_RESERVED_LONG_OPTIONS = ("--format", "--file", "--password", "--dbname", "--host", "--port", "--username",
                          "--jobs", "--compress")
_RESERVED_SHORT_OPTIONS = "FfWdhpUjZ"


def check_dump_options(options):
    """Reject pg_dump options that would change the output format or file, or the connection."""
    for option in options:
        if option.startswith("--"):
            reserved = option.split("=", 1)[0] in _RESERVED_LONG_OPTIONS
        else:
            reserved = option.startswith("-") and len(option) > 1 and option[1] in _RESERVED_SHORT_OPTIONS
        if reserved:
            raise InvalidArgument(
                "dump_options contains %s, which the module sets itself; remove it (the output is always plain "
                "SQL through gzip, and the connection comes from the connection options)" % option)
    return list(options)


def classify_stderr(stderr_text):
    """Split pg_dump's stderr into harmless warnings and lines that mean the dump cannot be trusted."""
    warnings, errors = [], []
    for line in stderr_text.splitlines():
        if not line.strip():
            continue
        (warnings if line.startswith(_HARMLESS_PREFIXES) else errors).append(line)
    return warnings, errors


def pg_dump_argv(target, extra_options=()):
    # Plain format to standard output; --no-password so a missing password fails instead of prompting.
    return target.client_argv("pg_dump", extra=list(extra_options))


def find_recent_backup(directory, template, database, max_age_seconds, now=None, prefer_isal=True):
    """Return the verification findings of the newest verified backup of database within max_age, or None."""
    now = now or utc_now()
    for path in backups_newest_first(directory, template):
        try:
            manifest = read_manifest(path)
        except ValueError:
            continue
        if not manifest or manifest.get("database") != database:
            continue
        finished = parse_isoformat(manifest["finished_at"])
        if (now - finished).total_seconds() > max_age_seconds:
            continue
        try:
            findings = verify_backup(path, require_manifest=True, prefer_isal=prefer_isal)
        except DumpInvalid:
            continue
        findings["manifest"] = manifest
        return findings
    return None


class BackupJob:
    """One run of pg_dump into directory/name: plan() for check mode, run() to create the files."""

    def __init__(self, target, directory, name_template, compression_level=6, prefer_isal=True,
                 dump_options=(), now=None, expect_tables=(), min_rows=None):
        self.target = target
        self.directory = directory
        self.name_template = name_template
        self.compression_level = compression_level
        self.prefer_isal = prefer_isal
        self.dump_options = list(dump_options)
        self.expect_tables = list(expect_tables)
        self.min_rows = dict(min_rows or {})
        self.started_at = now or utc_now()
        self.name = render_name(name_template, self.started_at)
        self.argv = pg_dump_argv(target, self.dump_options)

    def plan(self):
        """Return the path a run would create, without creating anything."""
        name = free_name(self.directory, self.name) if os.path.isdir(self.directory) else self.name
        return os.path.join(self.directory, name)

    def run(self):
        directory_changed = ensure_directory(self.directory)
        started_clock = time.monotonic()
        descriptor, temporary = tempfile.mkstemp(prefix="." + self.name + ".", suffix=".partial",
                                                 dir=self.directory)
        final_path = None
        try:
            with os.fdopen(descriptor, "wb", buffering=0) as handle:
                outcome = self._dump_into(handle)
                os.fsync(handle.fileno())
            finished_at = utc_now()
            final_path = link_to_free_name(temporary, self.directory, self.name)
            os.unlink(temporary)
            temporary = None
            manifest = self._manifest(final_path, outcome, finished_at, time.monotonic() - started_clock)
            write_sidecars(final_path, manifest)
            fsync_directory(self.directory)
        except BaseException:
            remove_quietly([temporary, final_path] + (sidecar_paths(final_path) if final_path else []))
            raise
        manifest["path"] = final_path
        manifest["directory_changed"] = directory_changed
        manifest["warnings"] = outcome["warnings"]
        return manifest

    def _dump_into(self, handle):
        writer = GzipWriter(self.compression_level, self.prefer_isal)
        scanner = DumpScanner()
        digest = hashlib.sha256()
        compressed_size = 0

        def write(data):
            try:
                _write_all(handle, data)
            except OSError as exc:
                raise OpsError("writing the backup to %s failed: %s" % (self.directory, exc.strerror or exc),
                               errno=exc.errno)
            digest.update(data)
            return len(data)

        stream = self.target.stream(self.argv)
        try:
            for chunk in stream.chunks():
                scanner.feed(chunk)
                compressed = writer.write(chunk)
                if compressed:
                    compressed_size += write(compressed)
            compressed_size += write(writer.finish())
        except BaseException:
            stream.abort()
            raise
        scanner.finish()
        result = stream.wait()
        warnings = self._check_dump(result, scanner)
        # A dump that lacks what the caller requires never gets a final name, so it can never be taken for
        # the newest valid backup by a restore or by retention.
        missing = check_expectations(scanner.tables, self.expect_tables, self.min_rows)
        if missing:
            raise DumpInvalid("the dump of database %s does not meet the expectations (%s); no backup file was kept"
                              % (self.target.database, "; ".join(missing)), tables=dict(scanner.tables))
        return {"scanner": scanner, "sha256": digest.hexdigest(), "compressed_size": compressed_size,
                "library": writer.library, "level": writer.level, "warnings": warnings}

    def _check_dump(self, result, scanner):
        """Raise CommandFailed unless pg_dump exited 0, wrote no error and its output reached the trailer."""
        warnings, errors = classify_stderr(result.stderr_text)
        problems = []
        if result.exit_code != 0:
            problems.append("exit status %s" % result.exit_code)
        if errors:
            problems.append("stderr: %s" % " | ".join(errors))
        if not scanner.has_header:
            problems.append("its output has no '-- PostgreSQL database dump' header")
        if not scanner.has_trailer:
            problems.append("its output ended after %d bytes without the '%s' trailer" % (
                scanner.raw_size, TRAILER.decode()))
        if scanner.crlf_lines:
            problems.append("%d lines of its output end in CR LF" % scanner.crlf_lines)
        if problems:
            raise CommandFailed(
                "pg_dump of database %s failed (%s); no backup file was kept" % (
                    self.target.database, "; ".join(problems)),
                exit_code=result.exit_code, stderr=result.stderr_text, command=self.argv)
        return warnings

    def _manifest(self, path, outcome, finished_at, duration):
        scanner = outcome["scanner"]
        return {
            "format": MANIFEST_FORMAT,
            "file": os.path.basename(path),
            "database": self.target.database,
            "target": self.target.describe(),
            "server_version": scanner.server_version,
            "pg_dump_version": scanner.pg_dump_version,
            "started_at": isoformat(self.started_at),
            "finished_at": isoformat(finished_at),
            "duration_seconds": round(duration, 3),
            "raw_size": scanner.raw_size,
            "compressed_size": outcome["compressed_size"],
            "sha256": outcome["sha256"],
            "compression": {"format": "gzip", "library": outcome["library"], "level": outcome["level"]},
            "tables": dict(scanner.tables),
            "row_count": sum(scanner.tables.values()),
            "trailer": scanner.has_trailer,
        }


def _write_all(handle, data):
    view = memoryview(data)
    while view:
        written = handle.write(view)
        view = view[written:]
