"""Grafana as code: provisioning files and the dashboards (``python -m grafana.generate``)."""
