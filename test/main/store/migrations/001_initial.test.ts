// Migration 1 from an empty (version 0) database that already holds rows of
// its own, then the new schema exercised with rows in every table.
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { migrate, MIGRATIONS, schemaVersion } from '../../../../src/main/store/index'

let db: Database.Database
afterEach(() => db?.close())

describe('migration 001 initial', () => {
  it('migrates a version-0 database holding rows, keeps them, and yields a working schema', () => {
    db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    db.exec(`CREATE TABLE legacy_notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO legacy_notes (text) VALUES ('a'), ('b');`)
    expect(schemaVersion(db)).toBe(0)

    expect(migrate(db, MIGRATIONS, 1)).toBe(1)
    expect(db.prepare('SELECT text FROM legacy_notes ORDER BY id').pluck().all()).toEqual(['a', 'b'])

    const at = '2024-01-01T00:00:00.000Z'
    db.prepare(`INSERT INTO datasets (name, created_at) VALUES ('d', ?)`).run(at)
    db.prepare(`INSERT INTO slides (sample_id, source, created_at) VALUES ('S1', 'x', ?)`).run(at)
    db.prepare(`INSERT INTO import_batches (source_path, dataset_id, status, started_at) VALUES ('/x', 1, 'running', ?)`).run(at)
    db.prepare(
      `INSERT INTO images (sha256, format, width, height, byte_size, file_name, source_path, slide_id, import_batch_id, imported_at)
       VALUES ('ab', 'jpeg', 360, 363, 3, 'a.jpg', '/x/a.jpg', 1, 1, ?)`
    ).run(at)
    db.prepare(`INSERT INTO image_originals (image_id, bytes) VALUES (1, x'010203')`).run()
    db.prepare(`INSERT INTO labels (image_id, class, source, at) VALUES (1, 'neutrophil', 'folder', ?)`).run(at)
    db.prepare(`INSERT INTO labels (image_id, class, source, at) VALUES (1, 'basophil', 'manifest', ?)`).run(at)
    db.prepare(`INSERT INTO dataset_images (dataset_id, image_id, added_at) VALUES (1, 1, ?)`).run(at)
    db.prepare(`INSERT INTO import_files (batch_id, path, status, image_id, sha256) VALUES (1, 'a.jpg', 'imported', 1, 'ab')`).run()
    db.prepare(`INSERT INTO preprocessed_cells (image_id, recipe, size, pixels) VALUES (1, 'r', 2, x'000000000000000000000000')`).run()

    // The first imported label stays current; the disagreement shows as a conflict.
    expect(db.prepare('SELECT class, source FROM current_labels WHERE image_id = 1').get()).toEqual({ class: 'neutrophil', source: 'folder' })
    expect(db.prepare('SELECT n_classes FROM label_conflicts WHERE image_id = 1').pluck().get()).toBe(2)
    // STRICT typing and CHECKs hold.
    expect(() => db.prepare(`INSERT INTO labels (image_id, class, source, at) VALUES (1, 'x', 'guess', ?)`).run(at)).toThrow(/CHECK/)
    expect(() => db.prepare(`INSERT INTO images (sha256, format, width, height, byte_size, file_name, source_path, import_batch_id, imported_at) VALUES ('cd', 'jpeg', 'wide', 1, 1, 'f', 'p', 1, ?)`).run(at)).toThrow(/cannot store TEXT value in INTEGER column/)
    // Append-only history.
    expect(() => db.prepare(`UPDATE labels SET class = 'monocyte'`).run()).toThrow(/append-only/)
    expect(() => db.prepare(`DELETE FROM labels`).run()).toThrow(/append-only/)
    // Unique content hash.
    expect(() =>
      db.prepare(`INSERT INTO images (sha256, format, width, height, byte_size, file_name, source_path, import_batch_id, imported_at) VALUES ('ab', 'png', 1, 1, 1, 'f', 'p', 1, ?)`).run(at)
    ).toThrow(/UNIQUE/)

    // Running it again is a no-op that keeps everything.
    expect(migrate(db)).toBe(MIGRATIONS.length)
    expect(db.prepare('SELECT count(*) FROM labels').pluck().get()).toBe(2)
  })
})
