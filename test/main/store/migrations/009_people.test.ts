// Migration 9 from a version-8 database holding a signed slide, comments,
// settings and a blind answer made before accounts existed: every row
// survives with its name and no user id; then users, their append-only log,
// and the new user-id, verification and hash columns work.
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { migrate, MIGRATIONS, schemaVersion, verifyAuditChain } from '../../../../src/main/store/index'

let db: Database.Database
afterEach(() => db?.close())

describe('migration 009 people', () => {
  it('migrates a version-8 database with review rows, keeps them, and adds users', () => {
    db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    expect(migrate(db, MIGRATIONS, 8)).toBe(8)
    const at = '2026-01-01T00:00:00.000Z'
    db.prepare(`INSERT INTO slides (sample_id, source, status, created_at) VALUES ('S1', 'x', 'signed', ?)`).run(at)
    db.prepare(`INSERT INTO import_batches (source_path, status, started_at) VALUES ('/x', 'done', ?)`).run(at)
    db.prepare(
      `INSERT INTO images (sha256, format, width, height, byte_size, file_name, source_path, slide_id, import_batch_id, imported_at)
       VALUES ('ab', 'jpeg', 360, 363, 3, 'a.jpg', '/x/a.jpg', 1, 1, ?)`
    ).run(at)
    db.prepare(`INSERT INTO labels (image_id, class, source, who, at) VALUES (1, 'monocyte', 'reviewer', 'Dr A', ?)`).run(at)
    db.prepare(`INSERT INTO sign_offs (slide_id, status, who, at, meaning, counts_json) VALUES (1, 'signed', 'Dr A', ?, 'Reviewed', '{"monocyte":1}')`).run(at)
    db.prepare(`INSERT INTO review_comments (slide_id, who, at, text) VALUES (1, 'Dr A', ?, 'fine')`).run(at)
    db.prepare(`INSERT INTO review_settings (slide_id, target_count, who, at) VALUES (NULL, 200, 'admin', ?)`).run(at)

    expect(migrate(db, MIGRATIONS, 9)).toBe(9)
    expect(schemaVersion(db)).toBe(9)
    // Old rows keep their names, with no user behind them, as a first signature without a hash.
    expect(db.prepare('SELECT who, user_id, verification, content_sha256 FROM sign_offs').get()).toEqual({ who: 'Dr A', user_id: null, verification: 1, content_sha256: '' })
    expect(db.prepare('SELECT who, user_id FROM labels WHERE source = ?').get('reviewer')).toEqual({ who: 'Dr A', user_id: null })
    expect(db.prepare('SELECT who, user_id FROM review_comments').get()).toEqual({ who: 'Dr A', user_id: null })
    expect(db.prepare('SELECT target_count, second_verification FROM review_settings').get()).toEqual({ target_count: 200, second_verification: null })
    // Still append-only after the new columns.
    expect(() => db.prepare(`UPDATE sign_offs SET user_id = 1`).run()).toThrow(/append-only/)

    const add = db.prepare(`INSERT INTO users (name, display_name, roles_json, password_hash, created_at) VALUES (?, ?, ?, 'scrypt$x', ?)`)
    const ada = Number(add.run('ada', 'Ada Admin', '["admin"]', at).lastInsertRowid)
    const lee = Number(add.run('lee', 'Dr Lee', '["verifier"]', at).lastInsertRowid)
    // Names are unique whatever their case; roles are a JSON array.
    expect(() => add.run('ADA', 'x', '["admin"]', at)).toThrow(/UNIQUE/)
    expect(() => add.run('bob', 'Bob', 'admin', at)).toThrow(/CHECK/)
    expect(() => add.run('x', 'Short', '["reader"]', at)).toThrow(/CHECK/)
    // Users are disabled, never deleted; their log is append-only.
    expect(() => db.prepare('DELETE FROM users WHERE id = ?').run(lee)).toThrow(/never deleted/)
    db.prepare(`INSERT INTO user_events (user_id, kind, by_user, by_name, at) VALUES (?, 'created', ?, 'ada', ?)`).run(lee, ada, at)
    expect(() => db.prepare(`UPDATE user_events SET by_name = 'x'`).run()).toThrow(/append-only/)
    expect(() => db.prepare(`INSERT INTO user_events (user_id, kind, by_name, at) VALUES (?, 'renamed', 'ada', ?)`).run(lee, at)).toThrow(/CHECK/)

    // A second verification by a user, with the hash of what was signed.
    db.prepare(
      `INSERT INTO sign_offs (slide_id, status, who, user_id, at, meaning, counts_json, verification, content_sha256) VALUES (1, 'signed', 'lee', ?, ?, 'Second review', '{"monocyte":1}', 2, ?)`
    ).run(lee, at, 'f'.repeat(64))
    expect(() => db.prepare(`INSERT INTO sign_offs (slide_id, status, who, at, meaning, verification) VALUES (1, 'signed', 'lee', ?, 'x', 3)`).run(at)).toThrow(/CHECK/)
    expect(() => db.prepare(`INSERT INTO labels (image_id, class, source, who, user_id, at) VALUES (1, 'monocyte', 'reviewer', 'ghost', 99, ?)`).run(at)).toThrow(/FOREIGN KEY/)
    db.prepare(`INSERT INTO review_settings (slide_id, second_verification, who, user_id, at) VALUES (1, 1, 'ada', ?, ?)`).run(ada, at)
    expect(() => db.prepare(`INSERT INTO review_settings (slide_id, second_verification, at) VALUES (1, 2, ?)`).run(at)).toThrow(/CHECK/)
    // The audited tables were rechained with their new columns: the user ids are part of what the chain proves.
    db.prepare(`INSERT INTO labels (image_id, class, source, who, user_id, at) VALUES (1, 'lymphocyte', 'reviewer', 'lee', ?, ?)`).run(lee, at)
    expect(JSON.parse(db.prepare(`SELECT columns_json FROM audit_tables WHERE tbl = 'labels' ORDER BY version DESC LIMIT 1`).pluck().get() as string)).toContain('user_id')
    expect(db.prepare(`SELECT count(*) FROM audit_chain WHERE tbl = 'user_events'`).pluck().get()).toBe(1)
    expect(verifyAuditChain(db)).toMatchObject({ ok: true, firstBreak: null })
  })
})
