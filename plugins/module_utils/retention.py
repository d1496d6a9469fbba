# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retention of backups: which valid backups to keep, which to delete, and which files to report."""

from __future__ import annotations

import glob
import hashlib
import os

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.backup_files import (
    list_backups,
    parse_isoformat,
    read_manifest,
    read_sha256_digest,
    sidecar_paths,
)
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import DumpInvalid, InvalidArgument
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.verify import verify_backup


def plan_retention(backups, keep, keep_within_seconds, now):
    """Split backups into (kept, deleted, invalid) lists.

    backups are dicts with path, valid and, for valid ones, finished_at (an aware datetime). A valid
    backup is kept when it is one of the newest `keep` or, with keep_within_seconds, younger than that.
    Because keep is at least 1, the newest valid backup is always kept. Invalid backups are neither kept nor deleted: they are
    returned for a person to look at.
    """
    if keep < 1:
        raise InvalidArgument("keep is %s; it must be at least 1 so the newest valid backup stays" % keep)
    valid = sorted((b for b in backups if b["valid"]), key=lambda b: (b["finished_at"], b["path"]), reverse=True)
    invalid = [b for b in backups if not b["valid"]]
    kept, deleted = [], []
    for index, backup in enumerate(valid):
        young = keep_within_seconds is not None and (now - backup["finished_at"]).total_seconds() <= keep_within_seconds
        (kept if index < keep or young else deleted).append(backup)
    return kept, deleted, invalid


def inspect_backup(path, verification, prefer_isal=True):
    """Return a dict describing one backup file: valid or not, when it finished, and why it is invalid."""
    entry = {"path": path, "valid": False}
    try:
        manifest = read_manifest(path)
    except ValueError as exc:
        entry["problem"] = str(exc)
        return entry
    if manifest is None:
        entry["problem"] = "no manifest: the file was not written by pg_backup or its manifest was removed"
        return entry
    try:
        entry["finished_at"] = parse_isoformat(manifest["finished_at"])
    except (KeyError, TypeError, ValueError):
        entry["problem"] = "the manifest has no valid finished_at time"
        return entry
    entry["database"] = manifest.get("database")

    if verification == "full":
        try:
            verify_backup(path, require_manifest=True, prefer_isal=prefer_isal)
        except DumpInvalid as exc:
            entry["problem"] = exc.message
            return entry
    else:
        size = os.path.getsize(path)
        if size != manifest.get("compressed_size"):
            entry["problem"] = "size %s bytes does not match the manifest's %s" % (size, manifest.get("compressed_size"))
            return entry
        recorded = read_sha256_digest(path)
        if recorded is not None and recorded != manifest.get("sha256"):
            entry["problem"] = "the .sha256 file does not match the manifest"
            return entry
        # Hashing without decompressing is several times cheaper than a full check and still finds any
        # changed byte, so a damaged newest backup is never kept in place of a good one.
        digest = file_sha256(path)
        if digest != manifest.get("sha256"):
            entry["problem"] = "sha256 %s does not match the manifest's %s" % (digest, manifest.get("sha256"))
            return entry
    entry["valid"] = True
    return entry


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def stale_temporary_files(directory):
    """Return partial files that an interrupted run left behind; they are reported, not removed."""
    return sorted(glob.glob(os.path.join(glob.escape(directory), ".*.partial")))


def prune(directory, template, keep, keep_within_seconds, now, verification="full", database=None,
          check_mode=False, prefer_isal=True):
    """Apply the retention plan to a directory and return what was kept, deleted and reported."""
    if not os.path.isdir(directory):
        # Nothing was ever backed up here (or, in check mode, the first backup is still to be made).
        return {"kept": [], "deleted": [], "invalid": [], "stale_temporary_files": []}
    entries = [inspect_backup(path, verification, prefer_isal) for path in list_backups(directory, template)]
    if database is not None:
        entries = [e for e in entries if not e["valid"] or e.get("database") == database]
    kept, deleted, invalid = plan_retention(entries, keep, keep_within_seconds, now)
    if not check_mode:
        for backup in deleted:
            # The dump goes first: an interruption then leaves only sidecars, never a dump without a manifest.
            for path in [backup["path"]] + sidecar_paths(backup["path"]):
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
    return {
        "kept": [b["path"] for b in kept],
        "deleted": [b["path"] for b in deleted],
        "invalid": [{"path": b["path"], "problem": b["problem"]} for b in invalid],
        "stale_temporary_files": stale_temporary_files(directory),
    }
