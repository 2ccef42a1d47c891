"""Benchmarks (not shipped): HTTP overhead and job overhead."""
