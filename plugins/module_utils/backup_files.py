# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup files on disk: names, the JSON manifest and the .sha256 file beside each dump."""

from __future__ import annotations

import datetime
import errno
import json
import os
import re
import tempfile

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument

MANIFEST_SUFFIX = ".manifest.json"
SHA256_SUFFIX = ".sha256"
MANIFEST_FORMAT = "mirrorbuddy.ops/backup-manifest/1"
DEFAULT_TEMPLATE = "backup-%Y%m%d-%H%M.sql.gz"

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_STRFTIME_DIRECTIVE = re.compile(r"%[-_0^#]?[A-Za-z%]")
_EXTENSIONS = (".sql.gz", ".gz")


def parse_duration(text, option):
    """Return the seconds of a duration such as 90s, 30m, 1h, 7d or 2w."""
    if isinstance(text, int):
        return text
    match = _DURATION.match(str(text))
    if not match:
        raise InvalidArgument(
            "%s is %r; give a whole number with a unit s, m, h, d or w, for example 1h or 7d" % (option, text))
    return int(match.group(1)) * _DURATION_UNITS[match.group(2)]


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def isoformat(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_isoformat(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def check_template(template):
    """Reject name templates that would leave the backup directory or not make a .gz file."""
    if not template or "/" in template or template.startswith("."):
        raise InvalidArgument(
            "name_template %r must be a file name without '/' that does not start with '.', for example %s"
            % (template, DEFAULT_TEMPLATE))
    if not template.endswith(".gz"):
        raise InvalidArgument(
            "name_template %r must end in .gz (or .sql.gz) because the file is gzip-compressed" % template)
    return template


def render_name(template, moment):
    """Return the file name for a backup started at moment (UTC)."""
    return moment.astimezone(datetime.timezone.utc).strftime(check_template(template))


# Patterns of the text each strftime directive of a UTC time produces. Other directives match any text.
_DIRECTIVE_PATTERNS = {"%Y": r"\d{4}", "%m": r"\d{2}", "%d": r"\d{2}", "%H": r"\d{2}", "%M": r"\d{2}",
                       "%S": r"\d{2}", "%y": r"\d{2}", "%j": r"\d{3}", "%%": "%"}


def template_regex(template):
    """Return a compiled regex that matches exactly the names the template produces, -2, -3 ... included.

    Literal characters match only themselves, so another template's files in the same directory (for
    example backup-pre-upgrade-%Y%m%d.sql.gz beside backup-%Y%m%d-%H%M.sql.gz) are never taken for these.
    """
    stem, extension = split_extension(check_template(template))
    parts = []
    position = 0
    for match in _STRFTIME_DIRECTIVE.finditer(stem):
        parts.append(re.escape(stem[position:match.start()]))
        parts.append(_DIRECTIVE_PATTERNS.get(match.group(0), ".+?"))
        position = match.end()
    parts.append(re.escape(stem[position:]))
    return re.compile("^%s(?:-[0-9]+)?%s$" % ("".join(parts), re.escape(extension)))


def split_extension(name):
    for extension in _EXTENSIONS:
        if name.endswith(extension):
            return name[: -len(extension)], extension
    return name, ""


def candidate_names(name):
    """Yield the name, then name-2, name-3 ... so that an existing backup is never overwritten."""
    yield name
    stem, extension = split_extension(name)
    for number in range(2, 1000):
        yield "%s-%d%s" % (stem, number, extension)


def free_name(directory, name):
    """Return the first candidate name that no file in the directory has, for check mode."""
    for candidate in candidate_names(name):
        if not os.path.lexists(os.path.join(directory, candidate)):
            return candidate
    raise InvalidArgument("no free file name for %s in %s after 999 tries" % (name, directory))


def link_to_free_name(temporary_path, directory, name):
    """Give the finished temporary file its final name without ever replacing an existing file.

    os.link fails with EEXIST instead of replacing, so two runs in the same minute cannot overwrite each
    other. The caller removes the temporary name afterwards.
    """
    for candidate in candidate_names(name):
        path = os.path.join(directory, candidate)
        try:
            os.link(temporary_path, path)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                continue
            raise
        return path
    raise InvalidArgument("no free file name for %s in %s after 999 tries" % (name, directory))


def manifest_path(backup_path):
    return backup_path + MANIFEST_SUFFIX


def sha256_path(backup_path):
    return backup_path + SHA256_SUFFIX


def sidecar_paths(backup_path):
    return [manifest_path(backup_path), sha256_path(backup_path)]


def write_file_atomically(path, data, mode=0o600):
    """Write bytes to a temporary file in the same directory, fsync it and rename it over path."""
    directory = os.path.dirname(path) or "."
    descriptor, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".partial",
                                             dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.rename(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def fsync_directory(directory):
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def sha256_line(backup_path, digest):
    """Return the .sha256 content in the format `sha256sum -c` reads: digest, two spaces, file name."""
    return ("%s  %s\n" % (digest, os.path.basename(backup_path))).encode("utf-8")


def write_sidecars(backup_path, manifest):
    write_file_atomically(manifest_path(backup_path), (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    write_file_atomically(sha256_path(backup_path), sha256_line(backup_path, manifest["sha256"]))


def read_manifest(backup_path):
    """Return the manifest beside a backup, None when there is none; raise ValueError when unreadable."""
    path = manifest_path(backup_path)
    try:
        with open(path, "rb") as handle:
            manifest = json.loads(handle.read().decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ValueError("manifest %s cannot be read: %s" % (path, exc))
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ValueError("manifest %s is not a %s document" % (path, MANIFEST_FORMAT))
    return manifest


def read_sha256_digest(backup_path):
    """Return the digest in a backup's .sha256 file, or None when there is none."""
    try:
        with open(sha256_path(backup_path), "r", encoding="utf-8") as handle:
            fields = handle.read().split()
    except FileNotFoundError:
        return None
    return fields[0].lower() if fields else ""


def remove_quietly(paths):
    """Remove files that may or may not exist; used to undo a backup that failed half-way."""
    for path in paths:
        if path:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass


def list_backups(directory, template):
    """Return the paths of the backup files in directory that the name template produces, sorted by name."""
    pattern = template_regex(template)
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    paths = [os.path.join(directory, name) for name in names if pattern.match(name)]
    return sorted(path for path in paths if os.path.isfile(path) and not os.path.islink(path))


def backups_newest_first(directory, template):
    """Return the backup paths newest first, by the manifest's finished_at, else by modification time.

    Names do not sort by time: backup-20261204-2239-2.sql.gz sorts before backup-20261204-2239.sql.gz.
    """
    def finished(path):
        try:
            manifest = read_manifest(path)
            if manifest and manifest.get("finished_at"):
                return parse_isoformat(manifest["finished_at"]).timestamp(), os.path.getmtime(path)
        except (OSError, ValueError):
            pass
        return os.path.getmtime(path), os.path.getmtime(path)

    return sorted(list_backups(directory, template), key=finished, reverse=True)


def ensure_directory(directory):
    """Create the backup directory with mode 0700, or narrow an existing one to 0700; return True if changed."""
    if not os.path.isabs(directory):
        raise InvalidArgument("backup directory %r must be an absolute path" % directory)
    if os.path.islink(directory) and not os.path.exists(directory):
        raise InvalidArgument(
            "backup directory %s is a symbolic link to %s, which does not exist; create the target directory or "
            "give another path" % (directory, os.readlink(directory)))
    if not os.path.exists(directory):
        os.makedirs(directory, mode=0o700)
        os.chmod(directory, 0o700)
        return True
    if not os.path.isdir(directory):
        raise InvalidArgument("backup directory %s exists but is not a directory" % directory)
    if os.stat(directory).st_mode & 0o777 != 0o700:
        os.chmod(directory, 0o700)
        return True
    return False
