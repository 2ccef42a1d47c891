"""The recorded scenario and its store (tests/lookup/fixtures.py)."""

from tests.lookup.fixtures import recorded, store

__all__ = ["recorded", "store"]
