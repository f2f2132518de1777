// Version 12: training on worker machines (docs/scale.md). An admin issues a
// worker credential (`worker_credentials`: only a hash of its secret is kept,
// and revoking stamps it, never deletes it); each time a worker takes a fold
// or a training run from the queue it is a `remote_attempts` row: which
// credential trained which epochs of which fold, on what backend. The newest
// attempt of a fold is the only one whose uploads count (a fencing token), so
// a worker that lost its job to another can't overwrite the other's work.
import type { Migration } from './types'

export const migration012: Migration = {
  version: 12,
  name: 'worker-machines',
  up(db) {
    db.exec(/* sql */ `
      CREATE TABLE worker_credentials (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL UNIQUE COLLATE NOCASE,
        secret_hash  TEXT NOT NULL UNIQUE,
        created_by   INTEGER REFERENCES users(id),   -- NULL: the local operator (command line)
        created_by_name TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        revoked_at   TEXT,
        revoked_by_name TEXT,
        last_seen_at TEXT
      ) STRICT;
      CREATE TABLE remote_attempts (
        id                 INTEGER PRIMARY KEY,
        run_id             INTEGER NOT NULL REFERENCES runs(id),
        fold               INTEGER NOT NULL,
        credential_id      INTEGER NOT NULL REFERENCES worker_credentials(id),
        queue_job_id       TEXT NOT NULL,
        started_from_epoch INTEGER NOT NULL,
        last_epoch         INTEGER NOT NULL,
        status             TEXT NOT NULL CHECK (status IN ('training', 'done', 'superseded', 'failed', 'cancelled')),
        worker_json        TEXT NOT NULL,
        error              TEXT,
        started_at         TEXT NOT NULL,
        updated_at         TEXT NOT NULL
      ) STRICT;
      CREATE INDEX remote_attempts_fold ON remote_attempts(run_id, fold, id);
    `)
  }
}
