-- signals-queue 1: the jobs table.
-- One row per job that is waiting (state 0), running (1) or dead (2); a job
-- that succeeded is deleted, so finished work never slows the claim.
-- `run_at` (milliseconds since the Unix epoch) is when a waiting job may run
-- and when a running job's lease ends: one index serves both.
CREATE TABLE signals_jobs (
    id           BIGSERIAL PRIMARY KEY,
    signal       TEXT    NOT NULL,
    receiver     TEXT    NOT NULL,
    payload      BYTEA   NOT NULL,
    state        INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       BIGINT  NOT NULL,
    locked_by    TEXT,
    last_error   TEXT,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX signals_jobs_due ON signals_jobs (run_at, id) WHERE state < 2;
CREATE INDEX signals_jobs_dead ON signals_jobs (id) WHERE state = 2;
