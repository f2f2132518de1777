// Browser mode's HTTP transport: the token (header or cookie from a first
// ?token= visit), Host checks, CSP headers, JSON-only bodies, the contract's
// results, server-sent events and cell images, over a real workstation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { request } from 'node:http'
import { openWorkstation, type Workstation } from '../../src/main/api'
import { createWbcServer, TOKEN_COOKIE } from '../../src/server/http'
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
  ws = openWorkstation({ shell: 'browser', version: '0.0.1', dbPath: join(dir, 'wbc.sqlite') })
  server = createWbcServer({ workstation: ws, rendererDir: renderer, token: TOKEN })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeEvents()
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
  await ws.close()
  rmSync(dir, { recursive: true, force: true })
})

const auth = { authorization: `Bearer ${TOKEN}` }
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

describe('token', () => {
  it('is required for the API and the pages', async () => {
    const api = await fetch(`${base}/api/app.info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(api.status).toBe(401)
    expect(await api.json()).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect((await fetch(`${base}/`)).status).toBe(401)
    expect((await post('app.info', '{}', { authorization: `Bearer ${'b'.repeat(64)}` })).status).toBe(401)
    expect((await post('app.info', '{}', { authorization: 'Bearer short' })).status).toBe(401)
  })

  it('is accepted as a bearer or X-WBC-Token header', async () => {
    expect(await (await post('app.info', '{}')).json()).toMatchObject({ ok: true, value: { shell: 'browser' } })
    const viaHeader = await fetch(`${base}/api/app.info`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-wbc-token': TOKEN }, body: '{}' })
    expect(viaHeader.status).toBe(200)
  })

  it('a first ?token= visit sets an HttpOnly SameSite=Strict cookie and drops the token from the address', async () => {
    const first = await fetch(`${base}/?token=${TOKEN}`, { redirect: 'manual' })
    expect(first.status).toBe(303)
    expect(first.headers.get('location')).toBe('/')
    const cookie = first.headers.get('set-cookie') ?? ''
    expect(cookie).toContain(`${TOKEN_COOKIE}=${TOKEN}`)
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    const page = await fetch(`${base}/`, { headers: { cookie: `${TOKEN_COOKIE}=${TOKEN}` } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<title>app</title>')
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
    expect(await raw('/', { host: 'evil.example', authorization: `Bearer ${TOKEN}` })).toBe(421)
    expect(await raw('/', { host: `localhost:${new URL(base).port}`, authorization: `Bearer ${TOKEN}` })).toBe(200)
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
    expect((await fetch(`${base}/api/cell-image/${id}`)).status).toBe(401)
    expect((await fetch(`${base}/api/cell-image/999999`, { headers: auth })).status).toBe(404)
    // The same image through the JSON method carries its bytes base64-encoded.
    const viaPost = fromWire(await (await post('cell.image', JSON.stringify({ id }))).text()) as { value: { bytes: Uint8Array } }
    expect(viaPost.value.bytes).toEqual(bytes)
  })
})
