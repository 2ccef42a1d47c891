"""Which segments of a URL path hold a secret: the one after a segment that announces it
(``/reset/<token>``), JWT-like and long random-looking ones. Used by
:meth:`signalpost.errors.scrub.Scrubber.scrub_path`.
"""

from __future__ import annotations

import re

from signalpost.errors.scrub_text import FILTERED, random_looking

__all__ = ["filter_secret_segments", "may_hold_text_secret"]

# Paths worth running the text patterns on: key=value, user:password@, spaces.
_PATH_TEXT = re.compile(r"[=:@ ]")

# Path segments that introduce a secret in the next segment (/reset/<token>, /magic/<token>).
_PATH_SECRET_PREFIXES = frozenset(
    {
        "reset",
        "reset-password",
        "reset_password",
        "password-reset",
        "magic",
        "magic-link",
        "magic_link",
        "token",
        "tokens",
        "verify",
        "verify-email",
        "confirm",
        "invite",
        "invitation",
        "activate",
        "unsubscribe",
        "secret",
        "secrets",
        "password",
        "otp",
    }
)
_PATH_PART = re.compile(r"[-_.~]")


def _token_like(segment: str) -> bool:
    """A path segment that looks like a random credential rather than a name or an ID."""
    if len(segment) < 20:
        return False
    if segment.startswith("eyJ") and segment.count(".") >= 2:
        return True
    for part in _PATH_PART.split(segment):
        if len(part) >= 16 and not part.isalpha() and not part.isdigit() and random_looking(part):
            return True
    return False


def filter_secret_segments(path: str) -> str:
    """Return ``path`` with its secret segments replaced by ``[Filtered]`` (``path`` itself
    when none is)."""
    segments = path.split("/")
    changed = False
    previous = ""
    for index, segment in enumerate(segments):
        if segment and (
            (previous in _PATH_SECRET_PREFIXES and len(segment) >= 6) or _token_like(segment)
        ):
            segments[index] = FILTERED
            changed = True
        previous = segment.lower()
    return "/".join(segments) if changed else path


def may_hold_text_secret(path: str) -> bool:
    """Whether the text patterns are worth running on ``path`` (``key=value``,
    ``user:password@``, spaces)."""
    return _PATH_TEXT.search(path) is not None
