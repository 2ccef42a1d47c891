"""The running-jobs endpoints: list, show and cancel the runs in progress
(:mod:`~signalpost.serving.jobs.endpoint`), where a request points
(:mod:`~signalpost.serving.jobs.mounting`) and the list's pages
(:mod:`~signalpost.serving.jobs.paging`)."""
