// Migration 12 from a version-11 database holding a user and a run: worker
// credentials (unique names, case-insensitive; unique secret hashes) and
// remote attempts that name a run and a credential.
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { migrate, MIGRATIONS } from '../../../../src/main/store/index'

let db: Database.Database
afterEach(() => db?.close())

describe('migration 012 worker-machines', () => {
  it('adds worker credentials and remote attempts beside the existing runs', () => {
    db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    expect(migrate(db, MIGRATIONS, 11)).toBe(11)
    const at = '2024-01-01T00:00:00.000Z'
    db.prepare(`INSERT INTO users (name, display_name, roles_json, password_hash, created_at) VALUES ('ada', 'Ada', '["admin"]', 'x', ?)`).run(at)
    db.prepare(
      `INSERT INTO runs (kind, name, architecture, input_size, classes_json, hyperparameters_json, seed, status, started_at, updated_at)
       VALUES ('crossval', '', 'wnet', 32, '["a"]', '{}', 1, 'running', ?, ?)`
    ).run(at, at)

    expect(migrate(db)).toBe(MIGRATIONS.length)
    db.prepare(`INSERT INTO worker_credentials (name, secret_hash, created_by, created_by_name, created_at) VALUES ('gpu-1', 'h1', 1, 'ada', ?)`).run(at)
    expect(() => db.prepare(`INSERT INTO worker_credentials (name, secret_hash, created_by_name, created_at) VALUES ('GPU-1', 'h2', 'ada', ?)`).run(at)).toThrow(/UNIQUE/)
    expect(() => db.prepare(`INSERT INTO worker_credentials (name, secret_hash, created_by_name, created_at) VALUES ('gpu-2', 'h1', 'ada', ?)`).run(at)).toThrow(/UNIQUE/)
    db.prepare(
      `INSERT INTO remote_attempts (run_id, fold, credential_id, queue_job_id, started_from_epoch, last_epoch, status, worker_json, started_at, updated_at)
       VALUES (1, 0, 1, 'run-1-fold-0', 0, 2, 'training', '{}', ?, ?)`
    ).run(at, at)
    expect(() =>
      db.prepare(
        `INSERT INTO remote_attempts (run_id, fold, credential_id, queue_job_id, started_from_epoch, last_epoch, status, worker_json, started_at, updated_at)
         VALUES (1, 0, 1, 'j', 0, 0, 'lost', '{}', ?, ?)`
      ).run(at, at)
    ).toThrow(/CHECK/)
    expect(() =>
      db.prepare(
        `INSERT INTO remote_attempts (run_id, fold, credential_id, queue_job_id, started_from_epoch, last_epoch, status, worker_json, started_at, updated_at)
         VALUES (99, 0, 1, 'j', 0, 0, 'training', '{}', ?, ?)`
      ).run(at, at)
    ).toThrow(/FOREIGN KEY/)
    expect(db.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: 1 })
  })
})
