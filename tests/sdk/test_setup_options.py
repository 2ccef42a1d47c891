"""``setup()`` takes its collaborators and switches as ``options=SetupOptions(...)`` and the
running-jobs sources as ``jobs=JobSources(...)``; the keywords it took before work for one
release with one warning naming the new argument."""

from __future__ import annotations

import warnings

import pytest
from prometheus_client import CollectorRegistry

from signalpost.jobs import Backlog
from signalpost.sdk import JobSources, SetupOptions
from signalpost.sdk.setup import setup


@pytest.fixture(autouse=True)
def sdk_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")


def no_backlog() -> list[Backlog]:
    return []


def test_the_settings_objects_are_taken_without_a_warning() -> None:
    registry = CollectorRegistry()
    options = SetupOptions(registry=registry, set_global_providers=False, configure_logging=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        telemetry = setup(options=options, jobs=JobSources(backlog=no_backlog))
    try:
        assert telemetry.registry is registry
    finally:
        telemetry.shutdown()


def test_the_old_keywords_warn_once_naming_both_objects_and_still_apply() -> None:
    registry = CollectorRegistry()
    with pytest.warns(DeprecationWarning) as caught:
        telemetry = setup(
            registry=registry,
            set_global_providers=False,
            configure_logging=False,
            jobs_backlog=no_backlog,
        )
    try:
        assert telemetry.registry is registry
    finally:
        telemetry.shutdown()
    (warning,) = caught
    assert warning.filename == __file__
    assert str(warning.message) == (
        "setup(configure_logging=, jobs_backlog=, registry=, set_global_providers=) is "
        "deprecated: pass options=SetupOptions(...) and jobs=JobSources(...) instead"
    )


def test_an_old_keyword_overrides_the_same_option_given_in_the_object() -> None:
    registry = CollectorRegistry()
    options = SetupOptions(set_global_providers=False, configure_logging=False)
    with pytest.warns(DeprecationWarning, match=r"setup\(registry=\) is deprecated"):
        telemetry = setup(options=options, registry=registry)
    try:
        assert telemetry.registry is registry
    finally:
        telemetry.shutdown()


def test_a_keyword_setup_never_took_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="setup\\(\\) got an unexpected keyword argument 'health_pth'"):
        setup(health_pth="/h")
