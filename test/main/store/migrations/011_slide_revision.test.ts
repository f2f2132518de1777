// Migration 11 from a version-10 database holding two slides with cells, a
// label and a model: the rows survive at revision 0, and from then on every
// kind of change that alters a slide's review moves that slide's revision
// (and only that slide's; a global setting moves all), whoever writes it.
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { migrate, MIGRATIONS, verifyAuditChain } from '../../../../src/main/store/index'
import { registerAuditFunctions } from '../../../../src/main/store/audit'

let db: Database.Database
afterEach(() => db?.close())

describe('migration 011 slide-revision', () => {
  it('adds a revision per slide that every review change moves', () => {
    db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    registerAuditFunctions(db)
    expect(migrate(db, MIGRATIONS, 10)).toBe(10)
    const at = '2026-01-01T00:00:00.000Z'
    db.prepare(`INSERT INTO slides (sample_id, source, status, created_at) VALUES ('S1', 'x', 'classified', ?), ('S2', 'x', 'imported', ?)`).run(at, at)
    db.prepare(`INSERT INTO import_batches (source_path, status, started_at) VALUES ('/x', 'done', ?)`).run(at)
    const image = db.prepare(
      `INSERT INTO images (sha256, format, width, height, byte_size, file_name, source_path, slide_id, import_batch_id, imported_at) VALUES (?, 'jpeg', 9, 9, 3, ?, '/x', ?, 1, ?)`
    )
    image.run('a1', 'a.jpg', 1, at)
    image.run('b1', 'b.jpg', 2, at)
    db.prepare(`INSERT INTO labels (image_id, class, source, at) VALUES (1, 'neutrophil', 'folder', ?)`).run(at)
    db.prepare(
      `INSERT INTO models (name, architecture, input_size, classes_json, preprocess_recipe, topology_json, weight_specs_json, weights, provenance, created_at) VALUES ('m', 'wnet', 128, '[]', 'r', '{}', '[]', x'', 'imported', ?)`
    ).run(at)

    expect(migrate(db)).toBe(MIGRATIONS.length)
    const revision = (id: number) => db.prepare('SELECT revision FROM slides WHERE id = ?').pluck().get(id) as number
    expect(db.prepare('SELECT sample_id, status, revision FROM slides ORDER BY id').all()).toEqual([
      { sample_id: 'S1', status: 'classified', revision: 0 },
      { sample_id: 'S2', status: 'imported', revision: 0 }
    ])
    const moves = (what: () => unknown, slide = 1) => {
      const before = [revision(1), revision(2)]
      what()
      return [revision(1) - before[0]!, revision(2) - before[1]!][slide - 1]
    }
    // A reviewer's label, a model's prediction (new, then replaced), a cell joining, a sign-off, a slide's setting.
    expect(moves(() => db.prepare(`INSERT INTO labels (image_id, class, source, who, at) VALUES (1, 'monocyte', 'reviewer', 'ana', ?)`).run(at))).toBe(1)
    const predict = db.prepare(
      `INSERT INTO predictions (image_id, model_id, p_neutrophil, p_eosinophil, p_basophil, p_lymphocyte, p_monocyte, top_class, confidence, created_at)
       VALUES (1, 1, ?, 0, 0, 0, 0, 'neutrophil', ?, ?) ON CONFLICT (image_id, model_id) DO UPDATE SET confidence = excluded.confidence`
    )
    expect(moves(() => predict.run(0.9, 0.9, at))).toBe(1)
    expect(moves(() => predict.run(0.6, 0.6, at))).toBe(1)
    expect(moves(() => image.run('a2', 'c.jpg', 1, at))).toBe(1)
    expect(moves(() => db.prepare(`INSERT INTO sign_offs (slide_id, status, who, at, meaning) VALUES (1, 'signed', 'Dr A', ?, 'Reviewed')`).run(at))).toBe(1)
    expect(moves(() => db.prepare(`INSERT INTO review_settings (slide_id, target_count, at) VALUES (1, 200, ?)`).run(at))).toBe(1)
    // Only the slide concerned moves; a global setting moves every slide.
    expect(revision(2)).toBe(0)
    expect(moves(() => db.prepare(`INSERT INTO review_settings (slide_id, unidentified_threshold, at) VALUES (NULL, 0.7, ?)`).run(at), 2)).toBe(1)
    expect(revision(1)).toBe(7)
    // A cell without a slide (a training dataset's) moves nothing.
    db.prepare(`INSERT INTO images (sha256, format, width, height, byte_size, file_name, source_path, import_batch_id, imported_at) VALUES ('c', 'jpeg', 9, 9, 3, 'd.jpg', '/x', 1, ?)`).run(at)
    db.prepare(`INSERT INTO labels (image_id, class, source, at) VALUES (4, 'basophil', 'folder', ?)`).run(at)
    expect([revision(1), revision(2)]).toEqual([7, 1])
    expect(verifyAuditChain(db).ok).toBe(true)
  })
})
