"""The middleware's arguments from the flat keywords the tests speak: the collaborators go
into a runtime, the settings into :class:`HttpOptions`."""

from __future__ import annotations

import dataclasses
from typing import Any

from signalpost.http.options import HttpOptions
from signalpost.runtime import Runtime

_OPTIONS = {field.name for field in dataclasses.fields(HttpOptions)}


def middleware_args(**given: Any) -> dict[str, Any]:
    """``runtime=``, ``options=`` and ``meter_provider=`` for ``SignalpostMiddleware``."""
    options = {name: given.pop(name) for name in list(given) if name in _OPTIONS}
    meter_provider = given.pop("meter_provider", None)
    return {
        "runtime": Runtime(**given),
        "options": HttpOptions(**options),
        "meter_provider": meter_provider,
    }
