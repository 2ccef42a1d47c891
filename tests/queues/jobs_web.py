"""The web app of the running-jobs test: ``uvicorn tests.queues.jobs_web:app``.

Serves ``/jobs`` from the Celery workers' runs, not its own. The broker URL comes in
``JOBS_WEB_BROKER`` (a ``SIGNALPOST_*`` name would be read as a setting by ``setup()``).
"""

from __future__ import annotations

import os

from fastapi import FastAPI

import signalpost.celery
from signalpost.sdk import JobSources
from signalpost.sdk.setup import setup
from tests.queues.celery_app import app as celery

broker = os.environ["JOBS_WEB_BROKER"]
celery.conf.update(broker_url=broker, result_backend=broker)

app = FastAPI()
setup(app, jobs=JobSources(running=signalpost.celery.running_jobs(celery)))
