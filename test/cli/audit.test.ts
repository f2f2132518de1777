// `wbc audit verify`: passes on a fresh database and on one the workstation
// wrote; after a row is edited, deleted or slipped in behind the app's back
// (append-only triggers dropped first, as an attacker with the file would),
// it exits 1 and names the record.
import { copyFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { wbc } from '../helpers/wbc'
import { appendLabel, openStore } from '../../src/main/store'
import { copyCells, tempDir } from '../main/import/fixtures'

const dir = tempDir('wbc-audit-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A raw connection, as someone with the file and the sqlite3 shell would have. */
function tamper(file: string, sql: string[]): void {
  const raw = new Database(file)
  raw.exec(`DROP TRIGGER labels_append_only_update; DROP TRIGGER labels_append_only_delete; DROP TRIGGER labels_audit_chain;`)
  for (const s of sql) raw.exec(s)
  raw.close()
}

describe('wbc audit verify', () => {
  const db = join(dir, 'lab.sqlite')

  it('passes on a fresh database', async () => {
    const r = await wbc(['audit', 'verify', '--db', join(dir, 'fresh.sqlite'), '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, entries: 0, firstBreak: null })
  })

  it('passes on a database the workstation wrote, and fails naming the row edited behind its back', async () => {
    copyCells('pbc-wbc', 'neutrophil', 3, join(dir, 'cells'), 'NE', 60)
    expect((await wbc(['import', join(dir, 'cells'), '--db', db])).code).toBe(0)
    const store = openStore(db)
    appendLabel(store, { imageId: 2, class: 'monocyte', source: 'reviewer', who: 'ana' })
    store.close()
    const good = await wbc(['audit', 'verify', '--db', db])
    expect(good.code).toBe(0)
    expect(good.out).toMatch(/audit chain intact: 4 records \(.*labels 4/)

    const edited = join(dir, 'edited.sqlite')
    copyFileSync(db, edited)
    tamper(edited, [`UPDATE labels SET class = 'lymphocyte' WHERE id = 2`])
    const r = await wbc(['audit', 'verify', '--db', edited])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/^BROKEN at labels #2 \(chain entry 2\)/)
    expect(r.out).toMatch(/triggers of labels are gone/)
    const j = JSON.parse((await wbc(['audit', 'verify', '--db', edited, '--json'])).out)
    expect(j).toMatchObject({ ok: false, firstBreak: { table: 'labels', id: 2, reason: 'changed' } })
  })

  it('names a deleted row and a row added without the chain', async () => {
    const deleted = join(dir, 'deleted.sqlite')
    copyFileSync(db, deleted)
    tamper(deleted, [`DELETE FROM labels WHERE id = 3`])
    expect(JSON.parse((await wbc(['audit', 'verify', '--db', deleted, '--json'])).out)).toMatchObject({ ok: false, firstBreak: { table: 'labels', id: 3, reason: 'deleted' } })

    const added = join(dir, 'added.sqlite')
    copyFileSync(db, added)
    tamper(added, [`INSERT INTO labels (image_id, class, source, who, at) VALUES (1, 'basophil', 'expert', 'mallory', '2026-01-01T00:00:00.000Z')`])
    const r = JSON.parse((await wbc(['audit', 'verify', '--db', added, '--json'])).out)
    expect(r).toMatchObject({ ok: false, firstBreak: { table: 'labels', id: 5, reason: 'not-in-chain', seq: null } })
  })
})
