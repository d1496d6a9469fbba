"""Conditions of HTTP health checks."""

from __future__ import annotations

import pytest

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import InvalidArgument
from ansible_collections.mirrorbuddy.ops.plugins.module_utils.health import HttpResponse, HttpCheck, poll


def response(status=200, body=None):
    return HttpResponse(status=status, body=body, text="")


def test_passing_answer_has_no_failures():
    check = HttpCheck([200], {"version": "1.1.0"}, ["status == 'ok'"])

    assert check.failures(response(200, {"status": "ok", "version": "1.1.0"})) == []


def test_each_unmet_condition_is_listed():
    check = HttpCheck([200], {"version": "1.1.0"}, ["status == 'ok'"])

    failures = check.failures(response(503, {"status": "error", "version": "1.0.0"}))

    assert failures == ["status 503, expected 200", 'version is "1.0.0", expected "1.1.0"', "status == 'ok' is not true"]


def test_non_json_body_fails_json_conditions():
    check = HttpCheck([200], {"version": "1"})

    assert check.failures(HttpResponse(status=200, body=None, text="<html>")) == ["the body is not JSON: '<html>'"]


def test_connection_error_is_the_failure():
    assert HttpCheck().failures(HttpResponse(error="refused")) == ["refused"]


def test_invalid_expression_raises():
    with pytest.raises(InvalidArgument, match="invalid jmespath"):
        HttpCheck(assertions=["a =="])


def test_poll_stops_at_first_pass_and_counts_attempts():
    answers = iter([1, 2, 3, 4])

    final, attempts, failures = poll(lambda: next(answers), lambda value: [] if value == 3 else ["no"], 10, 0)

    assert (final, attempts, failures) == (3, 3, [])


def test_poll_makes_retries_plus_one_attempts():
    final, attempts, failures = poll(lambda: 0, lambda value: ["no"], 2, 0)

    assert attempts == 3
    assert failures == ["no"]
