// Browser mode's HTTP transport: the start token that only bootstraps the
// first admin, per-user sessions (HttpOnly SameSite=Strict cookie, sign-out,
// lockout), Host checks, CSP headers, JSON-only bodies, the contract's
// results, server-sent events and cell images, over a real workstation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { request } from 'node:http'
import { openWorkstation, type Workstation } from '../../src/main/api'
import { createWbcServer, TOKEN_COOKIE } from '../../src/server/http'
import { SESSION_COOKIE } from '../../src/server/http'
import { fromWire } from '../../src/shared/wire'
import { realCells } from '../helpers/datasets'

const TOKEN = 'a'.repeat(64)
let dir: string
let ws: Workstation
let server: ReturnType<typeof createWbcServer>
let base: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wbc-http-'))
  const renderer = join(dir, 'renderer')
  mkdirSync(join(renderer, 'assets'), { recursive: true })
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>app</title>')
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(dir, 'secret.txt'), 'outside the renderer')
  ws = openWorkstation({ shell: 'browser', version: '0.0.1', dbPath: join(dir, 'wbc.sqlite'), sessionIdleMinutes: 30 })
  server = createWbcServer({ workstation: ws, rendererDir: renderer, token: TOKEN })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  // The first admin, with the start token; the admin adds a technologist, who signs in.
  const setup = await fetch(`${base}/api/session.setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-wbc-token': TOKEN },
    body: JSON.stringify({ name: 'ada', password: ADMIN_PASSWORD })
  })
  adminCookie = sessionCookie(setup)
  const added = await post('users.add', JSON.stringify({ name: 'tess', roles: ['technologist'], password: TECH_PASSWORD }), { cookie: adminCookie })
  expect(await added.json()).toMatchObject({ ok: true, value: { name: 'tess', roles: ['technologist'] } })
  auth.cookie = sessionCookie(await post('session.login', JSON.stringify({ name: 'tess', password: TECH_PASSWORD }), { cookie: '' }))
})

const ADMIN_PASSWORD = 'ada has a long password'
const TECH_PASSWORD = 'tess has a long password'
let adminCookie = ''
/** The value a Set-Cookie of the session sets, as a Cookie header. */
function sessionCookie(res: Response): string {
  const m = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(res.headers.get('set-cookie') ?? '')
  if (!m) throw new Error(`no session cookie (status ${res.status})`)
  return `${SESSION_COOKIE}=${m[1]}`
}
afterAll(async () => {
  server.closeEvents()
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
  await ws.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The technologist's session (set once signed in). */
const auth: Record<string, string> = {}
const post = (method: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth, ...headers }, body })

/** A raw request, for headers fetch will not let us set (Host). */
function raw(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(base)
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET', headers }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('sign-in and sessions', () => {
  it('serves the app to anyone but the API only to signed-in users, by role', async () => {
    const anon = await fetch(`${base}/api/slides.list`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(anon.status).toBe(403)
    expect(await anon.json()).toMatchObject({ ok: false, error: { code: 'forbidden', message: 'slides.list: sign in first' } })
    // The start token is no key to the data.
    expect((await post('slides.list', '{}', { cookie: '', authorization: `Bearer ${TOKEN}` })).status).toBe(403)
    expect((await fetch(`${base}/`)).status).toBe(200)
    expect(await (await post('session.state', '{}', { cookie: '' })).json()).toEqual({ ok: true, value: { needsSetup: false, user: null, idleMinutes: 30 } })
    expect(await (await post('session.state', '{}')).json()).toMatchObject({ ok: true, value: { user: { name: 'tess', roles: ['technologist'] } } })
    expect(await (await post('slides.list', '{}')).json()).toEqual({ ok: true, value: [] })
    // A technologist is no admin.
    const users = await post('users.list', '{}')
    expect(users.status).toBe(403)
    expect(await users.json()).toMatchObject({ ok: false, error: { code: 'forbidden', message: 'users.list needs the role admin' } })
  })

  it('sets an HttpOnly SameSite=Strict session cookie with a fresh id at each sign-in, and ends it at sign-out', async () => {
    const a = await post('session.login', JSON.stringify({ name: 'tess', password: TECH_PASSWORD }), { cookie: '' })
    const flags = a.headers.get('set-cookie') ?? ''
    expect(flags).toMatch(/HttpOnly/)
    expect(flags).toMatch(/SameSite=Strict/)
    expect(flags).not.toMatch(/Secure/)
    const first = sessionCookie(a)
    const second = sessionCookie(await post('session.login', JSON.stringify({ name: 'tess', password: TECH_PASSWORD }), { cookie: first }))
    expect(second).not.toBe(first)
    // Signing in again from the same browser ended its old session.
    expect((await post('slides.list', '{}', { cookie: first })).status).toBe(403)
    const out = await post('session.logout', '{}', { cookie: second })
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/)
    expect((await post('slides.list', '{}', { cookie: second })).status).toBe(403)
  })

  it('creates the first admin only with the start token and only once', async () => {
    const noToken = await post('session.setup', JSON.stringify({ name: 'eve', password: 'eve has a long password' }), { cookie: '' })
    expect(noToken.status).toBe(403)
    expect(await noToken.json()).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    const again = await post('session.setup', JSON.stringify({ name: 'eve', password: 'eve has a long password' }), { cookie: '', 'x-wbc-token': TOKEN })
    expect(await again.json()).toMatchObject({ ok: false, error: { code: 'conflict' } })
  })

  it('locks an account after repeated failed sign-ins, whatever password comes next', async () => {
    expect(await (await post('users.add', JSON.stringify({ name: 'lou', roles: ['reader'], password: 'lou has a long password' }), { cookie: adminCookie })).json()).toMatchObject({ ok: true })
    for (let i = 0; i < 4; i++) {
      expect(await (await post('session.login', JSON.stringify({ name: 'lou', password: `guess ${i}` }), { cookie: '' })).json()).toMatchObject({
        ok: false,
        error: { code: 'forbidden', message: 'wrong name or password' }
      })
    }
    expect(await (await post('session.login', JSON.stringify({ name: 'lou', password: 'guess 5' }), { cookie: '' })).json()).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: expect.stringMatching(/locked until/) }
    })
    expect(await (await post('session.login', JSON.stringify({ name: 'lou', password: 'lou has a long password' }), { cookie: '' })).json()).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/locked until/) }
    })
    // An unknown name reads like a wrong password.
    expect(await (await post('session.login', JSON.stringify({ name: 'nobody', password: 'x' }), { cookie: '' })).json()).toMatchObject({ ok: false, error: { message: 'wrong name or password' } })
    // An admin's new password lifts the lock.
    await post('users.password', JSON.stringify({ name: 'lou', password: 'lou has another password' }), { cookie: adminCookie })
    expect(await (await post('session.login', JSON.stringify({ name: 'lou', password: 'lou has another password' }), { cookie: '' })).json()).toMatchObject({ ok: true })
  })

  it('ends a disabled user\'s session at their next call', async () => {
    await post('users.add', JSON.stringify({ name: 'dan', roles: ['technologist'], password: 'dan has a long password' }), { cookie: adminCookie })
    const dan = sessionCookie(await post('session.login', JSON.stringify({ name: 'dan', password: 'dan has a long password' }), { cookie: '' }))
    expect((await post('slides.list', '{}', { cookie: dan })).status).toBe(200)
    expect(await (await post('users.disable', JSON.stringify({ name: 'dan' }), { cookie: adminCookie })).json()).toMatchObject({ ok: true, value: { disabledAt: expect.any(String) } })
    expect(await (await post('slides.list', '{}', { cookie: dan })).json()).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringMatching(/sign in again/) } })
  })

  it('a first ?token= visit sets an HttpOnly SameSite=Strict cookie (for setup) and drops the token from the address', async () => {
    const first = await fetch(`${base}/?token=${TOKEN}`, { redirect: 'manual' })
    expect(first.status).toBe(303)
    expect(first.headers.get('location')).toBe('/')
    const cookie = first.headers.get('set-cookie') ?? ''
    expect(cookie).toContain(`${TOKEN_COOKIE}=${TOKEN}`)
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    expect((await fetch(`${base}/?token=wrong`, { redirect: 'manual' })).status).toBe(401)
  })
})

describe('requests', () => {
  it('carry a strict CSP and other protective headers', async () => {
    for (const res of [await fetch(`${base}/`, { headers: auth }), await post('app.info', '{}'), await fetch(`${base}/`)]) {
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("default-src 'self'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).not.toContain('unsafe-inline')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('x-frame-options')).toBe('DENY')
    }
  })

  it('refuse a foreign Host header (DNS rebinding)', async () => {
    expect(await raw('/', { host: 'evil.example' })).toBe(421)
    expect(await raw('/', { host: `localhost:${new URL(base).port}` })).toBe(200)
  })

  it('take JSON only, validate it, and answer with contract results', async () => {
    expect((await post('app.info', 'x=1', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415)
    expect(await (await post('app.info', '{nope')).json()).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await (await post('cells.list', '{"slideId":"1; DROP TABLE images"}')).json()).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    const unknown = await post('nope.nothing', '{}')
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ ok: false, error: { code: 'unknown_method' } })
    expect((await fetch(`${base}/api/app.info`, { headers: auth })).status).toBe(405)
    expect((await post('app.info', 'x'.repeat(2 << 20))).status).toBe(413)
    expect(await (await post('slides.list', '')).json()).toEqual({ ok: true, value: [] })
  })

  it('serve the renderer and nothing outside it', async () => {
    const js = await fetch(`${base}/assets/app.js`, { headers: auth })
    expect(js.headers.get('content-type')).toMatch(/javascript/)
    expect((await fetch(`${base}/assets/missing.js`, { headers: auth })).status).toBe(404)
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const res = await fetch(`${base}${p}`, { headers: auth })
      expect(await res.text()).not.toContain('outside the renderer')
    }
    // App routes without an extension get the app.
    expect(await (await fetch(`${base}/slides`, { headers: auth })).text()).toContain('<title>app</title>')
  })
})

describe('events and images', () => {
  it('streams job events and serves the imported cells', async () => {
    const slide = join(dir, 'SLIDE-HTTP')
    mkdirSync(slide)
    for (const f of realCells('pbc-wbc', 'eosinophil', 3)) copyFileSync(f, join(slide, basename(f)))

    const controller = new AbortController()
    const stream = await fetch(`${base}/api/events`, { headers: auth, signal: controller.signal })
    expect(stream.headers.get('content-type')).toBe('text/event-stream')
    const reader = stream.body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    const finished = (async () => {
      while (!text.includes('event: job.finished')) {
        const { value, done } = await reader.read()
        if (done) break
        text += decoder.decode(value)
      }
    })()

    const started = (await (await post('import.start', JSON.stringify({ path: slide }))).json()) as { ok: true; value: { jobId: string } }
    expect(started.ok).toBe(true)
    await finished
    controller.abort()
    const frame = /event: job\.finished\ndata: (.*)\n/.exec(text)
    const snapshot = fromWire(frame![1]!) as { id: string; state: string; result: { counts: { imported: number } } }
    expect(snapshot).toMatchObject({ id: started.value.jobId, state: 'succeeded', result: { counts: { imported: 3 } } })

    const slides = (await (await post('slides.list', '{}')).json()) as { value: { id: number }[] }
    const cells = (await (await post('cells.list', JSON.stringify({ slideId: slides.value[0]!.id }))).json()) as { value: { cells: { id: number }[] } }
    const id = cells.value.cells[0]!.id
    const img = await fetch(`${base}/api/cell-image/${id}`, { headers: auth })
    expect(img.status).toBe(200)
    expect(img.headers.get('content-type')).toBe('image/jpeg')
    const bytes = new Uint8Array(await img.arrayBuffer())
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xd8])
    expect((await fetch(`${base}/api/cell-image/${id}`)).status).toBe(403)
    expect((await fetch(`${base}/api/cell-image/999999`, { headers: auth })).status).toBe(404)
    // The same image through the JSON method carries its bytes base64-encoded.
    const viaPost = fromWire(await (await post('cell.image', JSON.stringify({ id }))).text()) as { value: { bytes: Uint8Array } }
    expect(viaPost.value.bytes).toEqual(bytes)
  })
})

describe('the event stream and the session', () => {
  it("ends a browser's event stream when its session signs out", async () => {
    // A second session of the technologist (another tab's sign-in), so the first stays for the other tests.
    const cookie = sessionCookie(await post('session.login', JSON.stringify({ name: 'tess', password: TECH_PASSWORD }), { cookie: '' }))
    const stream = await fetch(`${base}/api/events`, { headers: { cookie } })
    expect(stream.status).toBe(200)
    const reader = stream.body!.getReader()
    await reader.read() // the opening comment
    expect(await (await post('session.logout', '{}', { cookie })).json()).toMatchObject({ ok: true })
    // The server ends the stream (no more events for a signed-out page) ...
    const ended = await Promise.race([
      (async () => {
        for (;;) if ((await reader.read()).done) return true
      })(),
      new Promise<false>((r) => setTimeout(() => r(false), 5_000))
    ])
    expect(ended).toBe(true)
    // ... and a new one is refused.
    expect((await fetch(`${base}/api/events`, { headers: { cookie } })).status).toBe(403)
  })
})
