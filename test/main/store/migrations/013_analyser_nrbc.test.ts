// Migration 13 from a version-12 database holding review settings: the old
// rows keep verifying in the audit chain, the new column takes only 0, 1 or
// nothing, and a new row's value is hashed (changing it afterwards breaks the chain).
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { migrate, MIGRATIONS, verifyAuditChain } from '../../../../src/main/store/index'
import { registerAuditFunctions } from '../../../../src/main/store/audit'

let db: Database.Database
afterEach(() => db?.close())

describe('migration 013 analyser-nrbc', () => {
  it("adds the lab's NRBC choice to the review settings log, inside the audit chain", () => {
    db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    registerAuditFunctions(db)
    expect(migrate(db, MIGRATIONS, 12)).toBe(12)
    const at = '2026-01-01T00:00:00.000Z'
    db.prepare(`INSERT INTO review_settings (slide_id, target_count, who, at) VALUES (NULL, 200, 'ada', ?)`).run(at)

    expect(migrate(db)).toBe(MIGRATIONS.length)
    expect(db.prepare('SELECT target_count, wbc_corrected_by_analyser FROM review_settings').get()).toEqual({ target_count: 200, wbc_corrected_by_analyser: null })
    db.prepare(`INSERT INTO review_settings (slide_id, wbc_corrected_by_analyser, who, at) VALUES (NULL, 1, 'ada', ?)`).run(at)
    expect(() => db.prepare(`INSERT INTO review_settings (slide_id, wbc_corrected_by_analyser, who, at) VALUES (NULL, 2, 'ada', ?)`).run(at)).toThrow(/CHECK/)
    expect(verifyAuditChain(db).ok).toBe(true)

    // The new column is covered: flipping it behind the log's back is detected.
    const triggers = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'review_settings' AND sql LIKE '%BEFORE UPDATE%'`).pluck().all() as string[]
    for (const t of triggers) db.exec(`DROP TRIGGER "${t}"`)
    db.prepare('UPDATE review_settings SET wbc_corrected_by_analyser = 0 WHERE id = 2').run()
    expect(verifyAuditChain(db).ok).toBe(false)
  })
})
