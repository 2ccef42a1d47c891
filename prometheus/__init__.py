"""Prometheus as code: the scrape configuration, recording and alerting rules, and their
generator (``python -m prometheus.generate``). Not part of the installed ``signalpost``
distribution: it is the repository's own tooling, run from the repository root."""
