"""The built-in checks take the settings every check shares as one ``settings=CheckSettings``;
the keywords they took before work for one release, with one warning naming the new argument."""

from __future__ import annotations

import math

import pytest

from signalpost.health import (
    CheckSettings,
    HttpCheck,
    PostgresCheck,
    ResourcesCheck,
    ResourceThresholds,
    SchemaCheck,
    TcpCheck,
    Threshold,
)
from signalpost.health.checks import ExpectedSchema
from tests.fake_clock import FakeClock


def test_a_setting_left_out_keeps_the_checks_own_default() -> None:
    check = PostgresCheck("host=unused", settings=CheckSettings(interval=60))
    assert (check.name, check.critical, check.timeout, check.interval) == (
        "postgres", True, 5.0, 60.0
    )
    assert check.degraded_after == 1.0
    http = HttpCheck("http://127.0.0.1:1/", settings=CheckSettings(name="api", critical=True))
    assert (http.name, http.critical, http.timeout, http.interval) == ("api", True, 5.0, 30.0)
    schema = SchemaCheck(ExpectedSchema(source="x", tables=()), "host=unused")
    assert (schema.name, schema.timeout, schema.interval) == ("schema", 10.0, 300.0)
    assert math.isinf(schema.degraded_after)


def test_the_old_keywords_warn_once_naming_each_replacement_and_still_apply() -> None:
    with pytest.warns(DeprecationWarning) as caught:
        check = TcpCheck("127.0.0.1", 1, name="smtp", interval=10, clock=FakeClock())
    (warning,) = caught
    assert warning.filename == __file__
    assert str(warning.message) == (
        "TcpCheck(clock=, interval=, name=) is deprecated: pass runtime=Runtime(...) and "
        "settings=CheckSettings(...) instead"
    )
    assert (check.name, check.interval) == ("smtp", 10)


def test_the_resource_thresholds_and_settings_warn_together() -> None:
    with pytest.warns(DeprecationWarning) as caught:
        check = ResourcesCheck(disk=Threshold(0.5, 0.6), name="host", critical=True)
    (warning,) = caught
    assert str(warning.message) == (
        "ResourcesCheck(critical=, disk=, name=) is deprecated: pass "
        "settings=CheckSettings(...) and thresholds=ResourceThresholds(...) instead"
    )
    assert check.thresholds["disk"] == Threshold(0.5, 0.6)
    assert check.thresholds["memory"] == ResourceThresholds().memory
    assert (check.name, check.critical) == ("host", True)


def test_wrong_keywords_and_a_missing_name_are_type_errors() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'intervall'"):
        PostgresCheck("host=unused", intervall=5)
    with pytest.raises(TypeError, match="unexpected keyword argument 'degraded_after'"):
        ResourcesCheck(degraded_after=1.0)  # it times nothing
    with pytest.raises(TypeError, match=r"TcpCheck\(\) needs a name"):
        TcpCheck("127.0.0.1", 1)
    with pytest.raises(TypeError, match="times nothing"):
        ResourcesCheck(settings=CheckSettings(degraded_after=1.0))
