# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health checks: poll an HTTP endpoint until its response passes, and check that a database runs a query."""

from __future__ import annotations

import json
import time
import urllib.error

from ansible.module_utils.urls import ConnectionError as UrlConnectionError
from ansible.module_utils.urls import open_url

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument, OpsError

try:
    import jmespath
    from jmespath import exceptions as jmespath_exceptions
except ImportError:
    jmespath = None
    jmespath_exceptions = None


class HealthCheckFailed(OpsError):
    """The checked service never passed within the attempts; details carry the last response."""


class HttpResponse:
    """One HTTP response, or the error that replaced it."""

    def __init__(self, status=None, body=None, text="", latency_ms=None, error=None):
        self.status = status
        self.body = body
        self.text = text
        self.latency_ms = latency_ms
        self.error = error

    def as_result(self):
        return {"status": self.status, "json": self.body, "content": self.text[:4096],
                "latency_ms": self.latency_ms, "error": self.error}


def fetch(url, timeout):
    """GET url and return an HttpResponse; connection errors and timeouts become response.error."""
    started = time.monotonic()
    try:
        with open_url(url, method="GET", headers={"Accept": "application/json", "Connection": "close"},
                      timeout=timeout, follow_redirects="safe") as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, UrlConnectionError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return HttpResponse(error="%s: %s" % (url, reason), latency_ms=_elapsed_ms(started))
    text = raw.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    return HttpResponse(status=status, body=body, text=text, latency_ms=_elapsed_ms(started))


def _elapsed_ms(started):
    return round((time.monotonic() - started) * 1000, 1)


def compile_expressions(expressions, option):
    """Compile jmespath expressions up front, so a typo fails before the first request."""
    if expressions and jmespath is None:
        raise InvalidArgument("%s needs the jmespath Python package on the managed node; install it with "
                              "'pip install jmespath' or Debian's python3-jmespath" % option)
    compiled = {}
    for expression in expressions:
        try:
            compiled[expression] = jmespath.compile(expression)
        except jmespath_exceptions.ParseError as exc:
            raise InvalidArgument("%s contains the invalid jmespath expression %r: %s" % (option, expression, exc))
    return compiled


class HttpCheck:
    """The conditions a response must meet: status codes, expected values and true expressions."""

    def __init__(self, expected_status=(200,), expected_json=None, assertions=()):
        self.expected_status = list(expected_status)
        self.expected_json = dict(expected_json or {})
        self.equal_expressions = compile_expressions(self.expected_json, "expected_json")
        self.true_expressions = compile_expressions(assertions, "assertions")

    def failures(self, response):
        """Return why the response does not pass, one message per failed condition; empty when it passes."""
        if response.error:
            return [response.error]
        failures = []
        if self.expected_status and response.status not in self.expected_status:
            failures.append("status %s, expected %s" % (response.status, " or ".join(map(str, self.expected_status))))
        if (self.equal_expressions or self.true_expressions) and response.body is None:
            failures.append("the body is not JSON: %r" % response.text[:200])
            return failures
        for expression, compiled in self.equal_expressions.items():
            found = compiled.search(response.body)
            if found != self.expected_json[expression]:
                failures.append("%s is %s, expected %s" % (
                    expression, json.dumps(found), json.dumps(self.expected_json[expression])))
        for expression, compiled in self.true_expressions.items():
            if not compiled.search(response.body):
                failures.append("%s is not true" % expression)
        return failures


def poll(probe, evaluate, retries, interval):
    """Call probe() until evaluate(response) returns no failures, at most retries + 1 times.

    Return (response, attempts, failures of the last attempt). The caller decides what a failure means.
    """
    attempts = 0
    while True:
        attempts += 1
        response = probe()
        failures = evaluate(response)
        if not failures or attempts > retries:
            return response, attempts, failures
        time.sleep(interval)


def check_http(url, check, retries=10, interval=2.0, timeout=5.0):
    """Poll url until it passes the check; return a result dict, or raise HealthCheckFailed with it."""
    if retries < 0 or interval < 0 or timeout <= 0:
        raise InvalidArgument("retries and interval must be 0 or more and timeout more than 0 (got retries=%s, "
                              "interval=%s, timeout=%s)" % (retries, interval, timeout))
    started = time.monotonic()
    response, attempts, failures = poll(lambda: fetch(url, timeout), check.failures, retries, interval)
    result = dict(response.as_result(), url=url, attempts=attempts, failures=failures,
                  elapsed_seconds=round(time.monotonic() - started, 3))
    if failures:
        raise HealthCheckFailed("health check of %s failed after %d attempt(s): %s" % (
            url, attempts, "; ".join(failures)), **result)
    return result


DATABASE_PROBE = (
    "SELECT current_database() AS database, current_user AS user_name, "
    "current_setting('server_version') AS server_version, pg_is_in_recovery() AS in_recovery")


def check_database(target, retries=3, interval=2.0):
    """Run a trivial query on the target until it succeeds; return what the server reported and the latency."""

    def probe():
        started = time.monotonic()
        try:
            rows = target.query(DATABASE_PROBE)
        except OpsError as exc:
            return {"error": exc.message, "latency_ms": _elapsed_ms(started)}
        return dict(rows[0], error=None, latency_ms=_elapsed_ms(started))

    started = time.monotonic()
    outcome, attempts, failures = poll(probe, _database_failures, retries, interval)
    outcome.update(attempts=attempts, elapsed_seconds=round(time.monotonic() - started, 3))
    if failures:
        raise HealthCheckFailed("database %s did not respond after %d attempt(s): %s" % (
            target.database, attempts, failures[0]), **outcome)
    return outcome


def _database_failures(outcome):
    return [outcome["error"]] if outcome["error"] else []
