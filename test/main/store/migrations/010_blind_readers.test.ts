// Migration 10 from a version-9 database (people) holding a user, a blind
// session and an answer with its user id: invitations work and are append-only,
// the tables people changed are hashed with their new columns from now on
// (older entries still verify), and user events join the chain.
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { migrate, MIGRATIONS, verifyAuditChain } from '../../../../src/main/store/index'

let db: Database.Database
afterEach(() => db?.close())

describe('migration 010 blind-readers', () => {
  it('adds invitations, rehashes changed tables with every column, and chains user events', () => {
    db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    expect(migrate(db, MIGRATIONS, 9)).toBe(9)
    const at = '2024-01-01T00:00:00.000Z'
    db.prepare(`INSERT INTO users (name, display_name, roles_json, password_hash, created_at) VALUES ('rita', 'Rita', '["reader"]', 'x', ?)`).run(at)
    db.prepare(`INSERT INTO user_events (user_id, kind, by_name, at) VALUES (1, 'created', 'setup', ?)`).run(at)
    db.prepare(`INSERT INTO import_batches (source_path, status, started_at) VALUES ('/x', 'done', ?)`).run(at)
    db.prepare(`INSERT INTO images (sha256, format, width, height, byte_size, file_name, source_path, import_batch_id, imported_at) VALUES ('ab', 'jpeg', 9, 9, 3, 'a.jpg', '/x/a.jpg', 1, ?)`).run(at)
    db.prepare(`INSERT INTO labels (image_id, class, source, at, user_id) VALUES (1, 'basophil', 'reviewer', ?, 1)`).run(at)
    db.prepare(`INSERT INTO blind_sessions (name, recipe_json, seed, ask_origin, classes_json, display_size, status, created_at) VALUES ('s', '{}', 0, 1, '["a","b"]', 64, 'open', ?)`).run(at)
    db.prepare(`INSERT INTO blind_cells (session_id, token, position, origin, image_id, class, png) VALUES (1, 'tok', 0, 'real', 1, 'a', x'89')`).run()
    db.prepare(`INSERT INTO blind_answers (cell_id, class, who, at, user_id) VALUES (1, 'a', 'rita', ?, 1)`).run(at)

    expect(migrate(db)).toBe(MIGRATIONS.length)
    // labels gained user_id with people: a second column list; user_events joined the chain.
    const versions = db.prepare(`SELECT tbl, version, columns_json AS c FROM audit_tables WHERE tbl IN ('labels', 'user_events', 'blind_invitations') ORDER BY tbl, version`).all() as { tbl: string; version: number; c: string }[]
    expect(versions.map((v) => `${v.tbl}@${v.version}`)).toEqual(['blind_invitations@1', 'labels@1', 'labels@2', 'user_events@1'])
    expect(JSON.parse(versions.find((v) => v.tbl === 'labels' && v.version === 2)!.c)).toContain('user_id')
    expect(verifyAuditChain(db)).toMatchObject({ ok: true, missingTriggers: [] })

    // A new label is hashed with its user id: changing it behind the app's back is caught.
    db.prepare(`INSERT INTO labels (image_id, class, source, at, user_id) VALUES (1, 'monocyte', 'reviewer', ?, 1)`).run(at)
    db.prepare(`INSERT INTO blind_invitations (session_id, user_id, by_name, at) VALUES (1, 1, 'olga', ?)`).run(at)
    expect(() => db.prepare(`INSERT INTO blind_invitations (session_id, user_id, by_name, at) VALUES (1, 1, 'olga', ?)`).run(at)).toThrow(/UNIQUE/)
    expect(() => db.prepare(`DELETE FROM blind_invitations`).run()).toThrow(/append-only/)
    expect(verifyAuditChain(db).ok).toBe(true)
    db.exec(`DROP TRIGGER labels_append_only_update`)
    db.prepare(`UPDATE labels SET user_id = NULL WHERE id = 2`).run()
    expect(verifyAuditChain(db)).toMatchObject({ ok: false, firstBreak: { table: 'labels', id: 2, reason: 'changed' } })
  })
})
