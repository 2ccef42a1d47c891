"""The local stack's OTLP receiver: the Collector, Tempo and Loki of ``bash scripts/demo.sh``.

Receives OTLP/HTTP (protobuf) traces and logs, keeps them in PostgreSQL
(:mod:`signalpost.lookup.schema`) within an age and a size bound, for
``python -m signalpost lookup`` and ``runs``. Run it with ``python -m collector.receiver``.
"""
