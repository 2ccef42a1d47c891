"""The demo service: a small recruiting platform instrumented with Signalpost's public API.

* :mod:`demo.api`: the FastAPI service (candidates, job postings, matching jobs, fault switches);
* :mod:`demo.worker`: the job worker (candidate matching, resume parsing, a periodic digest);
* :mod:`demo.traffic`: a traffic generator;
* :mod:`demo.faults`: failure injection, switchable at run time by anyone with the database.

Both processes share one PostgreSQL database (``DEMO_DATABASE_URL``); jobs travel through a
``job_queue`` table with the trace context of the request that enqueued them.
"""
