"""Reading npm audit's JSON report: severity counts, threshold and missing reports."""

from __future__ import annotations

import json

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.security_scan import summarise_audit

REPORT = {
    "auditReportVersion": 2,
    "vulnerabilities": {
        "lodash": {"name": "lodash", "severity": "high", "isDirect": True, "range": "4.17.15", "fixAvailable": True,
                   "via": [{"title": "Prototype Pollution in lodash", "url": "https://example.invalid/1",
                            "severity": "high"}]},
        "debug": {"name": "debug", "severity": "low", "isDirect": False, "range": "<2.6.9", "fixAvailable": False,
                  "via": ["ms"]},
    },
    "metadata": {"vulnerabilities": {"info": 0, "low": 1, "moderate": 0, "high": 1, "critical": 0, "total": 2},
                 "dependencies": {"prod": 3, "total": 3}},
}


def test_threshold_high_fails_on_high():
    outcome = summarise_audit(json.dumps(REPORT), 1, "high")

    assert outcome["status"] == "failed"
    assert outcome["over_threshold"] == ["lodash"]
    assert outcome["counts"]["total"] == 2


def test_threshold_critical_passes_with_counts():
    outcome = summarise_audit(json.dumps(REPORT), 1, "critical")

    assert outcome["status"] == "passed"
    assert outcome["counts"]["high"] == 1


def test_clean_report_passes():
    clean = {"auditReportVersion": 2, "vulnerabilities": {},
             "metadata": {"vulnerabilities": {"info": 0, "low": 0, "moderate": 0, "high": 0, "critical": 0, "total": 0}}}

    assert summarise_audit(json.dumps(clean), 0, "low")["status"] == "passed"


def test_registry_error_is_unavailable():
    error = {"message": "405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/audits/quick"}

    outcome = summarise_audit(json.dumps(error), 1, "none")

    assert outcome["status"] == "unavailable"
    assert "405 Method Not Allowed" in outcome["error"]


def test_npm_error_object_is_unavailable():
    outcome = summarise_audit(json.dumps({"error": {"code": "ENOLOCK", "summary": "requires a lockfile"}}), 1, "high")

    assert outcome["status"] == "unavailable"
    assert outcome["error"] == "ENOLOCK requires a lockfile"


def test_empty_output_is_unavailable():
    assert summarise_audit("", 0, "high")["status"] == "unavailable"
