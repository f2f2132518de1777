// Migration 8 from a version-7 database holding a blind session with cells and
// an answer: the old session stays ready (answerable) with no secret; a new
// session not yet ready refuses answers by trigger.
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { migrate, MIGRATIONS, verifyAuditChain } from '../../../../src/main/store/index'

let db: Database.Database
afterEach(() => db?.close())

describe('migration 008 blind-secrets', () => {
  it('keeps old sessions answerable, and refuses answers to a session still being prepared', () => {
    db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    expect(migrate(db, MIGRATIONS, 7)).toBe(7)
    const at = '2024-01-01T00:00:00.000Z'
    db.prepare(`INSERT INTO import_batches (source_path, status, started_at) VALUES ('/x', 'done', ?)`).run(at)
    db.prepare(
      `INSERT INTO images (sha256, format, width, height, byte_size, file_name, source_path, import_batch_id, imported_at) VALUES ('ab', 'jpeg', 9, 9, 3, 'a.jpg', '/x/a.jpg', 1, ?)`
    ).run(at)
    db.prepare(`INSERT INTO blind_sessions (name, recipe_json, seed, ask_origin, classes_json, display_size, status, created_at) VALUES ('old', '{}', 1, 1, '["a","b"]', 64, 'open', ?)`).run(at)
    db.prepare(`INSERT INTO blind_cells (session_id, token, position, origin, image_id, class, png) VALUES (1, 'tok-old', 0, 'real', 1, 'a', x'89')`).run()
    db.prepare(`INSERT INTO blind_answers (cell_id, class, who, at) VALUES (1, 'a', 'dr', ?)`).run(at)

    expect(migrate(db)).toBe(MIGRATIONS.length)
    expect(db.prepare('SELECT secret, ready FROM blind_sessions WHERE id = 1').get()).toEqual({ secret: null, ready: 1 })
    db.prepare(`INSERT INTO blind_answers (cell_id, class, who, at) VALUES (1, 'b', 'dr', ?)`).run(at)
    expect(db.prepare('SELECT count(*) FROM blind_answers').pluck().get()).toBe(2)

    db.prepare(`INSERT INTO blind_sessions (name, recipe_json, seed, ask_origin, classes_json, display_size, status, created_at, secret, ready) VALUES ('new', '{}', 0, 1, '["a","b"]', 64, 'open', ?, ?, 0)`).run(at, 'ab'.repeat(32))
    db.prepare(`INSERT INTO blind_cells (session_id, token, position, origin, image_id, class, png) VALUES (2, 'tok-new', 0, 'real', 1, 'a', x'89')`).run()
    expect(() => db.prepare(`INSERT INTO blind_answers (cell_id, class, who, at) VALUES (2, 'a', 'dr', ?)`).run(at)).toThrow(/still being prepared/)
    expect(() => db.prepare(`UPDATE blind_sessions SET ready = 2 WHERE id = 2`).run()).toThrow(/CHECK/)
    expect(verifyAuditChain(db)).toMatchObject({ ok: true, entries: 2 })
  })
})
