"""npm audit only reads: the app in the container is as the prepare step left it."""

import hashlib
import os

FIXTURE_LOCKFILE = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "tests", "fixtures", "npm_audit_app",
                                "package-lock.json")


def test_audit_installed_nothing(host):
    assert not host.file("/app/node_modules").exists


def test_lockfile_is_unchanged(host):
    with open(FIXTURE_LOCKFILE, "rb") as fixture:
        expected = hashlib.sha256(fixture.read()).hexdigest()

    assert host.file("/app/package-lock.json").sha256sum == expected
