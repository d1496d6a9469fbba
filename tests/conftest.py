"""Install the collection the way users do, from the tarball that `ansible-galaxy collection build` makes.

Every test, unit and integration alike, then imports and runs the installed copy under
.tmp/collections/ansible_collections/mirrorbuddy/ops, so a file missing from the tarball fails the tests.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / ".tmp" / "collections"


def _install_collection():
    installed = COLLECTIONS / "ansible_collections" / "mirrorbuddy" / "ops"
    if installed.is_symlink():
        installed.unlink()
    build = tempfile.mkdtemp(prefix="mirrorbuddy-build-")
    try:
        subprocess.run(["ansible-galaxy", "collection", "build", "--force", "--output-path", build, str(REPO)],
                       check=True, capture_output=True)
        tarball = next(Path(build).glob("mirrorbuddy-ops-*.tar.gz"))
        subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "--force", "-p", str(COLLECTIONS),
                        str(tarball)], check=True, capture_output=True,
                       env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS)))
    finally:
        shutil.rmtree(build, ignore_errors=True)


if REPO.parents[1].name == "ansible_collections":
    # Already laid out as ansible_collections/mirrorbuddy/ops, as ansible-test runs it: use it in place.
    sys.path.insert(0, str(REPO.parents[2]))
else:
    _install_collection()
    sys.path.insert(0, str(COLLECTIONS))
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS)
