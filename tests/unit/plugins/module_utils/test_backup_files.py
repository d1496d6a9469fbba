"""Unit tests of backup file names, durations, sidecars and manifests."""

import datetime
import os

import pytest

from ansible_collections.mirrorbuddy.ops.plugins.module_utils import backup_files
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument

MOMENT = datetime.datetime(2026, 12, 4, 21, 10, 59, tzinfo=datetime.timezone.utc)


def test_render_name_uses_utc():
    local = MOMENT.astimezone(datetime.timezone(datetime.timedelta(hours=5)))
    assert backup_files.render_name(backup_files.DEFAULT_TEMPLATE, local) == "backup-20261204-2110.sql.gz"


@pytest.mark.parametrize("template", ["", "../x.sql.gz", "a/b.sql.gz", ".hidden.sql.gz", "backup.sql"])
def test_check_template_rejects_bad_names(template):
    with pytest.raises(InvalidArgument, match="name_template"):
        backup_files.check_template(template)


@pytest.mark.parametrize("name, matches", [
    ("backup-20261204-2110.sql.gz", True),
    ("backup-20261204-2110-2.sql.gz", True),
    ("backup-20261204-2110-13.sql.gz", True),
    ("backup-pre-upgrade-20261204.sql.gz", False),
    ("backup-20261204-2110.sql.gz.manifest.json", False),
    ("backup-2026124-2110.sql.gz", False),
    ("xbackup-20261204-2110.sql.gz", False),
])
def test_template_regex_matches_only_own_names(name, matches):
    assert bool(backup_files.template_regex(backup_files.DEFAULT_TEMPLATE).match(name)) is matches


def test_template_regex_escapes_glob_characters():
    pattern = backup_files.template_regex("backup-[prod]-%Y%m%d-%H%M%S.sql.gz")
    assert pattern.match("backup-[prod]-20261204-211059.sql.gz")
    assert not pattern.match("backup-p-20261204-211059.sql.gz")


def test_backups_newest_first_uses_manifest_time(tmp_path):
    for name, finished in (("backup-20261204-2239.sql.gz", "2026-12-04T22:39:01Z"),
                           ("backup-20261204-2239-2.sql.gz", "2026-12-04T22:39:30Z"),
                           ("backup-20261204-2239-3.sql.gz", "2026-12-04T22:39:50Z")):
        path = str(tmp_path / name)
        (tmp_path / name).write_bytes(b"x")
        backup_files.write_sidecars(path, {"format": backup_files.MANIFEST_FORMAT, "sha256": "0" * 64,
                                           "finished_at": finished})
    ordered = backup_files.backups_newest_first(str(tmp_path), backup_files.DEFAULT_TEMPLATE)
    newest = [os.path.basename(path) for path in ordered]
    assert newest == ["backup-20261204-2239-3.sql.gz", "backup-20261204-2239-2.sql.gz",
                      "backup-20261204-2239.sql.gz"]


def test_ensure_directory_rejects_dangling_symlink(tmp_path):
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "missing")
    with pytest.raises(InvalidArgument, match="does not exist"):
        backup_files.ensure_directory(str(link))


def test_candidate_names_add_number_before_extension():
    names = backup_files.candidate_names("backup-20261204-2110.sql.gz")
    assert [next(names) for dummy in range(3)] == [
        "backup-20261204-2110.sql.gz", "backup-20261204-2110-2.sql.gz", "backup-20261204-2110-3.sql.gz"]


def test_link_to_free_name_never_replaces(tmp_path):
    existing = tmp_path / "backup-1.sql.gz"
    existing.write_bytes(b"old")
    temporary = tmp_path / ".partial"
    temporary.write_bytes(b"new")
    path = backup_files.link_to_free_name(str(temporary), str(tmp_path), "backup-1.sql.gz")
    assert path == str(tmp_path / "backup-1-2.sql.gz")
    assert existing.read_bytes() == b"old"
    assert (tmp_path / "backup-1-2.sql.gz").read_bytes() == b"new"


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("30m", 1800), ("1h", 3600), ("7d", 604800),
                                           ("2w", 1209600), (" 5 h ", 18000), (42, 42)])
def test_parse_duration(text, seconds):
    assert backup_files.parse_duration(text, "option") == seconds


@pytest.mark.parametrize("text", ["1", "1y", "h", "-1h", "1.5h", ""])
def test_parse_duration_rejects_bad_values(text):
    with pytest.raises(InvalidArgument, match="option is"):
        backup_files.parse_duration(text, "option")


def test_sha256_line_is_sha256sum_format():
    line = backup_files.sha256_line("/x/backup-1.sql.gz", "ab" * 32)
    assert line == ("ab" * 32 + "  backup-1.sql.gz\n").encode()


def test_sidecars_round_trip(tmp_path):
    path = str(tmp_path / "backup-1.sql.gz")
    manifest = {"format": backup_files.MANIFEST_FORMAT, "sha256": "cd" * 32, "finished_at": "2026-12-04T21:10:59Z"}
    backup_files.write_sidecars(path, manifest)
    assert backup_files.read_manifest(path) == manifest
    assert backup_files.read_sha256_digest(path) == "cd" * 32
    assert os.stat(backup_files.manifest_path(path)).st_mode & 0o777 == 0o600
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".partial")]


def test_read_manifest_rejects_foreign_json(tmp_path):
    path = str(tmp_path / "backup-1.sql.gz")
    (tmp_path / "backup-1.sql.gz.manifest.json").write_text('{"hello": 1}')
    with pytest.raises(ValueError, match="not a mirrorbuddy.ops/backup-manifest/1"):
        backup_files.read_manifest(path)


def test_ensure_directory_creates_0700(tmp_path):
    directory = str(tmp_path / "a" / "b")
    assert backup_files.ensure_directory(directory) is True
    assert os.stat(directory).st_mode & 0o777 == 0o700
    assert backup_files.ensure_directory(directory) is False


def test_ensure_directory_narrows_wide_mode(tmp_path):
    directory = tmp_path / "wide"
    directory.mkdir(mode=0o755)
    assert backup_files.ensure_directory(str(directory)) is True
    assert os.stat(directory).st_mode & 0o777 == 0o700


def test_ensure_directory_rejects_relative_path():
    with pytest.raises(InvalidArgument, match="absolute"):
        backup_files.ensure_directory("backups")


def test_list_backups_ignores_other_files(tmp_path):
    for name in ["backup-20261201-0100.sql.gz", "backup-20261201-0100-2.sql.gz", "notes.txt", "backup-pre-x.sql.gz",
                 "backup-20261201-0100.sql.gz.manifest.json", ".backup-20261202-0100.sql.gz.x.partial"]:
        (tmp_path / name).write_bytes(b"x")
    found = [os.path.basename(p) for p in backup_files.list_backups(str(tmp_path), backup_files.DEFAULT_TEMPLATE)]
    assert found == ["backup-20261201-0100-2.sql.gz", "backup-20261201-0100.sql.gz"]
