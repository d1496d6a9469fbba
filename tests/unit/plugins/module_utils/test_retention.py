"""Unit tests of the retention plan."""

import datetime

import pytest

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.retention import plan_retention

NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.timezone.utc)


def backup(days_old, valid=True):
    entry = {"path": "/b/backup-%02d.sql.gz" % days_old, "valid": valid}
    if valid:
        entry["finished_at"] = NOW - datetime.timedelta(days=days_old)
    else:
        entry["problem"] = "bad"
    return entry


def paths(entries):
    return [e["path"] for e in entries]


def test_keeps_newest_n_valid():
    kept, deleted, invalid = plan_retention([backup(d) for d in range(5)], 2, None, NOW)
    assert paths(kept) == ["/b/backup-00.sql.gz", "/b/backup-01.sql.gz"]
    assert paths(deleted) == ["/b/backup-02.sql.gz", "/b/backup-03.sql.gz", "/b/backup-04.sql.gz"]
    assert invalid == []


def test_invalid_files_are_neither_counted_nor_deleted():
    entries = [backup(0, valid=False), backup(1), backup(2, valid=False), backup(3)]
    kept, deleted, invalid = plan_retention(entries, 1, None, NOW)
    assert paths(kept) == ["/b/backup-01.sql.gz"]
    assert paths(deleted) == ["/b/backup-03.sql.gz"]
    assert paths(invalid) == ["/b/backup-00.sql.gz", "/b/backup-02.sql.gz"]


def test_keep_within_keeps_young_backups_beyond_count():
    kept, deleted, dummy = plan_retention([backup(d) for d in range(6)], 1, 3 * 86400, NOW)
    assert paths(kept) == ["/b/backup-%02d.sql.gz" % d for d in range(4)]
    assert paths(deleted) == ["/b/backup-04.sql.gz", "/b/backup-05.sql.gz"]


def test_newest_valid_survives_when_all_are_old():
    kept, deleted, dummy = plan_retention([backup(40), backup(50)], 1, 86400, NOW)
    assert paths(kept) == ["/b/backup-40.sql.gz"]
    assert paths(deleted) == ["/b/backup-50.sql.gz"]


@pytest.mark.parametrize("keep", [0, -1])
def test_keep_below_one_is_rejected(keep):
    with pytest.raises(InvalidArgument, match="at least 1"):
        plan_retention([backup(0)], keep, None, NOW)
