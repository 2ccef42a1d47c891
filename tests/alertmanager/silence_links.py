"""Reading the pre-filled silence links of the notifications back: find them, decode them as
Alertmanager's UI does, parse the matchers as its filter parser does."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import unquote

__all__ = ["HOSTILE", "filters", "matchers", "silence_urls"]

HOSTILE = {
    # Everything a label value may hold that breaks a naive link or matcher.
    "job_type": 'say "hi" \\ & #1 50%+ {x} <y>|z, a=b',
    "detail": "line one\nline\ttwo\r ü €",
}
"""Label values that need escaping both as matcher strings and in a URL."""

_URL = re.compile(r"""https?://[^\s"'<>|]*#/silences/new\?[^\s"'<>|]*""")
_ITEM = re.compile(r'\s*([^{}!=~,\\"\'`\s]+)(=~|!~|!=|=)("(?:[^"\\]|\\.)*")\s*', re.S)


def silence_urls(body: str, *, html: bool = False) -> list[str]:
    """Every link to the new-silence page in a rendered notification (HTML: from hrefs)."""
    if html:
        return [unescape(href) for href in re.findall(r'href="([^"]*)"', body)
                if "#/silences/new?" in unescape(href)]
    return _URL.findall(body)


def filters(url: str) -> str:
    """The ``filter`` parameter of a silence link, percent-decoded as the UI does (Elm's
    ``Url.percentDecode``: ``+`` stays ``+``)."""
    fragment = url.split("#", 1)[1]
    query = fragment.split("?", 1)[1]
    (value,) = [p.split("=", 1)[1] for p in query.split("&") if p.startswith("filter=")]
    return unquote(value, errors="strict")


def matchers(text: str) -> dict[str, str]:
    """Equality matchers of a ``{name="value", ...}`` filter; values are JSON strings, as in
    the UI's parser. Raises ``ValueError`` on anything else."""
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(f"not a filter: {text!r}")
    body, found, position = text[1:-1], {}, 0
    while position < len(body):
        item = _ITEM.match(body, position)
        if item is None or item[2] != "=":
            raise ValueError(f"bad matcher at {position} in {text!r}")
        found[item[1]] = json.loads(item[3])
        position = item.end()
        if position < len(body):
            if body[position] != ",":
                raise ValueError(f"expected ',' at {position} in {text!r}")
            position += 1
    return found
