"""The post-mortem file the post_incident role wrote on the controller."""

import os

import testinfra

REPORT = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "post-mortems",
                      "post-mortem-2026-05-04-checkout-errors-after-deploy.md")


def test_report_has_title_and_computed_duration():
    report = testinfra.get_host("local://").file(REPORT)

    assert report.exists
    assert report.content_string.startswith(
        "# Post-Mortem: Checkout errors after deploy\n\n**Date**: 2026-05-04 | **Severity**: SEV2 | "
        "**Duration**: 0h 22m\n")


def test_report_states_slo_budget_consumed():
    # 21.6 minutes of the 43.2 that 99.9% allows in 30 days.
    assert "- SLO impact: 50.0% of monthly budget consumed" in testinfra.get_host("local://").file(REPORT).content_string


def test_report_timeline_has_the_four_milestones():
    text = testinfra.get_host("local://").file(REPORT).content_string

    for row in ("| 12:00 | Detection: ", "| 12:03 | Response began: ", "| 12:09 | Mitigation applied: ",
                "| 12:21 | Resolution confirmed: "):
        assert row in text
