"""The procedures Signalpost ships: :mod:`.jobs` (a stuck job is cancelled and handed back to
its queue), :mod:`.outage` (jobs failed during a database outage are re-enqueued),
:mod:`.breaker` (an open breaker pages only when it does not recover)."""
