// Worker credentials through the one dispatcher and over HTTP: an admin
// issues one (the secret is in the answer only; the database keeps a hash),
// the credential reaches the worker methods and nothing else, no person
// reaches the worker methods, a revoked credential is refused at once, and
// over HTTP the credential opens only /api/worker/* (never the session
// routes) while a signed-in session never opens /api/worker/*.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openWorkstation, type Workstation } from '../../../src/main/api'
import { API_METHODS, WORKER_ONLY, api } from '../../../src/shared/api'
import { openStore } from '../../../src/main/store'
import { createWbcServer } from '../../../src/server/http'
import { addTestUser } from '../../helpers/people'

let dir: string
let ws: Workstation
let admin: { userId: number }
let tech: { userId: number }
const INFO = { host: 'gpu-1', node: 'v20', wbc: '0.1.0', tfjs: '4.22.0', threads: 2 }

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wbc-workers-'))
  const dbPath = join(dir, 'wbc.sqlite')
  const db = openStore(dbPath)
  admin = { userId: (await addTestUser(db, 'ada', ['admin'])).userId }
  tech = { userId: (await addTestUser(db, 'tess', ['technologist'])).userId }
  db.close()
  ws = openWorkstation({ shell: 'browser', version: 't', dbPath })
}, 60_000)
afterAll(async () => {
  await ws?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('worker credentials', () => {
  it('are issued by an admin only, shown once, stored as a hash', async () => {
    expect(await ws.dispatch('workers.issue', { name: 'gpu-1' }, tech)).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    const r = await ws.dispatch('workers.issue', { name: 'gpu-1' }, admin)
    if (!r.ok) throw new Error(r.error.message)
    const secret = (r as { value: { secret: string } }).value.secret
    expect(secret).toMatch(/^wbcw_[A-Za-z0-9_-]{43}$/)
    expect(await ws.dispatch('workers.issue', { name: 'GPU-1' }, admin)).toMatchObject({ ok: false, error: { code: 'conflict' } })
    const listed = await ws.dispatch('workers.list', {}, admin)
    expect(listed).toMatchObject({ ok: true, value: [{ name: 'gpu-1', createdBy: 'ada', revokedAt: null }] })
    expect(JSON.stringify(listed)).not.toContain(secret)
    const raw = new Database(join(dir, 'wbc.sqlite'), { readonly: true })
    const row = raw.prepare('SELECT secret_hash FROM worker_credentials').get() as { secret_hash: string }
    raw.close()
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(row.secret_hash).not.toContain(secret.slice(5))
  })

  it('reach the worker methods and nothing else; no person reaches the worker methods', async () => {
    const r = await ws.dispatch('workers.issue', { name: 'cpu-2' }, admin)
    const worker = { workerSecret: (r as { value: { secret: string } }).value.secret }
    expect(await ws.dispatch('worker.hello', { info: INFO }, worker)).toMatchObject({ ok: true, value: { worker: { name: 'cpu-2' }, queue: null } })
    for (const method of API_METHODS) {
      const asWorker = await ws.dispatch(method, {}, worker)
      if (api[method].roles === WORKER_ONLY) {
        expect(asWorker.ok ? 'ok' : asWorker.error.code, method).not.toBe('forbidden')
        for (const person of [admin, tech, 'local-operator' as const, null]) {
          expect(await ws.dispatch(method, {}, person), method).toMatchObject({ ok: false, error: { code: 'forbidden' } })
        }
      } else {
        expect(asWorker, method).toMatchObject({ ok: false, error: { code: 'forbidden' } })
      }
    }
    expect(await ws.dispatch('worker.hello', { info: INFO }, { workerSecret: 'wbcw_' + 'x'.repeat(43) })).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringMatching(/unknown or revoked/) } })
  })

  it('once revoked, are refused at the next call, over HTTP too; HTTP keeps the two doors apart', async () => {
    const r = await ws.dispatch('workers.issue', { name: 'cpu-3' }, admin)
    const secret = (r as { value: { secret: string } }).value.secret
    const server = createWbcServer({ workstation: ws, rendererDir: dir, token: 'k'.repeat(32) })
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()))
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    const post = (path: string, body: unknown, headers: Record<string, string>) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) })
    try {
      const bearer = { Authorization: `Bearer ${secret}` }
      expect((await post('/api/worker/hello', { info: INFO }, bearer)).status).toBe(200)
      // The credential is no session: the contract's routes refuse it.
      expect((await post('/api/slides.list', {}, bearer)).status).toBe(403)
      expect((await post('/api/worker/hello', { info: INFO }, {})).status).toBe(403)
      expect((await post('/api/worker/nosuch', {}, bearer)).status).toBe(404)
      expect(await ws.dispatch('workers.revoke', { name: 'cpu-3' }, admin)).toMatchObject({ ok: true, value: { name: 'cpu-3', revokedAt: expect.any(String) } })
      const after = await post('/api/worker/hello', { info: INFO }, bearer)
      expect(after.status).toBe(403)
      expect(await after.text()).toMatch(/unknown or revoked/)
    } finally {
      server.closeEvents()
      server.closeAllConnections()
      await new Promise<void>((res) => server.close(() => res()))
    }
  })
})
