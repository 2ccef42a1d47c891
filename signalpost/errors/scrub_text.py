"""Secrets inside free text (messages, exception text, reprs, headers dumped as dicts).

Structure first (:mod:`.scrub_pairs`: secret keys' values, key by key). Then shapes: well-known
key formats, JWTs, ``Bearer``/``Basic`` credentials that look like credentials, passwords in
URLs, card numbers (Luhn and a card network's first digit), long random runs; and prose
(``the password is x9!``) only when the value looks made up rather than a word.
"""

from __future__ import annotations

import re

from signalpost.errors.scrub_pairs import (
    CODE_CHAIN,
    FILTERED,
    benign_value,
    looks_made_up,
    scrub_pairs,
)

__all__ = [
    "FILTERED",
    "benign_value",
    "luhn_valid",
    "random_looking",
    "scrub_numbers_and_runs",
    "scrub_pairs",
    "scrub_prose",
    "scrub_shapes",
    "triggered",
]

# --------------------------------------------------------------------------- value shapes

# Each pattern with the literals one of which its match must contain (lower-cased literals are
# looked for in the lower-cased text), and whether it needs a credential-looking group 1.
_VALUE_PATTERNS: tuple[tuple[tuple[str, ...], bool, re.Pattern[str]], ...] = (
    (
        ("-----BEGIN ",),
        False,
        re.compile(r"-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)"),
    ),
    (
        ("bearer", "basic", "token", "digest"),
        True,
        re.compile(
            r"(?i)\b(?:bearer|basic|token|digest)\s+(?!\[Filtered\])"
            r"([A-Za-z0-9._~+/-]{6,}={0,2})(?=[\s,;'\"]|$)(?!\s*[=:])"
        ),
    ),
    (("eyJ",), False, re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")),
    (("://",), False, re.compile(r"(?<=://)[^\s/?#@:]*:[^\s/?#]*(?=@)")),
    (
        ("AKIA", "ASIA", "ABIA", "ACCA"),
        False,
        re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    ),
    (
        ("gh", "github_pat_"),
        False,
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
    ),
    (("glpat-",), False, re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    (("xox",), False, re.compile(r"\bxox[abposrce]-[A-Za-z0-9-]{10,}")),
    (("hooks.slack.com",), False, re.compile(r"hooks\.slack\.com/services/[A-Za-z0-9/]+")),
    (
        ("_live_", "_test_"),
        False,
        re.compile(r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"),
    ),
    (("whsec_",), False, re.compile(r"\bwhsec_[A-Za-z0-9]{20,}")),
    (("sk-",), False, re.compile(r"\bsk-[A-Za-z0-9_-]{20,}")),
    (("AIza",), False, re.compile(r"\bAIza[0-9A-Za-z_-]{35,}")),
    (("ya29.",), False, re.compile(r"\bya29\.[0-9A-Za-z_-]{20,}")),
    (("npm_",), False, re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    (("SG.",), False, re.compile(r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}")),
)

# Secrets in prose: "password hunter2Zebra", "the secret is x-4471", "api key: k-77".
_PROSE = re.compile(
    r"(?i)\b(pass(?:word|wd|phrase)|pwd|secret|token|(?:api|access|private|secret)[ -]key)"
    r"(\s+(?:is|was)\s+|\s*[:=]\s*|\s+)(?!\[Filtered\])([^\s,;]+)"
)
_BARE_SPACE_WORDS = frozenset({"password", "passwd", "passphrase", "pwd"})
_PROSE_LITERALS = ("pass", "pwd", "secret", "key", "token")

_TRIGGERS = re.compile(
    "|".join(
        sorted(
            {re.escape(lit.lower()) for literals, _, _ in _VALUE_PATTERNS for lit in literals}
            | {re.escape(lit) for lit in _PROSE_LITERALS}
        )
    )
)

# Payment card numbers: 13 to 19 digits, optionally grouped by spaces or dashes; checked for the
# Luhn sum and a card network's first digit (2-6), so epoch-millisecond timestamps (1...) stay.
_CARD = re.compile(r"(?<![\w.+])\d(?:[ -]?\d){12,18}(?![\w.])")
_CARD_FIRST_DIGITS = frozenset("23456")
MIN_CARD = 13
# Base64 runs of 40+ characters mixing upper case, lower case and digits; random ones (AWS
# secret keys, PEM lines) are told from CamelCase names and paths by the length of their words.
_HIGH_ENTROPY = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40,}={0,2}")
MIN_ENTROPY = 40
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
# Mean word length of random runs: about 1.9; of names: 4 and more.
_RANDOM_MEAN = 3.0
_WORDY = 4.0
_RANDOM_SINGLES = 0.3

def triggered(lower: str) -> bool:
    """Whether lower-cased text holds a literal of a value shape or of prose (most do not)."""
    return _TRIGGERS.search(lower) is not None


def scrub_shapes(value: str, lower: str) -> str:
    """Replace the well-known secret shapes (run when :func:`triggered`)."""
    for literals, credential, pattern in _VALUE_PATTERNS:
        text = lower if credential else value
        if any(literal in text for literal in literals):
            value = pattern.sub(_credential if credential else _filtered, value)
    return value


def _filtered(_: re.Match[str]) -> str:
    return FILTERED


def _credential(match: re.Match[str]) -> str:
    return FILTERED if looks_made_up(match.group(1)) else match.group(0)


def scrub_prose(value: str) -> str:
    """Replace secrets in sentences (run when :func:`triggered`)."""
    return _PROSE.sub(_prose, value)


def _prose(match: re.Match[str]) -> str:
    word, glue, raw = match.group(1).lower(), match.group(2), match.group(3)
    core = raw.rstrip(".!?:)'\"")
    if "=" in glue or ":" in glue:
        # One-word keys are the pair scanner's: it already kept or replaced the value.
        if " " not in word and "-" not in word:
            return match.group(0)
        keep = benign_value(core) or CODE_CHAIN.fullmatch(core) is not None
    elif glue.strip():  # "is", "was"
        keep = not looks_made_up(core)
    else:
        keep = word not in _BARE_SPACE_WORDS or not looks_made_up(core)
    if keep:
        return match.group(0)
    return match.group(1) + glue + FILTERED + raw[len(core) :]


# --------------------------------------------------------------------------- numbers, runs


def luhn_valid(digits: str) -> bool:
    """Return whether a string of digits passes the Luhn checksum of card numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = ord(char) - 48
        if index % 2:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = text.replace(" ", "").replace("-", "")
    if (
        13 <= len(digits) <= 19
        and digits[0] in _CARD_FIRST_DIGITS
        and len(set(digits)) > 1
        and luhn_valid(digits)
    ):
        return FILTERED
    return text


def random_looking(text: str) -> bool:
    """Letters and digits mixed at random rather than names (``Backend2024Berlin``,
    ``TimeToHireByDepartment2025Q1``): short words, many of one character."""
    words = _WORDS.findall(text)
    if not words:
        return False
    mean = sum(map(len, words)) / len(words)
    singles = sum(1 for word in words if len(word) == 1) / len(words)
    return mean < _RANDOM_MEAN or (mean < _WORDY and singles > _RANDOM_SINGLES)


def _mixed(text: str) -> bool:
    has_upper = has_lower = has_digit = False
    for char in text:
        if "A" <= char <= "Z":
            has_upper = True
        elif "a" <= char <= "z":
            has_lower = True
        elif "0" <= char <= "9":
            has_digit = True
    return has_upper and has_lower and has_digit


def _entropy(match: re.Match[str]) -> str:
    text = match.group(0)
    if not _mixed(text):
        return text
    if text.startswith("/"):
        # A path: only its random segments go.
        parts = [
            FILTERED if len(p) >= 16 and _mixed(p) and random_looking(p) else p
            for p in text.split("/")
        ]
        return "/".join(parts)
    return FILTERED if random_looking(text) else text


def scrub_numbers_and_runs(value: str) -> str:
    """Replace card numbers and long random runs."""
    if len(value) < MIN_CARD:
        return value
    value = _CARD.sub(_card, value)
    if len(value) < MIN_ENTROPY:
        return value
    return _HIGH_ENTROPY.sub(_entropy, value)
