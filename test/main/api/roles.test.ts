// Every method of the contract called as each role, through the one
// dispatcher of a real workstation: what the role may not call is refused
// with a typed `forbidden` (never a crash, never reaching the core); what it
// may call is never refused for its role. A reader may call only the blind
// session's own calls and its own session's; nobody signed in only the
// public ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openWorkstation, type Principal, type Workstation } from '../../../src/main/api'
import { API_METHODS, WORKER_ONLY, api, mayCall, type Method } from '../../../src/shared/api'
import { ROLES, type Role } from '../../../src/shared/people'
import { openStore } from '../../../src/main/store'
import { addTestUser } from '../../helpers/people'

let dir: string
let ws: Workstation
const as = new Map<Role, Principal>()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wbc-roles-'))
  const dbPath = join(dir, 'wbc.sqlite')
  const db = openStore(dbPath)
  for (const role of ROLES) as.set(role, { userId: (await addTestUser(db, `${role}-1`, [role])).userId })
  db.close()
  ws = openWorkstation({ shell: 'browser', version: 't', dbPath })
}, 60_000)
afterAll(async () => {
  await ws?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** A payload no method accepts as it is: allowed calls end at validation (or a harmless read), never in real work. */
const PROBE = { probe: true }

describe('roles', () => {
  it('every method declares who may call it', () => {
    for (const m of API_METHODS) {
      const roles = api[m].roles as readonly string[] | 'public' | typeof WORKER_ONLY
      expect(roles === 'public' || roles === WORKER_ONLY || (roles.length > 0 && roles.every((r) => (ROLES as readonly string[]).includes(r))), m).toBe(true)
    }
  })

  it('each role is refused, typed forbidden, exactly what it may not call', async () => {
    for (const role of ROLES) {
      for (const method of API_METHODS) {
        const r = await ws.dispatch(method, PROBE, as.get(role)!)
        const label = `${role} → ${method}`
        if (mayCall(method, [role])) {
          // Allowed: the role is not why it failed (the probe payload is refused by the schema).
          expect(r.ok ? 'ok' : r.error.code, label).not.toBe('forbidden')
          expect(r.ok ? 'ok' : r.error.code, label).not.toBe('internal')
        } else {
          expect(r, label).toEqual({ ok: false, error: { code: 'forbidden', message: expect.stringMatching(new RegExp(`^${method.replace('.', '\\.')} needs the role `)) } })
        }
      }
    }
  })

  it('a reader may call the blind session\'s own calls and its own session, nothing else', () => {
    const allowed = API_METHODS.filter((m) => mayCall(m, ['reader']))
    expect(allowed.sort()).toEqual(
      ['blind.answer', 'blind.cell', 'blind.list', 'blind.next', 'session.login', 'session.logout', 'session.password', 'session.setup', 'session.state'].sort()
    )
  })

  it('nobody signed in may call only the public methods, and a valid payload does not change that', async () => {
    const publicOnes: Method[] = []
    for (const method of API_METHODS) {
      const r = await ws.dispatch(method, {}, null)
      if (!r.ok && r.error.code === 'forbidden' && r.error.message === `${method}: sign in first`) continue
      // The worker machines' methods: refused to anyone but a worker credential (test/main/api/workers.test.ts).
      if (!r.ok && r.error.code === 'forbidden' && api[method].roles === WORKER_ONLY) continue
      publicOnes.push(method)
    }
    expect(publicOnes.sort()).toEqual(['session.login', 'session.setup', 'session.state'])
    // Refused before validation: a caller without the role learns nothing of the input's shape.
    expect(await ws.dispatch('users.add', { name: 'x' }, as.get('technologist')!)).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  })

  it('a disabled user is refused everything at once, and a principal for no user too', async () => {
    expect(await ws.dispatch('users.disable', { name: 'reader-1' }, as.get('admin')!)).toMatchObject({ ok: true })
    expect(await ws.dispatch('blind.list', {}, as.get('reader')!)).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringMatching(/sign in again/) } })
    expect(await ws.dispatch('slides.list', {}, { userId: 9999 })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  })
})
