// `wbc user roles`: an admin changes what a person may do without a new
// account (a technologist becomes a verifier); the change is a user event in
// the audit chain, takes effect at the next call, and the last enabled admin
// can't lose the admin role.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { wbc } from '../helpers/wbc'
import { openStore } from '../../src/main/store'
import { getUserByName, userEvents } from '../../src/main/store/users'
import { callerOf } from '../../src/main/people'
import { tempDir } from '../main/import/fixtures'

const dir = tempDir('wbc-user-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('wbc user roles', () => {
  const db = join(dir, 'lab.sqlite')

  it('replaces the roles, audited, and the next call sees them', async () => {
    expect((await wbc(['user', 'add', 'ada', '--role', 'admin', '--password-stdin', '--db', db], {}, 'first-admin-pass\n')).code).toBe(0)
    expect((await wbc(['user', 'add', 'tom', '--role', 'technologist', '--password-stdin', '--db', db], {}, 'tech-pass-123\n')).code).toBe(0)

    const r = await wbc(['user', 'roles', 'tom', '--role', 'verifier', '--db', db])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/tom now holds verifier/)
    const list = JSON.parse((await wbc(['user', 'list', '--json', '--db', db])).out) as { name: string; roles: string[] }[]
    expect(list.find((u) => u.name === 'tom')?.roles).toEqual(['verifier'])

    const store = openStore(db)
    const tom = getUserByName(store, 'tom')!
    expect(callerOf(store, tom.id)?.roles).toEqual(['verifier'])
    const events = userEvents(store, tom.id)
    expect(events.map((e) => e.kind)).toEqual(['created', 'roles'])
    expect(events[1].detail).toBe('roles technologist -> verifier')
    store.close()
    expect((await wbc(['audit', 'verify', '--db', db])).code).toBe(0)
  })

  it('refuses to take admin from (or disable) the last enabled admin, and a reader with staff roles', async () => {
    const last = await wbc(['user', 'roles', 'ada', '--role', 'verifier', '--db', db])
    expect(last.code).not.toBe(0)
    expect(last.err).toMatch(/last enabled admin/)
    const disable = await wbc(['user', 'disable', 'ada', '--db', db])
    expect(disable.code).not.toBe(0)
    expect(disable.err).toMatch(/last enabled admin/)
    const mixed = await wbc(['user', 'roles', 'tom', '--role', 'reader,verifier', '--db', db])
    expect(mixed.code).not.toBe(0)
    expect(mixed.err).toMatch(/a reader holds no other role/)
    const list = JSON.parse((await wbc(['user', 'list', '--json', '--db', db])).out) as { name: string; roles: string[] }[]
    expect(list.find((u) => u.name === 'ada')?.roles).toEqual(['admin'])
    expect(list.find((u) => u.name === 'tom')?.roles).toEqual(['verifier'])
  })
})
