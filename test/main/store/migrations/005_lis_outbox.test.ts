// Migration 5 from a version-4 database with a signed slide and review
// settings in it: the rows survive, and the outbox, its try log, the LIS
// settings log and the lab's 200-cell target column work as the schema says.
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { migrate, MIGRATIONS, schemaVersion } from '../../../../src/main/store/index'

let db: Database.Database
afterEach(() => db?.close())

describe('migration 005 lis-outbox', () => {
  it('migrates a version-4 database with rows, keeps them, and yields a working schema', () => {
    db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    expect(migrate(db, MIGRATIONS, 4)).toBe(4)
    const at = '2026-12-06T00:00:00.000Z'
    db.prepare(`INSERT INTO slides (sample_id, source, status, created_at) VALUES ('S-1', 'test', 'signed', ?)`).run(at)
    db.prepare(`INSERT INTO sign_offs (slide_id, status, who, at, meaning, counts_json) VALUES (1, 'signed', 'Dr Lee', ?, 'Reviewed', '{"neutrophil":3}')`).run(at)
    db.prepare(`INSERT INTO review_settings (slide_id, unidentified_threshold, target_count, who, at) VALUES (NULL, 0.7, 100, 'admin', ?)`).run(at)

    expect(migrate(db)).toBe(MIGRATIONS.length)
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(5)
    expect(db.prepare('SELECT counts_json FROM sign_offs WHERE id = 1').pluck().get()).toBe('{"neutrophil":3}')
    expect(db.prepare('SELECT unidentified_threshold FROM review_settings').pluck().get()).toBe(0.7)
    expect(db.prepare('SELECT target_200_from_200_cells FROM review_settings').pluck().get()).toBeNull()
    db.prepare(`INSERT INTO review_settings (slide_id, target_200_from_200_cells, who, at) VALUES (NULL, 1, 'admin', ?)`).run(at)
    expect(() => db.prepare(`INSERT INTO review_settings (slide_id, target_200_from_200_cells, who, at) VALUES (NULL, 2, 'admin', ?)`).run(at)).toThrow(/CHECK/)

    const insert = db.prepare(
      `INSERT INTO lis_outbox (slide_id, sign_off_id, result_status, control_id, host, port, message, state, max_attempts, next_attempt_at, created_at, updated_at)
       VALUES (1, 1, 'F', ?, 'lis.local', 2575, 'MSH|...', ?, 10, ?, ?, ?)`
    )
    insert.run('C1', 'pending', at, at, at)
    expect(() => insert.run('C1', 'pending', at, at, at)).toThrow(/UNIQUE/) // a control id names one message
    expect(() => insert.run('C2', 'lost', at, at, at)).toThrow(/CHECK/)
    db.prepare(`UPDATE lis_outbox SET state = 'sent', ack_code = 'AA' WHERE id = 1`).run()
    db.prepare(`INSERT INTO lis_attempts (outbox_id, at, outcome, ack_code) VALUES (1, ?, 'ack', 'AA')`).run(at)
    expect(() => db.prepare(`DELETE FROM lis_attempts`).run()).toThrow(/append-only/)
    expect(() => db.prepare(`INSERT INTO lis_attempts (outbox_id, at, outcome) VALUES (99, ?, 'ack')`).run(at)).toThrow(/FOREIGN KEY/)

    db.prepare(`INSERT INTO lis_settings (host, port, send_on_sign_off, who, at) VALUES ('lis.local', 2575, 1, 'admin', ?)`).run(at)
    expect(() => db.prepare(`UPDATE lis_settings SET port = 1`).run()).toThrow(/append-only/)
    expect(() => db.prepare(`INSERT INTO lis_settings (port, at) VALUES (70000, ?)`).run(at)).toThrow(/CHECK/)
  })
})
