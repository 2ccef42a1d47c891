-- The demo service's tables; applied at start-up by demo.store.migrate (idempotent).
CREATE TABLE IF NOT EXISTS candidates (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    email       text NOT NULL,
    resume      text NOT NULL DEFAULT '',
    skills      text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS postings (
    id          bigserial PRIMARY KEY,
    title       text NOT NULL,
    skills      text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS matches (
    posting_id   bigint NOT NULL REFERENCES postings (id) ON DELETE CASCADE,
    candidate_id bigint NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    score        double precision NOT NULL,
    PRIMARY KEY (posting_id, candidate_id)
);
-- One row per enqueued job; the worker claims rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE IF NOT EXISTS job_queue (
    id             bigserial PRIMARY KEY,
    job_type       text NOT NULL,
    payload        jsonb NOT NULL DEFAULT '{}',
    trace_context  jsonb NOT NULL DEFAULT '{}',
    request_id     text,
    state          text NOT NULL DEFAULT 'queued',
    progress_done  integer NOT NULL DEFAULT 0,
    progress_total integer NOT NULL DEFAULT 0,
    error          text,
    enqueued_at    timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    finished_at    timestamptz
);
CREATE INDEX IF NOT EXISTS job_queue_queued ON job_queue (id) WHERE state = 'queued';
-- For the recovery runner (demo/recovery.py): the class of a failure (only transient ones are
-- re-enqueued after an outage), and which job a re-enqueued or retried row repeats.
ALTER TABLE job_queue ADD COLUMN IF NOT EXISTS error_class text;
ALTER TABLE job_queue ADD COLUMN IF NOT EXISTS retry_of bigint;
CREATE INDEX IF NOT EXISTS job_queue_retry_of ON job_queue (retry_of) WHERE retry_of IS NOT NULL;
-- Failure injection switches, read by the API and the worker.
CREATE TABLE IF NOT EXISTS demo_faults (
    name     text PRIMARY KEY,
    enabled  boolean NOT NULL DEFAULT false,
    changed_at timestamptz NOT NULL DEFAULT now()
);
