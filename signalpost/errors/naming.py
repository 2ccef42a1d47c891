"""What an exception is called and how it groups: one type name for every signal (span
``error.type``, exception events, status descriptions, metric labels, error records) and a
stable fingerprint."""

from __future__ import annotations

import hashlib
import re
import traceback

__all__ = ["exception_message", "exception_type_name", "fingerprint"]

_MAX_FINGERPRINT_FRAMES = 30
_NUMBERS = re.compile(r"0x[0-9a-fA-F]+|\d+")


def exception_type_name(exc: BaseException) -> str:
    """Return the exception's type as OpenTelemetry's ``exception.type`` spells it."""
    klass = type(exc)
    module = klass.__module__
    if module in ("builtins", "__main__"):
        return klass.__qualname__
    return f"{module}.{klass.__qualname__}"


def exception_message(exc: BaseException) -> str:
    """Return ``str(exc)``, or a placeholder when its ``__str__`` raises."""
    try:
        return str(exc)
    except Exception:
        return f"<unprintable {type(exc).__name__}>"


def fingerprint(exc: BaseException) -> str:
    """Return a stable 16-hex-digit grouping key for ``exc``.

    Built from the exception type and the chain of (file name, function name) of its
    traceback frames, not line numbers or the message, so edits elsewhere in a file and
    varying IDs in the message do not split a group. An exception that was never raised (no
    traceback) falls back to its type and its message with numbers normalised.
    """
    parts = [exception_type_name(exc)]
    tb = exc.__traceback__
    frames = traceback.extract_tb(tb, limit=None) if tb is not None else []
    if frames:
        for frame in frames[-_MAX_FINGERPRINT_FRAMES:]:
            filename = frame.filename.replace("\\", "/").rsplit("/", 1)[-1]
            parts.append(f"{filename}:{frame.name}")
    else:
        parts.append(_NUMBERS.sub("<n>", exception_message(exc)))
    return hashlib.sha256("\n".join(parts).encode("utf-8", "replace")).hexdigest()[:16]
