// `wbc blind invite`: the organiser (here the local operator) invites readers
// to a session; only users with the reader role; invitations join the audit chain.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { wbc } from '../helpers/wbc'
import { openStore } from '../../src/main/store'
import { addTestUser } from '../helpers/people'
import { copyCells, tempDir } from '../main/import/fixtures'

const dir = tempDir('wbc-cli-invite-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('wbc blind invite', () => {
  it('invites readers, refuses anyone who is not one, and the chain still verifies', async () => {
    const db = join(dir, 'lab.sqlite')
    copyCells('pbc-wbc', 'neutrophil', 2, join(dir, 'cells'), 'NE', 40)
    copyCells('pbc-wbc', 'lymphocyte', 2, join(dir, 'cells'), 'LY', 40)
    expect((await wbc(['import', join(dir, 'cells'), '--db', db])).code).toBe(0)
    const store = openStore(db)
    await addTestUser(store, 'rita', ['reader'])
    await addTestUser(store, 'remy', ['reader'])
    await addTestUser(store, 'vera', ['verifier'])
    store.close()
    const made = await wbc(['blind', 'create', '--name', 'R1', '--real', '2', '--generated', '0', '--classes', 'neutrophil,lymphocyte', '--size', '64', '--json', '--db', db])
    expect(made.code).toBe(0)
    const id = JSON.parse(made.out).id as number

    const r = await wbc(['blind', 'invite', String(id), '--reader', 'rita', 'remy', '--db', db])
    expect(r.code).toBe(0)
    expect(r.out).toBe(`blind session #${id}: rita, remy invited\n`)
    const again = JSON.parse((await wbc(['blind', 'invite', String(id), '--reader', 'rita', '--json', '--db', db])).out)
    expect(again.readers.map((x: { name: string }) => x.name)).toEqual(['rita', 'remy'])
    const bad = await wbc(['blind', 'invite', String(id), '--reader', 'vera', '--db', db])
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(/vera is not a reader/)
    expect((await wbc(['blind', 'invite', String(id), '--reader', 'nobody', '--db', db])).code).toBe(1)
    const v = JSON.parse((await wbc(['audit', 'verify', '--json', '--db', db])).out)
    expect(v).toMatchObject({ ok: true, tables: { blind_invitations: 2 } })
  })
})
