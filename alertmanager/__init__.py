"""Alertmanager configuration as code: routing, inhibition and templates generated from the
alert catalog (:mod:`prometheus.catalog`) and one knobs file, and the alert history receiver.
"""
