// Migration 14 from a version-13 database holding two models and what
// refers to them: every model keeps its id, metadata and weight bytes,
// predictions and blobs still point at them, the weights are the row's last
// column, and a model stored after the migration reads back whole.
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { migrate, MIGRATIONS } from '../../../../src/main/store/index'
import { registerAuditFunctions } from '../../../../src/main/store/audit'
import { getModel, getModelArtifacts, insertModel } from '../../../../src/main/store/models'

let db: Database.Database
afterEach(() => db?.close())

describe('migration 014 model-weights-last', () => {
  it('moves the weights to the last column and keeps every model whole', () => {
    db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    registerAuditFunctions(db)
    expect(migrate(db, MIGRATIONS, 13)).toBe(13)
    const at = '2026-01-01T00:00:00.000Z'
    const model = db.prepare(
      `INSERT INTO models (name, architecture, input_size, classes_json, preprocess_recipe, topology_json, weight_specs_json, weights, provenance, source, calibration_json, created_at, is_default)
       VALUES (?, 'wnet', 128, '["a","b"]', 'r', '{}', '[]', ?, 'shipped', ?, ?, ?, ?)`
    )
    const big = Buffer.alloc(300_000, 7)
    model.run('m1', big, 'resources/models/m1', '{"score":"msp","threshold":0.5}', at, 1)
    model.run('m2', Buffer.from([1, 2, 3]), null, null, at, 0)
    db.prepare(`INSERT INTO model_blobs (model_id, name, bytes) VALUES (1, 'outlier-exposure', x'0102')`).run()

    expect(migrate(db)).toBe(MIGRATIONS.length)
    const columns = (db.prepare(`SELECT name FROM pragma_table_info('models')`).all() as { name: string }[]).map((c) => c.name)
    expect(columns.at(-1)).toBe('weights')
    expect(columns.filter((c) => c.startsWith('weights'))).toEqual(['weights'])
    expect(db.prepare('SELECT id, name, provenance, source, calibration_json AS c, is_default AS d, length(weights) AS n FROM models ORDER BY id').all()).toEqual([
      { id: 1, name: 'm1', provenance: 'shipped', source: 'resources/models/m1', c: '{"score":"msp","threshold":0.5}', d: 1, n: 300_000 },
      { id: 2, name: 'm2', provenance: 'shipped', source: null, c: null, d: 0, n: 3 }
    ])
    expect(Buffer.from(getModelArtifacts(db, 1)!.weights).equals(big)).toBe(true)
    expect(db.prepare('SELECT model_id FROM model_blobs').pluck().all()).toEqual([1])
    expect(db.pragma('foreign_key_check')).toEqual([])
    // The store writes and reads a model as before.
    const id = insertModel(db, { name: 'm3', architecture: 'wnet', inputSize: 64, classes: ['a'], preprocessRecipe: 'r', topology: {}, weightSpecs: [], weights: Uint8Array.of(9, 8), provenance: 'imported' })
    expect(getModel(db, id)).toMatchObject({ name: 'm3', byteSize: 2, provenance: 'imported' })
    expect(Array.from(getModelArtifacts(db, id)!.weights)).toEqual([9, 8])
  })
})
