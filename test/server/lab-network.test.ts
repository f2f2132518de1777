// Browser mode on a lab network: imports only from the folders an admin gave
// (`--import-root`), never a dotfile in a listing, and HTTPS with the
// operator's certificate (a self-signed one made here with openssl).
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openWorkstation, type Workstation } from '../../src/main/api'
import { resolveImportRoots } from '../../src/main/api/import-roots'
import { startServer, type RunningServer } from '../../src/server/index'
import { fromWire } from '../../src/shared/wire'
import { copyCells } from '../main/import/fixtures'

let dir: string
let root: string
let outside: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wbc-lab-net-'))
  root = join(dir, 'exports')
  outside = join(dir, 'private')
  copyCells('pbc-wbc', 'lymphocyte', 2, root, 'SLIDE-1')
  mkdirSync(join(root, '.hidden-folder'))
  writeFileSync(join(root, '.secret.png'), 'x')
  copyCells('pbc-wbc', 'lymphocyte', 1, outside, 'SLIDE-X')
  symlinkSync(outside, join(root, 'link-out'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('import roots', () => {
  let ws: Workstation
  beforeAll(() => {
    ws = openWorkstation({ shell: 'browser', version: 't', dbPath: join(dir, 'roots.sqlite'), importRoots: resolveImportRoots([root]) })
  })
  afterAll(() => ws.close())

  it('lists the first root by default, without dotfiles or dot-folders, and offers no way above it', async () => {
    const r = await ws.dispatch('folders.list', {}, 'local-operator')
    expect(r).toMatchObject({ ok: true })
    const listing = (r as { value: { path: string; parent: string | null; folders: { name: string }[]; imageFiles: number } }).value
    expect(listing.path).toBe(resolveImportRoots([root])[0])
    expect(listing.parent).toBeNull()
    expect(listing.folders.map((f) => f.name)).toEqual(['link-out', 'SLIDE-1'])
    expect(listing.imageFiles).toBe(0)
  })

  it('refuses to list or import outside the roots, through .. or through a link', async () => {
    for (const path of [outside, join(root, '..'), join(root, 'link-out'), join(root, 'link-out', 'SLIDE-X'), '/']) {
      expect(await ws.dispatch('folders.list', { path }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'forbidden' } })
      expect(await ws.dispatch('import.start', { path }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    }
  })

  it('imports from inside a root', async () => {
    const started = await ws.dispatch('import.start', { path: join(root, 'SLIDE-1') }, 'local-operator')
    expect(started).toMatchObject({ ok: true })
    const jobId = (started as { value: { jobId: string } }).value.jobId
    const finished = await new Promise((resolve) => ws.events.subscribe((e) => e.name === 'job.finished' && e.payload.id === jobId && resolve(e.payload)))
    expect(finished).toMatchObject({ state: 'succeeded', result: { counts: { imported: 2 } } })
  })

  it('does not follow a link below the named folder out of the roots', async () => {
    // The root itself holds `link-out` (to a private folder): the API lets the
    // root be named, the walk reports the link and reads nothing behind it.
    const started = await ws.dispatch('import.start', { path: root }, 'local-operator')
    expect(started).toMatchObject({ ok: true })
    const jobId = (started as { value: { jobId: string } }).value.jobId
    const finished = await new Promise((resolve) => ws.events.subscribe((e) => e.name === 'job.finished' && e.payload.id === jobId && resolve(e.payload)))
    expect(finished).toMatchObject({ state: 'succeeded', result: { counts: { imported: 0 }, failuresByReason: { 'outside-import-root': 1 } } })
  })

  it('with an empty list of roots (a network server given none) imports nothing', async () => {
    const none = openWorkstation({ shell: 'browser', version: 't', dbPath: join(dir, 'none.sqlite'), importRoots: [] })
    try {
      expect(await none.dispatch('folders.list', {}, 'local-operator')).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringMatching(/--import-root/) } })
      expect(await none.dispatch('import.start', { path: root }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    } finally {
      await none.close()
    }
  })

  it('a root that does not exist stops the server from starting', () => {
    expect(() => resolveImportRoots([join(dir, 'nope')])).toThrow(/does not exist/)
  })
})

describe('HTTPS', () => {
  let server: RunningServer
  let cert: Buffer
  beforeAll(async () => {
    const key = join(dir, 'key.pem')
    const crt = join(dir, 'cert.pem')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' })
    cert = readFileSync(crt)
    server = await startServer({ dbPath: join(dir, 'tls.sqlite'), port: 0, rendererDir: join(dir, 'no-renderer'), token: 't'.repeat(64), tls: { cert, key: readFileSync(key) }, importRoots: [root] })
  }, 60_000)
  afterAll(() => server.close())

  function httpsCall(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer }): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path, method: opts.method ?? 'GET', headers: opts.headers, ...(opts.ca ? { ca: opts.ca } : {}), servername: 'localhost' }, (res) => {
        let body = ''
        res.on('data', (c: Buffer) => (body += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      })
      req.on('error', reject)
      req.end(opts.body)
    })
  }

  it('serves the API over TLS with the given certificate, a Secure cookie, and import roots', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/)
    // The start token creates the first admin; the session cookie is Secure over TLS.
    const setup = await httpsCall('/api/session.setup', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ name: 'ada', password: 'ada has a long password' }),
      ca: cert
    })
    expect(String(setup.headers['set-cookie'])).toMatch(/^wbc_session=[^;]+; HttpOnly; SameSite=Strict; Path=\/; Secure$/)
    const admin = String(setup.headers['set-cookie']).split(';')[0]!
    const add = await httpsCall('/api/users.add', { method: 'POST', headers: { 'content-type': 'application/json', cookie: admin }, body: JSON.stringify({ name: 'tess', roles: ['technologist'], password: 'tess has a long password' }), ca: cert })
    expect(fromWire(add.body)).toMatchObject({ ok: true })
    const login = await httpsCall('/api/session.login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'tess', password: 'tess has a long password' }), ca: cert })
    const tess = String(login.headers['set-cookie']).split(';')[0]!
    const r = await httpsCall('/api/app.info', { method: 'POST', headers: { 'content-type': 'application/json', cookie: tess }, body: '{}', ca: cert })
    expect(r.status).toBe(200)
    expect(fromWire(r.body)).toMatchObject({ ok: true, value: { shell: 'browser' } })
    const visit = await httpsCall(`/?token=${server.token}`, { ca: cert })
    expect(visit.status).toBe(303)
    expect(String(visit.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict; Path=\/; Secure/)
    const list = await httpsCall('/api/folders.list', { method: 'POST', headers: { 'content-type': 'application/json', cookie: tess }, body: JSON.stringify({ path: outside }), ca: cert })
    expect(fromWire(list.body)).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  })

  it('a client that does not trust the certificate cannot talk to it', async () => {
    await expect(httpsCall('/api/app.info', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).rejects.toThrow(/self-signed|certificate/i)
  })
})
