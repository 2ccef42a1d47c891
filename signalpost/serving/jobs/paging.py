"""Paging of the running-jobs list (``GET /jobs``): the query parameters and the cursor.

The list is ordered by :func:`sort_key`; a cursor is the position of the last run of a page,
opaque to clients (URL-safe base64 of JSON).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from urllib.parse import parse_qs

from signalpost.jobs.running import RunningJob

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_QUERY_FIELDS",
    "BadRequest",
    "ListQuery",
    "decode_cursor",
    "encode_cursor",
    "parse_list_query",
    "sort_key",
]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_QUERY_FIELDS = 20


class BadRequest(ValueError):
    """A query parameter a client sent is unusable (answered 400)."""


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What ``GET /jobs`` asks for: a page size, the cursor's position, a job type."""

    limit: int
    after: tuple[float, str] | None
    job_type: str | None


def encode_cursor(job: RunningJob) -> str:
    """The cursor that resumes a listing after ``job``."""
    raw = json.dumps([job.started_at, job.job_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    """The position a cursor of :func:`encode_cursor` names; :class:`BadRequest` if none."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        raise BadRequest("cursor: not a cursor from a previous answer") from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int | float)
        or isinstance(value[0], bool)
        or not isinstance(value[1], str)
    ):
        raise BadRequest("cursor: not a cursor from a previous answer")
    return float(value[0]), value[1]


def parse_list_query(query: str) -> ListQuery:
    """Read ``limit``, ``cursor`` and ``type`` from a query string; :class:`BadRequest` if bad."""
    try:
        fields = parse_qs(
            query, keep_blank_values=True, errors="replace", max_num_fields=MAX_QUERY_FIELDS
        )
    except ValueError:
        raise BadRequest(f"at most {MAX_QUERY_FIELDS} query parameters") from None
    limit = DEFAULT_LIMIT
    if "limit" in fields:
        text = fields["limit"][0].strip()
        if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_LIMIT):
            raise BadRequest(f"limit: an integer from 1 to {MAX_LIMIT}")
        limit = int(text)
    after = decode_cursor(fields["cursor"][0]) if fields.get("cursor", [""])[0] else None
    job_type = fields["type"][0] if fields.get("type", [""])[0] else None
    return ListQuery(limit, after, job_type)


def sort_key(job: RunningJob) -> tuple[float, str]:
    """The listing order: oldest first, then by ID (what a cursor points into)."""
    return job.started_at, job.job_id
