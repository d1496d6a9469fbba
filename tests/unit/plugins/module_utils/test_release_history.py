"""Choice of the rollback target from the deployment history and from image dates."""

from __future__ import annotations

import pytest

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.release_history import (
    ReleaseHistory,
    newest_rollback,
    previous_from_image_dates,
    repository_of,
    rollback_target_from_history,
    version_of,
)


def entry(image_id, procedure="deploy", outcome="deployed", replaced_id=None):
    return {"image": "app:%s" % image_id, "image_id": image_id, "version": image_id, "procedure": procedure,
            "outcome": outcome, "replaced_image": "app:%s" % replaced_id if replaced_id else None,
            "replaced_image_id": replaced_id, "replaced_version": replaced_id}


def test_target_is_release_newest_deploy_replaced():
    entries = [entry("v1", replaced_id="v0"), entry("v2", replaced_id="v1")]

    assert rollback_target_from_history(entries, "v2")["image_id"] == "v1"


def test_target_skips_reverted_deploys():
    entries = [entry("v2", replaced_id="v1"), entry("v3", outcome="reverted", replaced_id="v2")]

    assert rollback_target_from_history(entries, "v2")["image_id"] == "v1"


def test_target_stays_after_rollback():
    entries = [entry("v2", replaced_id="v1"), entry("v1", procedure="rollback", replaced_id="v2")]

    assert rollback_target_from_history(entries, "v1")["image_id"] == "v1"
    assert newest_rollback(entries, "v1")["procedure"] == "rollback"


def test_target_ignores_tag_order():
    # 1.1.0 sorts after 1.0.0, but 1.0.0 went live later and replaced 1.1.0.
    entries = [entry("1.1.0", replaced_id="0.9.0"), entry("1.0.0", replaced_id="1.1.0")]

    assert rollback_target_from_history(entries, "1.0.0")["image_id"] == "1.1.0"


def test_no_deploy_in_history_gives_none():
    assert rollback_target_from_history([], "v1") is None


def test_image_dates_pick_newest_older_image():
    images = [{"Id": "a", "Created": "2026-01-01T00:00:00Z"}, {"Id": "b", "Created": "2026-02-01T00:00:00Z"},
              {"Id": "c", "Created": "2026-03-01T00:00:00Z"}]

    assert previous_from_image_dates(images, images[2])["Id"] == "b"
    assert previous_from_image_dates(images, images[0]) is None


@pytest.mark.parametrize("reference, repository", [
    ("mirrorbuddy-app:1.1.0", "mirrorbuddy-app"),
    ("registry.local:5000/team/app:2", "registry.local:5000/team/app"),
    ("app@sha256:abc", "app"),
    ("app", "app"),
])
def test_repository_of(reference, repository):
    assert repository_of(reference) == repository


def test_version_prefers_label_over_tag():
    image = {"Config": {"Labels": {"org.opencontainers.image.version": "1.2.3"}}, "RepoTags": ["app:latest"]}

    assert version_of(image, "app:latest") == "1.2.3"
    assert version_of({"Config": {}, "RepoTags": []}, "app:1.0.0") == "1.0.0"
    assert version_of({"Config": {}, "RepoTags": []}, "sha256:abc") is None


def test_history_appends_and_marks(tmp_path):
    history = ReleaseHistory(str(tmp_path / "deployments"), "app")
    history.append(entry("v1"))
    history.append(entry("v2", replaced_id="v1"))

    history.mark_last("v2", "reverted")

    assert [item["outcome"] for item in history.entries()] == ["deployed", "reverted"]
    assert history.entries()[0]["time"].endswith("Z")


def test_history_rejects_relative_directory():
    with pytest.raises(InvalidArgument, match="absolute"):
        ReleaseHistory("relative/dir", "app")
