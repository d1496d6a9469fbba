"""Make this checkout importable as ansible_collections.mirrorbuddy.ops for every test."""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / ".tmp" / "collections"


def _link_collection():
    namespace = COLLECTIONS / "ansible_collections" / "mirrorbuddy"
    namespace.mkdir(parents=True, exist_ok=True)
    link = namespace / "ops"
    if not link.is_symlink() or link.resolve() != REPO:
        if link.is_symlink():
            link.unlink()
        link.symlink_to(REPO)


_link_collection()
sys.path.insert(0, str(COLLECTIONS))
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", str(COLLECTIONS))
