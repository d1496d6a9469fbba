"""Benchmark pg_backup_restore against the runbook's restore pipeline, on the same dump in the same run.

It starts a PostgreSQL container of the test image, loads the sample data until the plain dump reaches
--size-gb, backs it up once with mirrorbuddy.ops.pg_backup, and then times, --repeat times each in turn:

  runbook  gunzip -c backup.sql.gz | docker exec -i C psql -U mirrorbuddy DATABASE   (into a new empty database)
  module   ansible running mirrorbuddy.ops.pg_backup_restore (verification of the whole file, staging
           database, one transaction, row count comparison, rename)

Creating the runbook's empty database and dropping every database between runs are not timed. It prints
the median wall time of each and the ratio module / runbook. Run it from the repository root with the
test virtualenv active, for example:

  python bench/restore_bench.py --size-gb 1.1 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DATA = REPO / "tests" / "fixtures" / "sample_data.sql"
COLLECTIONS = REPO / ".tmp" / "collections"
BYTES_PER_USER = 7600  # plain-dump bytes per sample-data user at body_words=200 (bench/backup_bench.py)


def run(command, **kwargs):
    return subprocess.run(command, check=True, **kwargs)


def image():
    return os.environ.get("MIRRORBUDDY_TEST_IMAGE") or run(
        [str(REPO / "tests" / "images" / "build.sh")], capture_output=True, text=True).stdout.strip().splitlines()[-1]


def psql(container, sql, database="postgres"):
    run(["docker", "exec", container, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", "mirrorbuddy", "-d",
         database, "-c", sql], capture_output=True)


def start_database(size_gb):
    name = "mbbench-restore-%s" % uuid.uuid4().hex[:8]
    run(["docker", "run", "-d", "--name", name, "--label", "io.mirrorbuddy.bench=1", image()], capture_output=True)
    for attempt in range(120):
        ready = subprocess.run(["docker", "exec", name, "psql", "-X", "-q", "-U", "mirrorbuddy", "-c", "SELECT 1"],
                               capture_output=True, check=False)
        if ready.returncode == 0:
            break
        time.sleep(0.5)
    users = max(1000, int(size_gb * 1e9 / BYTES_PER_USER))
    print("loading %d users (about %.2f GB of plain dump) into %s" % (users, size_gb, name), flush=True)
    with open(SAMPLE_DATA, "rb") as script:
        run(["docker", "exec", "-i", name, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "users=%d" % users,
             "-v", "body_words=200", "-U", "mirrorbuddy", "-d", "mirrorbuddy"], stdin=script, stdout=subprocess.DEVNULL)
    return name


def ansible_module(module, args):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_LOCALHOST_WARNING="False")
    import sys
    command = ["ansible", "localhost", "-c", "local", "-i", "localhost,", "-e",
               "ansible_python_interpreter=%s" % sys.executable, "-m", module, "-a", json.dumps(args)]
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    output = json.loads(completed.stdout[completed.stdout.index("{"):])
    result = output["plays"][0]["tasks"][0]["hosts"]["localhost"]
    if completed.returncode != 0 or result.get("failed"):
        raise RuntimeError("%s failed: %s" % (module, result.get("msg")))
    return result


def time_runbook(container, backup):
    psql(container, "CREATE DATABASE bench_runbook")
    started = time.perf_counter()
    run(["bash", "-o", "pipefail", "-c", 'gunzip -c "$1" | docker exec -i "$2" psql -U mirrorbuddy bench_runbook',
         "bench", backup, container], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    psql(container, "DROP DATABASE bench_runbook")
    return elapsed


def time_module(container, backup):
    started = time.perf_counter()
    ansible_module("mirrorbuddy.ops.pg_backup_restore",
                   {"target": "container", "container": container, "database": "bench_module", "path": backup})
    elapsed = time.perf_counter() - started
    psql(container, "DROP DATABASE bench_module")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=0.05,
                        help="approximate size of the plain dump in GB (default 0.05; use 1.1 for the 1 GB record)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each command (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the container and the backup for inspection")
    options = parser.parse_args()
    if options.repeat < 1 or options.size_gb <= 0:
        parser.error("--repeat must be at least 1 and --size-gb positive")

    container = start_database(options.size_gb)
    directory = tempfile.mkdtemp(prefix="mbbench-restore-", dir="/var/tmp")
    try:
        backup = ansible_module("mirrorbuddy.ops.pg_backup", {"target": "container", "container": container,
                                                              "directory": directory})
        print("backup %s: %.1f MB compressed, %.1f MB plain, %d rows" % (
            backup["path"], backup["compressed_size"] / 1e6, backup["raw_size"] / 1e6, backup["row_count"]),
            flush=True)
        runbook, module = [], []
        for attempt in range(options.repeat):
            runbook.append(time_runbook(container, backup["path"]))
            module.append(time_module(container, backup["path"]))
            print("run %d: runbook %.2f s, module %.2f s" % (attempt + 1, runbook[-1], module[-1]), flush=True)
        runbook_median, module_median = statistics.median(runbook), statistics.median(module)
        print(json.dumps({
            "plain_dump_bytes": backup["raw_size"], "compressed_bytes": backup["compressed_size"],
            "repeat": options.repeat, "runbook_seconds": runbook, "module_seconds": module,
            "runbook_median_seconds": round(runbook_median, 3), "module_median_seconds": round(module_median, 3),
            "ratio_module_to_runbook": round(module_median / runbook_median, 3),
            "cpus": os.cpu_count(),
        }, indent=2))
    finally:
        if not options.keep:
            subprocess.run(["docker", "rm", "-f", "-v", container], capture_output=True, check=False)
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
