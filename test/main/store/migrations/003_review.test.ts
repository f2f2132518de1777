// Migration 3 from a version-2 database holding slides, images and labels:
// the rows survive, and the review tables work as append-only logs.
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { migrate, MIGRATIONS, schemaVersion } from '../../../../src/main/store/index'

let db: Database.Database
afterEach(() => db?.close())

describe('migration 003 review', () => {
  it('migrates a version-2 database with rows and adds the review logs', () => {
    db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    expect(migrate(db, MIGRATIONS, 2)).toBe(2)
    const at = '2026-01-01T00:00:00.000Z'
    db.prepare(`INSERT INTO slides (sample_id, source, status, created_at) VALUES ('S1', 'x', 'classified', ?)`).run(at)
    db.prepare(`INSERT INTO import_batches (source_path, status, started_at) VALUES ('/x', 'done', ?)`).run(at)
    db.prepare(
      `INSERT INTO images (sha256, format, width, height, byte_size, file_name, source_path, slide_id, import_batch_id, imported_at)
       VALUES ('ab', 'jpeg', 360, 363, 3, 'a.jpg', '/x/a.jpg', 1, 1, ?)`
    ).run(at)
    db.prepare(`INSERT INTO labels (image_id, class, source, at) VALUES (1, 'neutrophil', 'folder', ?)`).run(at)
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'sign_offs'`).get()).toBeUndefined()

    expect(migrate(db, MIGRATIONS, 3)).toBe(3)
    expect(schemaVersion(db)).toBe(3)
    expect(db.prepare('SELECT sample_id, status FROM slides').get()).toEqual({ sample_id: 'S1', status: 'classified' })
    expect(db.prepare('SELECT class FROM current_labels WHERE image_id = 1').pluck().get()).toBe('neutrophil')

    // Every review table is STRICT and append-only.
    for (const t of ['sign_offs', 'review_comments', 'review_settings', 'review_actions', 'review_changes']) {
      expect(db.prepare(`SELECT sql FROM sqlite_master WHERE name = ?`).pluck().get(t)).toMatch(/STRICT/)
    }
    db.prepare(`INSERT INTO sign_offs (slide_id, status, who, at, meaning, counts_json) VALUES (1, 'signed', 'Dr A', ?, 'Reviewed', '{"neutrophil":1}')`).run(at)
    db.prepare(`INSERT INTO sign_offs (slide_id, status, who, at, reason) VALUES (1, 'reopened', 'Dr B', ?, 'recount')`).run(at)
    expect(() => db.prepare(`UPDATE sign_offs SET who = 'x'`).run()).toThrow(/append-only/)
    expect(() => db.prepare(`DELETE FROM sign_offs`).run()).toThrow(/append-only/)
    // A signature needs its meaning, a reopening its reason, both a name.
    expect(() => db.prepare(`INSERT INTO sign_offs (slide_id, status, who, at) VALUES (1, 'signed', 'Dr A', ?)`).run(at)).toThrow(/CHECK/)
    expect(() => db.prepare(`INSERT INTO sign_offs (slide_id, status, who, at) VALUES (1, 'reopened', 'Dr A', ?)`).run(at)).toThrow(/CHECK/)
    expect(() => db.prepare(`INSERT INTO sign_offs (slide_id, status, who, at, meaning) VALUES (1, 'signed', ' ', ?, 'm')`).run(at)).toThrow(/CHECK/)
    expect(() => db.prepare(`INSERT INTO sign_offs (slide_id, status, who, at, meaning) VALUES (9, 'signed', 'a', ?, 'm')`).run(at)).toThrow(/FOREIGN KEY/)

    db.prepare(`INSERT INTO review_comments (slide_id, image_id, who, at, text) VALUES (1, 1, 'Dr A', ?, 'look')`).run(at)
    expect(() => db.prepare(`UPDATE review_comments SET text = 'x'`).run()).toThrow(/append-only/)

    db.prepare(`INSERT INTO review_settings (slide_id, unidentified_threshold, target_count, at) VALUES (NULL, 0.7, 200, ?)`).run(at)
    expect(() => db.prepare(`INSERT INTO review_settings (slide_id, target_count, at) VALUES (1, 150, ?)`).run(at)).toThrow(/CHECK/)
    expect(() => db.prepare(`INSERT INTO review_settings (slide_id, unidentified_threshold, at) VALUES (1, 1.5, ?)`).run(at)).toThrow(/CHECK/)

    const action = db.prepare(`INSERT INTO review_actions (slide_id, kind, who, at) VALUES (1, 'reclassify', 'Dr A', ?)`).run(at).lastInsertRowid
    const label = db.prepare(`INSERT INTO labels (image_id, class, source, who, at) VALUES (1, 'monocyte', 'reviewer', 'Dr A', ?)`).run(at).lastInsertRowid
    db.prepare(`INSERT INTO review_changes (action_id, image_id, label_id, old_class, new_class) VALUES (?, 1, ?, 'neutrophil', 'monocyte')`).run(action, label)
    // An undo names the action it takes back, and only once.
    expect(() => db.prepare(`INSERT INTO review_actions (slide_id, kind, who, at) VALUES (1, 'undo', 'Dr A', ?)`).run(at)).toThrow(/CHECK/)
    db.prepare(`INSERT INTO review_actions (slide_id, kind, who, at, undoes_action_id) VALUES (1, 'undo', 'Dr A', ?, ?)`).run(at, action)
    expect(() => db.prepare(`INSERT INTO review_actions (slide_id, kind, who, at, undoes_action_id) VALUES (1, 'undo', 'Dr A', ?, ?)`).run(at, action)).toThrow(/UNIQUE/)
    expect(() => db.prepare(`DELETE FROM review_changes`).run()).toThrow(/append-only/)
    // The reviewer's label is now the current one.
    expect(db.prepare('SELECT class, source FROM current_labels WHERE image_id = 1').get()).toEqual({ class: 'monocyte', source: 'reviewer' })

    // Later migrations keep all of it.
    expect(migrate(db)).toBe(MIGRATIONS.length)
    expect(db.prepare('SELECT count(*) FROM sign_offs').pluck().get()).toBe(2)
  })
})
