// Migration 7 from a version-6 database holding labels, review records and
// blind answers: every existing record is backfilled into the hash chain, the
// chain verifies, and records inserted afterwards join it by trigger.
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { chainHash, migrate, MIGRATIONS, verifyAuditChain } from '../../../../src/main/store/index'

let db: Database.Database
afterEach(() => db?.close())

describe('migration 007 audit-chain', () => {
  it('backfills existing append-only rows, verifies, and chains new ones', () => {
    db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    expect(migrate(db, MIGRATIONS, 6)).toBe(6)
    const at = '2024-01-01T00:00:00.000Z'
    db.prepare(`INSERT INTO import_batches (source_path, status, started_at) VALUES ('/x', 'done', ?)`).run(at)
    db.prepare(`INSERT INTO slides (sample_id, source, created_at) VALUES ('S1', '/x', ?)`).run(at)
    db.prepare(
      `INSERT INTO images (sha256, format, width, height, byte_size, file_name, source_path, slide_id, import_batch_id, imported_at)
       VALUES ('ab', 'jpeg', 360, 363, 3, 'a.jpg', '/x/a.jpg', 1, 1, ?)`
    ).run(at)
    db.prepare(`INSERT INTO labels (image_id, class, source, at) VALUES (1, 'basophil', 'folder', ?)`).run(at)
    db.prepare(`INSERT INTO labels (image_id, class, source, who, at) VALUES (1, 'monocyte', 'reviewer', 'ana', ?)`).run(at)
    db.prepare(`INSERT INTO review_actions (slide_id, kind, who, at) VALUES (1, 'reclassify', 'ana', ?)`).run(at)
    db.prepare(`INSERT INTO review_changes (action_id, image_id, label_id, old_class, new_class) VALUES (1, 1, 2, 'basophil', 'monocyte')`).run()
    db.prepare(`INSERT INTO review_settings (slide_id, unidentified_threshold, who, at) VALUES (NULL, 0.5, 'ana', ?)`).run(at)
    db.prepare(`INSERT INTO sign_offs (slide_id, status, who, at, meaning) VALUES (1, 'signed', 'ana', ?, 'Reviewed')`).run(at)

    // To its own version: later migrations (people, version 9) give some audited tables more columns.
    expect(migrate(db, MIGRATIONS, 7)).toBe(7)
    // Old rows survived and are chained in table order, by id.
    expect(db.prepare('SELECT class FROM current_labels WHERE image_id = 1').pluck().get()).toBe('monocyte')
    const chain = db.prepare('SELECT tbl, row_id AS id, hash FROM audit_chain ORDER BY seq').all() as { tbl: string; id: number; hash: string }[]
    // Every append-only table joined, and the old rows are chained table by table (name order), by id.
    expect(db.prepare('SELECT DISTINCT tbl FROM audit_tables ORDER BY tbl').pluck().all()).toEqual(expect.arrayContaining(['blind_answers', 'labels', 'review_actions', 'review_changes', 'review_comments', 'review_settings', 'sign_offs']))
    expect(chain.map((e) => `${e.tbl}#${e.id}`)).toEqual(['labels#1', 'labels#2', 'review_actions#1', 'review_changes#1', 'review_settings#1', 'sign_offs#1'])
    // The first hash is computed from the row as this test writes it, not read back from the code under test.
    const firstRow = JSON.stringify([1, 1, 'basophil', 'folder', '', at, '', null, null])
    expect(chain[0].hash).toBe(chainHash(null, 'labels', 1, firstRow))
    expect(verifyAuditChain(db)).toMatchObject({ ok: true, entries: 6, firstBreak: null, missingTriggers: [] })

    // A new record joins the chain in the same statement.
    db.prepare(`INSERT INTO labels (image_id, class, source, who, at) VALUES (1, 'lymphocyte', 'reviewer', 'bo', ?)`).run(at)
    const last = db.prepare('SELECT tbl, row_id AS id, hash FROM audit_chain ORDER BY seq DESC LIMIT 1').get() as { tbl: string; id: number; hash: string }
    expect(last).toMatchObject({ tbl: 'labels', id: 3 })
    expect(last.hash).toBe(chainHash(chain.at(-1)!.hash, 'labels', 3, JSON.stringify([3, 1, 'lymphocyte', 'reviewer', 'bo', at, '', null, null])))
    expect(verifyAuditChain(db).ok).toBe(true)
    // The chain itself is append-only.
    expect(() => db.prepare(`UPDATE audit_chain SET hash = 'x' WHERE seq = 1`).run()).toThrow(/append-only/)
    expect(() => db.prepare(`DELETE FROM audit_chain`).run()).toThrow(/append-only/)
  })
})
