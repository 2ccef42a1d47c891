"""PostgreSQL type names in their canonical spelling, so that a declaration may say ``int`` or
``varchar(10)`` where the catalog says ``integer`` or ``character varying(10)``."""

from __future__ import annotations

import re

__all__ = ["normalize_type"]

_ALIASES = {
    "int": "integer", "int4": "integer", "serial": "integer", "serial4": "integer",
    "int8": "bigint", "bigserial": "bigint", "serial8": "bigint",
    "int2": "smallint", "smallserial": "smallint", "serial2": "smallint",
    "bool": "boolean", "float8": "double precision", "double": "double precision",
    "float": "double precision", "float4": "real", "decimal": "numeric",
    "varchar": "character varying", "char": "character(1)", "bpchar": "character",
    "timestamptz": "timestamp with time zone", "timestamp": "timestamp without time zone",
    "timetz": "time with time zone", "time": "time without time zone",
    "varbit": "bit varying",
}
_PARAMETERISED = {
    "varchar": "character varying", "char": "character", "decimal": "numeric",
    "timestamptz": "timestamp{} with time zone", "timestamp": "timestamp{} without time zone",
    "timetz": "time{} with time zone", "time": "time{} without time zone",
}


def normalize_type(name: str) -> str:
    """Return PostgreSQL's canonical (``format_type``) spelling of a type name."""
    text = re.sub(r"\s+", " ", name.strip().lower())
    text = re.sub(r"\s*\(\s*", "(", text)
    text = re.sub(r"\s*,\s*", ",", text)
    text = re.sub(r"\s*\)", ")", text)
    suffix = ""
    while text.endswith("[]"):
        text, suffix = text[:-2].rstrip(), suffix + "[]"
    match = re.fullmatch(r"([a-z0-9_ ]+?)(\([0-9,]+\))?", text)
    if match is None:
        return text + suffix
    base, args = match.group(1), match.group(2)
    if args:
        template = _PARAMETERISED.get(base)
        if template is None:
            return text + suffix
        if "{}" in template:
            return template.format(args) + suffix
        return f"{template}{args}{suffix}"
    return _ALIASES.get(base, base) + suffix
