"""What Signalpost serves over HTTP: ``/metrics`` (:mod:`~signalpost.serving.metrics`), the
running jobs (:mod:`~signalpost.serving.jobs`) and the health endpoints
(:mod:`~signalpost.serving.health`). Nothing is imported here: each part loads on its own."""
