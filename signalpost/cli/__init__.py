"""Terminal tools run by ``python -m signalpost``: ``jobs`` (the running-jobs view)."""
