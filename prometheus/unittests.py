"""promtool unit tests of the generated rules, with the tests' own knobs (``tests/knobs.yaml``).

The rules under test are generated from those knobs into ``tests/rules/``: the tests pin the
generator's PromQL with known data whatever the repository's knobs select.

Each alert has a group with healthy data (quiet) and a group with the failure, evaluated before
its ``for`` has run out (quiet), once firing (exact labels and annotations) and, for escalating
alerts, once escalated. Values in the annotations are what Prometheus's humanising functions
print for the chosen data; they are written out, not computed.
"""

from __future__ import annotations

from typing import Any

from prometheus.exporter_unittests import exporter_test_file
from prometheus.knobs import load_knobs
from prometheus.rulefiles import rule_files
from prometheus.scenarios import scenario_files
from prometheus.testdata import TEST_KNOBS, Expect, alert_rules_under_test, rules_under_test
from prometheus.unittests_availability import availability_tests
from prometheus.unittests_backlog import backlog_tests
from prometheus.unittests_breaker import breaker_test_files
from prometheus.unittests_causes import cause_test_files
from prometheus.unittests_health import health_tests, host_tests
from prometheus.unittests_http import error_spike_week_tests, http_tests
from prometheus.unittests_jobs import job_tests, not_succeeded_tests
from prometheus.unittests_meta import meta_test_files
from prometheus.unittests_records import record_files
from prometheus.unittests_slo import slo_alert_tests

__all__ = ["test_files"]


def test_files() -> dict[str, dict[str, Any]]:
    """File name (under ``tests/``) to its content: the test files and the rules they test."""
    knobs = load_knobs(TEST_KNOBS)
    e = Expect(knobs)
    alerts = [
        *availability_tests(knobs, e),
        *http_tests(knobs, e),
        *job_tests(knobs, e),
        *health_tests(knobs, e),
        *host_tests(knobs, e),
        *backlog_tests(knobs, e),
    ]
    return {
        "alerts.test.yml": {
            **alert_rules_under_test(knobs),
            "evaluation_interval": "1m",
            "tests": alerts,
        },
        # Rules evaluated hourly over 5-minute data: a week of history costs 170 evaluations.
        "alerts-long.test.yml": {
            **alert_rules_under_test(knobs),
            "evaluation_interval": "1h",
            "tests": [*not_succeeded_tests(knobs, e), *error_spike_week_tests(knobs, e)],
        },
        "slo-alerts.test.yml": {
            **rules_under_test(knobs, "slo.rules.yml"),
            "evaluation_interval": "5m",
            "tests": slo_alert_tests(knobs, e),
        },
        **record_files(knobs),
        **scenario_files(knobs),
        "exporters.test.yml": exporter_test_file(knobs),
        **meta_test_files(knobs),
        **cause_test_files(knobs),
        **breaker_test_files(knobs, e),
        **{f"rules/{name}": content for name, content in rule_files(knobs).items()},
    }
