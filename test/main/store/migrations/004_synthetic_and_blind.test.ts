// Migration 4 from a version-3 database holding real images and labels, then
// the synthetic and blind-session schema exercised with rows in every table.
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { migrate, MIGRATIONS, schemaVersion } from '../../../../src/main/store/index'

let db: Database.Database
afterEach(() => db?.close())

describe('migration 004 synthetic-and-blind', () => {
  it('migrates a version-3 database with rows, keeps them, and yields a working schema', () => {
    db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    expect(migrate(db, MIGRATIONS, 3)).toBe(3)
    const at = '2024-01-01T00:00:00.000Z'
    db.prepare(`INSERT INTO import_batches (source_path, status, started_at) VALUES ('/x', 'done', ?)`).run(at)
    db.prepare(
      `INSERT INTO images (sha256, format, width, height, byte_size, file_name, source_path, import_batch_id, imported_at)
       VALUES ('ab', 'jpeg', 360, 363, 3, 'a.jpg', '/x/a.jpg', 1, ?)`
    ).run(at)
    db.prepare(`INSERT INTO image_originals (image_id, bytes) VALUES (1, x'010203')`).run()
    db.prepare(`INSERT INTO labels (image_id, class, source, at) VALUES (1, 'basophil', 'folder', ?)`).run(at)

    expect(migrate(db)).toBe(MIGRATIONS.length)
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(4)
    // Real rows survived.
    expect(db.prepare('SELECT class FROM current_labels WHERE image_id = 1').pluck().get()).toBe('basophil')
    expect(db.prepare('SELECT count(*) FROM images').pluck().get()).toBe(1)

    db.prepare(
      `INSERT INTO gan_generators (name, class, preset, settings_json, status, created_at, updated_at) VALUES ('g', 'basophil', 'tiny', '{}', 'created', ?, ?)`
    ).run(at, at)
    db.prepare(`INSERT INTO gan_checkpoints (generator_id, step, weights, created_at) VALUES (1, 10, x'00000000', ?)`).run(at)
    db.prepare(
      `INSERT INTO synthetic_images (generator_id, checkpoint_id, step, seed, draw_index, class, width, height, sha256, png, created_at)
       VALUES (1, 1, 10, 7, 0, 'basophil', 16, 16, 'cd', x'89', ?)`
    ).run(at)
    // Generated cells are not images: real datasets cannot reference them.
    expect(db.prepare('SELECT count(*) FROM images').pluck().get()).toBe(1)
    expect(() => db.prepare(`INSERT INTO synthetic_images (generator_id, checkpoint_id, step, seed, draw_index, class, width, height, sha256, png, created_at) VALUES (1, 1, 10, 7, 0, 'basophil', 16, 16, 'ef', x'89', ?)`).run(at)).toThrow(/UNIQUE/)
    expect(() => db.prepare(`INSERT INTO synthetic_images (generator_id, checkpoint_id, step, seed, draw_index, class, width, height, sha256, png, created_at) VALUES (1, 99, 10, 7, 1, 'basophil', 16, 16, 'ef', x'89', ?)`).run(at)).toThrow(/FOREIGN KEY/)
    expect(() => db.prepare(`UPDATE gan_generators SET status = 'bored'`).run()).toThrow(/CHECK/)

    db.prepare(`INSERT INTO synthetic_reports (model, report_json, created_at) VALUES ('m', '{}', ?)`).run(at)
    db.prepare(`INSERT INTO synthetic_report_generators (report_id, generator_id, checkpoint_id, class) VALUES (1, 1, 1, 'basophil')`).run()

    db.prepare(
      `INSERT INTO blind_sessions (name, recipe_json, seed, ask_origin, classes_json, display_size, status, created_at) VALUES ('s', '{}', 1, 1, '[]', 128, 'open', ?)`
    ).run(at)
    db.prepare(`INSERT INTO blind_cells (session_id, token, position, origin, image_id, class, png) VALUES (1, 'tA', 0, 'real', 1, 'basophil', x'89')`).run()
    db.prepare(`INSERT INTO blind_cells (session_id, token, position, origin, synthetic_image_id, class, png) VALUES (1, 'tB', 1, 'synthetic', 1, 'basophil', x'89')`).run()
    // The origin must agree with the reference it carries.
    expect(() => db.prepare(`INSERT INTO blind_cells (session_id, token, position, origin, image_id, class, png) VALUES (1, 'tC', 2, 'synthetic', 1, 'basophil', x'89')`).run()).toThrow(/CHECK/)
    expect(() => db.prepare(`INSERT INTO blind_cells (session_id, token, position, origin, image_id, class, png) VALUES (1, 'tA', 3, 'real', 1, 'basophil', x'89')`).run()).toThrow(/UNIQUE/)

    db.prepare(`INSERT INTO blind_answers (cell_id, class, origin, who, at) VALUES (1, 'basophil', 'real', 'dr', ?)`).run(at)
    expect(() => db.prepare(`UPDATE blind_answers SET class = 'monocyte'`).run()).toThrow(/append-only/)
    expect(() => db.prepare(`DELETE FROM blind_answers`).run()).toThrow(/append-only/)
    expect(() => db.prepare(`INSERT INTO blind_answers (cell_id, class, origin, at) VALUES (1, 'x', 'fake', ?)`).run(at)).toThrow(/CHECK/)
    // A closed session takes no more answers.
    db.prepare(`UPDATE blind_sessions SET status = 'closed', closed_at = ? WHERE id = 1`).run(at)
    expect(() => db.prepare(`INSERT INTO blind_answers (cell_id, class, at) VALUES (2, 'basophil', ?)`).run(at)).toThrow(/closed/)

    // Running it again is a no-op that keeps everything.
    expect(migrate(db)).toBe(MIGRATIONS.length)
    expect(db.prepare('SELECT count(*) FROM blind_answers').pluck().get()).toBe(1)
  })
})
