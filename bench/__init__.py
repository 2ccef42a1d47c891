"""Benchmarks (not shipped): HTTP overhead, in-process middleware cost, job overhead."""
