"""Verify what the backup role left on the host: one verified, private backup with its sidecars."""

import json

BACKUP_DIR = "/var/backups/mirrorbuddy"


def backups(host):
    return host.check_output("ls -1 %s | grep '\\.sql\\.gz$' || true" % BACKUP_DIR).split()


def test_directory_is_private(host):
    directory = host.file(BACKUP_DIR)
    assert directory.is_directory
    assert directory.mode == 0o700


def test_one_backup_after_converge_and_idempotence(host):
    assert len(backups(host)) == 1


def test_backup_passes_runbook_checks(host):
    name = backups(host)[0]
    assert host.file("%s/%s" % (BACKUP_DIR, name)).mode == 0o600
    assert host.run("cd %s && gunzip -t %s" % (BACKUP_DIR, name)).rc == 0
    assert host.run("cd %s && sha256sum -c %s.sha256" % (BACKUP_DIR, name)).rc == 0


def test_manifest_records_tables_and_zlib(host):
    name = backups(host)[0]
    manifest = json.loads(host.file("%s/%s.manifest.json" % (BACKUP_DIR, name)).content_string)
    assert manifest["tables"] == {"public.content": 1500, "public.sessions": 600, "public.users": 300}
    assert manifest["compression"]["library"] == "zlib"
