// Migration 6 from a version-5 database holding a real slide row with an
// image and a sign-off, then the order log and reference-table log with rows.
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { migrate, MIGRATIONS, schemaVersion } from '../../../../src/main/store/index'

let db: Database.Database
afterEach(() => db?.close())

describe('migration 006 orders-and-reference-intervals', () => {
  it('migrates a version-5 database with rows, keeps them, and yields append-only order and reference logs', () => {
    db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    expect(migrate(db, MIGRATIONS, 5)).toBe(5)
    const at = '2026-03-02T08:00:00.000Z'
    db.prepare(`INSERT INTO slides (sample_id, source, created_at) VALUES ('S-1', '/x', ?)`).run(at)
    db.prepare(`INSERT INTO import_batches (source_path, status, started_at) VALUES ('/x', 'done', ?)`).run(at)
    db.prepare(
      `INSERT INTO images (sha256, format, width, height, byte_size, file_name, source_path, slide_id, import_batch_id, imported_at)
       VALUES ('ab', 'jpeg', 360, 363, 3, 'a.jpg', '/x/a.jpg', 1, 1, ?)`
    ).run(at)
    db.prepare(`INSERT INTO sign_offs (slide_id, status, who, at, meaning) VALUES (1, 'signed', 'Dr Lee', ?, 'ok')`).run(at)

    expect(migrate(db)).toBe(MIGRATIONS.length)
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(6)
    expect(db.prepare('SELECT sample_id FROM slides').pluck().get()).toBe('S-1')
    expect(db.prepare('SELECT count(*) FROM sign_offs').pluck().get()).toBe(1)

    const entry = db.prepare(`INSERT INTO slide_order_entries (slide_id, field, value, source, who, at, why) VALUES (?, ?, ?, ?, ?, ?, ?)`)
    entry.run(1, 'patientId', 'MRN-5', 'manifest', 'import', at, 'manifest order.csv line 2')
    entry.run(1, 'patientId', null, 'reviewer', 'Dr Lee', at, 'wrong patient')
    expect(db.prepare(`SELECT value FROM slide_order_entries WHERE slide_id = 1 AND field = 'patientId' ORDER BY id DESC LIMIT 1`).pluck().get()).toBeNull()
    expect(() => entry.run(1, 'shoeSize', '9', 'reviewer', 'x', at, '')).toThrow(/CHECK/)
    expect(() => entry.run(1, 'sex', 'F', 'guess', 'x', at, '')).toThrow(/CHECK/)
    expect(() => entry.run(1, 'sex', 'F', 'reviewer', ' ', at, '')).toThrow(/CHECK/)
    expect(() => entry.run(99, 'sex', 'F', 'reviewer', 'x', at, '')).toThrow(/FOREIGN KEY/)
    expect(() => db.prepare(`UPDATE slide_order_entries SET value = 'x'`).run()).toThrow(/append-only/)
    expect(() => db.prepare(`DELETE FROM slide_order_entries`).run()).toThrow(/append-only/)

    db.prepare(`INSERT INTO reference_interval_sets (name, source, intervals_json, who, at) VALUES ('lab 2026', 'own study', '[]', 'admin', ?)`).run(at)
    expect(() => db.prepare(`UPDATE reference_interval_sets SET name = 'x'`).run()).toThrow(/append-only/)
    expect(() => db.prepare(`INSERT INTO reference_interval_sets (name, intervals_json, who, at) VALUES ('', '[]', 'admin', ?)`).run(at)).toThrow(/CHECK/)
  })
})
