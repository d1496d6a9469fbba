"""Benchmark pg_backup against the runbook's backup pipeline and bare pg_dump, on the same data.

For each database size it starts a PostgreSQL container of the test image, loads the sample data until the
plain dump reaches the size, and times three commands in the same run:

  floor    docker exec C pg_dump -U mirrorbuddy mirrorbuddy > /dev/null
  runbook  docker exec C pg_dump -U mirrorbuddy mirrorbuddy | gzip > backup.sql.gz   (gzip's default level 6)
  module   ansible-playbook running mirrorbuddy.ops.pg_backup with its default settings

It prints wall-time ratios, compressed sizes and the module's peak memory (VmHWM of the module process).
Run it from the repository root after scripts/test has prepared the machine (or with the venv active):

  .venv/bin/python bench/backup_bench.py --sizes 0.25,1.1 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DATA = REPO / "tests" / "fixtures" / "sample_data.sql"
COLLECTIONS = REPO / ".tmp" / "collections"
BYTES_PER_USER = 7600  # plain-dump bytes per sample-data user at body_words=200, measured with PostgreSQL 15


def run(command, **kwargs):
    return subprocess.run(command, check=True, **kwargs)


def image():
    return os.environ.get("MIRRORBUDDY_TEST_IMAGE") or run(
        [str(REPO / "tests" / "images" / "build.sh")], capture_output=True, text=True).stdout.strip().splitlines()[-1]


def start_database(size_gb):
    name = "mbbench-%s" % uuid.uuid4().hex[:8]
    run(["docker", "run", "-d", "--name", name, "--label", "io.mirrorbuddy.bench=1", image()],
        capture_output=True)
    for dummy in range(120):
        if subprocess.run(["docker", "exec", name, "pg_isready", "-q", "-h", "/run/postgresql"], check=False).returncode == 0 and \
                subprocess.run(["docker", "exec", name, "psql", "-X", "-q", "-U", "mirrorbuddy", "-c", "SELECT 1"],
                               capture_output=True, check=False).returncode == 0:
            break
        time.sleep(0.5)
    users = max(1000, int(size_gb * 1e9 / BYTES_PER_USER))
    print("  loading %d users (about %.2f GB of plain dump) into %s" % (users, size_gb, name), flush=True)
    with open(SAMPLE_DATA, "rb") as script:
        run(["docker", "exec", "-i", name, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "users=%d" % users,
             "-v", "body_words=200", "-U", "mirrorbuddy", "-d", "mirrorbuddy"], stdin=script, stdout=subprocess.DEVNULL)
    run(["docker", "exec", name, "psql", "-X", "-q", "-U", "mirrorbuddy", "-c", "CHECKPOINT"], capture_output=True)
    return name


def timed_shell(command, *args):
    started = time.perf_counter()
    run(["bash", "-o", "pipefail", "-c", command, "bench"] + list(args))
    return time.perf_counter() - started


class PeakMemory(threading.Thread):
    """Poll /proc for the module process and keep its peak resident set size (VmHWM)."""

    def __init__(self, marker):
        super().__init__(daemon=True)
        self.marker = marker
        self.peak_kib = 0
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    with open("/proc/%s/cmdline" % entry, "rb") as handle:
                        if self.marker not in handle.read():
                            continue
                    with open("/proc/%s/status" % entry) as handle:
                        for line in handle:
                            if line.startswith("VmHWM:"):
                                self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                except OSError:
                    continue
            time.sleep(0.05)


def run_module(container, directory, python):
    playbook = Path(directory) / "bench.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - mirrorbuddy.ops.pg_backup:\n        container: %s\n        directory: %s\n"
        "        name_template: module-%%Y%%m%%d-%%H%%M%%S.sql.gz\n      register: made\n"
        "    - ansible.builtin.copy:\n        content: '{{ made | to_json }}'\n        dest: %s/result.json\n"
        "        mode: '0600'\n" % (container, directory, directory))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_PYTHON_INTERPRETER=python,
               ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
    monitor = PeakMemory(b"AnsiballZ_pg_backup")
    monitor.start()
    started = time.perf_counter()
    run(["ansible-playbook", "-i", "localhost,", "-c", "local", str(playbook)], env=env, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    monitor.stopped.set()
    monitor.join()
    result = json.loads((Path(directory) / "result.json").read_text())
    os.unlink(result["path"])
    return elapsed, result, monitor.peak_kib


def measure(size_gb, repeat, python):
    container = start_database(size_gb)
    directory = tempfile.mkdtemp(prefix="mbbench-", dir="/var/tmp")
    try:
        floor, runbook, module, peaks = [], [], [], []
        runbook_size = module_size = raw_size = None
        for round_number in range(repeat):
            print("  round %d of %d" % (round_number + 1, repeat), flush=True)
            floor.append(timed_shell('docker exec "$1" pg_dump -U mirrorbuddy mirrorbuddy > /dev/null', container))
            target = os.path.join(directory, "runbook.sql.gz")
            runbook.append(timed_shell('docker exec "$1" pg_dump -U mirrorbuddy mirrorbuddy | gzip > "$2"',
                                       container, target))
            runbook_size = os.path.getsize(target)
            os.unlink(target)
            elapsed, result, peak = run_module(container, directory, python)
            module.append(elapsed)
            peaks.append(peak)
            module_size, raw_size = result["compressed_size"], result["raw_size"]
            library = "%s level %s" % (result["compression"]["library"], result["compression"]["level"])
        return {
            "size_gb": size_gb, "raw_bytes": raw_size, "repeat": repeat,
            "floor_seconds": statistics.median(floor), "runbook_seconds": statistics.median(runbook),
            "module_seconds": statistics.median(module), "runbook_bytes": runbook_size,
            "module_bytes": module_size, "module_peak_rss_kib": max(peaks), "module_compression": library,
        }
    finally:
        subprocess.run(["docker", "rm", "-f", "-v", container], capture_output=True, check=False)
        shutil.rmtree(directory, ignore_errors=True)


def report(rows):
    print()
    print("| plain dump | floor (bare pg_dump) | runbook (pg_dump \\| gzip) | module | module vs runbook | "
          "module vs floor | runbook .gz | module .gz | size vs runbook | module peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| %.2f GB | %.1f s | %.1f s | %.1f s | %.2fx faster | %.2fx | %.0f MB | %.0f MB | %+.1f%% | %.0f MiB |" % (
            row["raw_bytes"] / 1e9, row["floor_seconds"], row["runbook_seconds"], row["module_seconds"],
            row["runbook_seconds"] / row["module_seconds"], row["module_seconds"] / row["floor_seconds"],
            row["runbook_bytes"] / 1e6, row["module_bytes"] / 1e6,
            100.0 * (row["module_bytes"] - row["runbook_bytes"]) / row["runbook_bytes"],
            row["module_peak_rss_kib"] / 1024))
    print()
    print("module compression: %s; medians of %d rounds" % (rows[0]["module_compression"], rows[0]["repeat"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.25,1.1",
                        help="comma-separated plain-dump sizes in GB (default: 0.25,1.1)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per size; the median is reported (default: 3)")
    parser.add_argument("--output", help="also write the figures as JSON to this file")
    args = parser.parse_args()

    if not COLLECTIONS.exists():
        sys.exit("run scripts/test (or scripts/demo) once first: it links the collection into .tmp/collections")
    rows = []
    for size in [float(text) for text in args.sizes.split(",")]:
        print("Size %.2f GB" % size, flush=True)
        rows.append(measure(size, args.repeat, sys.executable))
    report(rows)
    if args.output:
        Path(args.output).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
