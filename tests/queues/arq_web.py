"""The web app of the arq running-jobs test: ``uvicorn tests.queues.arq_web:app``.

Serves ``/jobs`` from the arq workers' runs, not its own. The Redis URL comes in
``JOBS_WEB_BROKER`` (a ``SIGNALPOST_*`` name would be read as a setting by ``setup()``).
"""

from __future__ import annotations

import os

from fastapi import FastAPI

import signalpost.arq
from signalpost.sdk import JobSources
from signalpost.sdk.setup import setup

app = FastAPI()
setup(app, jobs=JobSources(running=signalpost.arq.running_jobs(os.environ["JOBS_WEB_BROKER"])))
