// Migration 15 from a version-14 database holding a model: the model keeps
// running as before ('none') and its weights, a new model may be stored with grey-world, an
// unknown normalisation is refused, and no model's normalisation can be
// changed in place afterwards. The weights stay the row's last column.
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { migrate, MIGRATIONS } from '../../../../src/main/store/index'
import { registerAuditFunctions } from '../../../../src/main/store/audit'

let db: Database.Database
afterEach(() => db?.close())

describe('migration 015 model-input-normalisation', () => {
  it("gives every stored model 'none' and keeps each model's normalisation fixed", () => {
    db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    registerAuditFunctions(db)
    expect(migrate(db, MIGRATIONS, 14)).toBe(14)
    const at = '2026-01-01T00:00:00.000Z'
    const insert = (name: string, extra = '', value: string[] = []) =>
      db.prepare(
        `INSERT INTO models (name, architecture, input_size, classes_json, preprocess_recipe, topology_json, weight_specs_json, weights, provenance, created_at${extra}) VALUES (?, 'wnet', 128, '[]', 'r', '{}', '[]', x'00', 'imported', ?${value.map(() => ', ?').join('')})`
      ).run(name, at, ...value)
    insert('old')

    expect(migrate(db)).toBe(MIGRATIONS.length)
    const of = (name: string) => db.prepare('SELECT input_normalisation FROM models WHERE name = ?').pluck().get(name)
    expect(of('old')).toBe('none')
    expect(db.prepare(`SELECT hex(weights) FROM models WHERE name = 'old'`).pluck().get()).toBe('00')
    const columns = (db.prepare(`SELECT name FROM pragma_table_info('models')`).all() as { name: string }[]).map((c) => c.name)
    expect(columns.at(-1)).toBe('weights')
    expect(columns).toContain('input_normalisation')
    insert('new', ', input_normalisation', ['grey-world'])
    expect(of('new')).toBe('grey-world')
    expect(() => insert('odd', ', input_normalisation', ['reinhard'])).toThrow(/CHECK/)
    expect(() => db.prepare(`UPDATE models SET input_normalisation = 'grey-world' WHERE name = 'old'`).run()).toThrow(/part of the model/)
    // Other changes to a model's row still work (the default flag, a calibration).
    db.prepare(`UPDATE models SET is_default = 1, calibration_json = '{}' WHERE name = 'old'`).run()
    expect(db.prepare(`SELECT name, input_normalisation, is_default FROM models ORDER BY id`).all()).toEqual([
      { name: 'old', input_normalisation: 'none', is_default: 1 },
      { name: 'new', input_normalisation: 'grey-world', is_default: 0 }
    ])
  })
})
