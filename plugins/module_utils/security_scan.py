# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monthly security scan: `npm audit --json` in the app container, summarised by severity.

npm audit exits 1 both when it found vulnerabilities and when it could not reach the advisory database,
so the outcome is read from its JSON report, never from the exit status alone. A report without the
per-severity counts is never taken as a pass.
"""

from __future__ import annotations

import json

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import CommandFailed, TargetError

try:
    import docker
    from docker import errors as docker_errors
except ImportError:
    docker = None
    docker_errors = None

SEVERITIES = ("info", "low", "moderate", "high", "critical")


def audit_argv(omit_dev=True, registry=None):
    argv = ["npm", "audit", "--json"]
    if omit_dev:
        argv.append("--omit=dev")
    if registry:
        argv.append("--registry=%s" % registry)
    return argv


def summarise_audit(stdout, exit_code, fail_on):
    """Return the scan outcome from npm audit's JSON output.

    status is passed, failed (a vulnerability at or above fail_on) or unavailable (no report: the advisory
    database could not be reached, or npm failed before auditing).
    """
    try:
        report = json.loads(stdout) if stdout.strip() else None
    except ValueError:
        report = None
    counts = ((report or {}).get("metadata") or {}).get("vulnerabilities") if isinstance(report, dict) else None
    if not isinstance(counts, dict) or not all(severity in counts for severity in SEVERITIES):
        return {"status": "unavailable", "npm_exit_code": exit_code, "error": _error_text(report, stdout)}

    threshold = None if fail_on == "none" else SEVERITIES.index(fail_on)
    vulnerabilities = []
    for name, entry in sorted((report.get("vulnerabilities") or {}).items()):
        advisories = [via for via in entry.get("via", []) if isinstance(via, dict)]
        vulnerabilities.append({
            "name": name,
            "severity": entry.get("severity"),
            "range": entry.get("range"),
            "direct": entry.get("isDirect"),
            "via": [via for via in entry.get("via", []) if isinstance(via, str)],
            "advisories": [{"title": via.get("title"), "url": via.get("url"), "severity": via.get("severity")}
                           for via in advisories],
            "fix_available": bool(entry.get("fixAvailable")),
        })
    at_or_above = [] if threshold is None else [
        entry for entry in vulnerabilities
        if entry["severity"] in SEVERITIES and SEVERITIES.index(entry["severity"]) >= threshold]
    return {
        "status": "failed" if at_or_above else "passed",
        "npm_exit_code": exit_code,
        "counts": {severity: counts.get(severity, 0) for severity in SEVERITIES + ("total",)},
        "dependencies": (report.get("metadata") or {}).get("dependencies"),
        "vulnerabilities": vulnerabilities,
        "over_threshold": [entry["name"] for entry in at_or_above],
    }


def _error_text(report, stdout):
    if isinstance(report, dict):
        error = report.get("error")
        if isinstance(error, dict):
            return " ".join(str(error.get(key)) for key in ("code", "summary") if error.get(key))
        if report.get("message"):
            return str(report["message"])
    return stdout.strip()[:500] or "npm audit printed no report"


def run_in_container(container, argv, workdir, environment=None, docker_host=None):
    """Run argv in a running container without a TTY; return (exit code, stdout text, stderr text)."""
    if docker is None:
        raise TargetError("the docker Python SDK is not installed on the managed node; install it with "
                          "'pip install docker' or Debian's python3-docker")
    try:
        client = docker.DockerClient(base_url=docker_host) if docker_host else docker.from_env()
    except docker_errors.DockerException as exc:
        raise TargetError("cannot reach the Docker Engine: %s; check that dockerd runs" % exc)
    try:
        try:
            handle = client.containers.get(container)
        except docker_errors.NotFound:
            raise TargetError("container %s not found; check the container option or start the app" % container)
        if handle.status != "running":
            raise TargetError("container %s is not running (status: %s); start it first" % (container, handle.status))
        try:
            exit_code, (stdout, stderr) = handle.exec_run(argv, workdir=workdir, environment=environment or {},
                                                          demux=True, tty=False, stdin=False)
        except docker_errors.APIError as exc:
            raise CommandFailed("docker exec of %s in container %s failed: %s" % (
                " ".join(argv), container, exc.explanation or exc))
        return exit_code, (stdout or b"").decode("utf-8", "replace"), (stderr or b"").decode("utf-8", "replace")
    finally:
        client.close()
