"""Kubernetes output of the generators (Prometheus Operator, Grafana sidecar) and Thanos."""
