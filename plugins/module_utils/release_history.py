# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deployment history of an app container, and the choice of the version a rollback returns to.

The history is a JSON file per container on the managed node, newest entry last. Each entry records an
image that went live: reference, image ID, version, UTC time, procedure (deploy or rollback) and outcome
(deployed, or reverted when the rollout put the previous container back) and the release it replaced.
A rollback returns to the release that the newest live deploy replaced. Only when no history exists does
the choice fall back to image creation dates within the running image's repository.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument, OpsError

MAX_ENTRIES = 200  # older entries are dropped so the file stays small


class NoPreviousRelease(OpsError):
    """Neither the history nor the local images name a version to roll back to."""


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ReleaseHistory:
    """The deployment history file of one container."""

    def __init__(self, directory, container):
        if not directory or not os.path.isabs(directory):
            raise InvalidArgument("history_dir is %r; give an absolute directory path" % directory)
        self.path = os.path.join(directory, "%s.json" % container)

    def entries(self):
        try:
            with open(self.path, encoding="utf-8") as handle:
                entries = json.load(handle)
        except FileNotFoundError:
            return []
        except ValueError as exc:
            raise OpsError("the deployment history %s is not valid JSON (%s); move it aside to start a new "
                           "history" % (self.path, exc))
        if not isinstance(entries, list):
            raise OpsError("the deployment history %s does not contain a JSON list" % self.path)
        return entries

    def append(self, entry):
        entries = self.entries() + [dict(entry, time=entry.get("time") or utc_now())]
        self._write(entries[-MAX_ENTRIES:])
        return entries[-1]

    def mark_last(self, image_id, outcome):
        """Set the outcome of the newest entry of image_id, for example to reverted."""
        entries = self.entries()
        for entry in reversed(entries):
            if entry.get("image_id") == image_id:
                entry["outcome"] = outcome
                self._write(entries)
                return entry
        return None

    def _write(self, entries):
        directory = os.path.dirname(self.path)
        os.makedirs(directory, mode=0o750, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".history-")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(entries, handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise


def rollback_target_from_history(entries, current_image_id):
    """Return the release the newest deploy replaced, or None when the history has no deploy.

    A rollback undoes the newest live deploy. A second rollback finds the same target, already running, and
    changes nothing, so going further back needs an image name. Entries with the outcome reverted never
    went live and are skipped.
    """
    for entry in reversed(entries):
        if entry.get("outcome") == "deployed" and entry.get("procedure", "deploy") == "deploy":
            if not entry.get("replaced_image_id"):
                return None
            return {"image": entry["replaced_image"], "image_id": entry["replaced_image_id"],
                    "version": entry.get("replaced_version"), "undoes": entry}
    return None


def newest_rollback(entries, current_image_id):
    """Return the newest live rollback entry when it is the running image, else None."""
    for entry in reversed(entries):
        if entry.get("outcome") == "deployed":
            if entry.get("procedure") == "rollback" and entry.get("image_id") == current_image_id:
                return entry
            return None
    return None


def previous_from_image_dates(images, current_image):
    """Return the newest image of the same repository created before the current one, or None.

    images are Docker image inspect dicts. Creation dates are a guess at the deployment order, used only
    without a history: an image rebuilt later sorts after the one it replaced.
    """
    candidates = [image for image in images
                  if image["Id"] != current_image["Id"] and image["Created"] < current_image["Created"]]
    if not candidates:
        return None
    return max(candidates, key=lambda image: image["Created"])


def repository_of(reference):
    """Return the repository part of an image reference (mirrorbuddy-app of mirrorbuddy-app:1.1.0)."""
    name = reference.split("@", 1)[0]
    last_part = name.rsplit("/", 1)[-1]
    if ":" in last_part:
        name = name[:len(name) - len(last_part)] + last_part.split(":", 1)[0]
    return name


def version_of(image, reference=None):
    """Return an image's version: its OCI version label, else the tag of the reference."""
    labels = (image.get("Config") or {}).get("Labels") or {}
    if labels.get("org.opencontainers.image.version"):
        return labels["org.opencontainers.image.version"]
    tags = [reference] if reference else []
    tags += image.get("RepoTags") or []
    for tag in tags:
        if tag.startswith("sha256:"):
            continue
        last_part = tag.rsplit("/", 1)[-1]
        if ":" in last_part:
            return last_part.split(":", 1)[1]
    return None
