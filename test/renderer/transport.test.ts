// @vitest-environment happy-dom
// The renderer picks its transport: the preload's bridge when present, else
// HTTP; the HTTP client speaks the server's JSON (bytes included) and SSE.
import { describe, expect, it, vi } from 'vitest'
import { API_METHODS, type DesktopBridge } from '../../src/shared/api'
import { toWire } from '../../src/shared/wire'
import { httpTransport, pickTransport } from '../../src/renderer/src/api/transport'

describe('transport', () => {
  it('uses window.wbc when the desktop preload put it there, HTTP otherwise', () => {
    const bridge = { api: {}, on: vi.fn(), pathForFile: vi.fn(() => '/x') } as unknown as DesktopBridge
    expect(pickTransport({ wbc: bridge }).kind).toBe('desktop')
    expect(pickTransport({}).kind).toBe('browser')
  })

  it('posts JSON to /api/<method> and decodes results with bytes', async () => {
    const fetch = vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => new Response(toWire({ ok: true, value: { mime: 'image/png', bytes: new Uint8Array([1, 2, 3]) } })))
    const t = httpTransport({ fetch: fetch as typeof globalThis.fetch })
    expect(Object.keys(t.api).sort()).toEqual([...API_METHODS].sort())
    const r = await t.api['cell.image']({ id: 5 })
    expect(fetch.mock.calls[0]![0]).toBe('/api/cell.image')
    expect(fetch.mock.calls[0]![1]).toMatchObject({ method: 'POST', body: '{"id":5}', credentials: 'same-origin' })
    expect(r.ok && [...r.value.bytes]).toEqual([1, 2, 3])
    expect(await t.cellImageUrl(5)).toBe('/api/cell-image/5')
  })

  it('turns network failures and non-results into error results', async () => {
    const down = httpTransport({ fetch: (async () => { throw new TypeError('Failed to fetch') }) as typeof globalThis.fetch })
    expect(await down.api['app.info']()).toMatchObject({ ok: false, error: { code: 'unavailable' } })
    const html = httpTransport({ fetch: (async () => new Response('<html>', { status: 502 })) as typeof globalThis.fetch })
    expect(await html.api['app.info']()).toMatchObject({ ok: false, error: { code: 'internal', message: expect.stringContaining('502') } })
  })

  it('subscribes to server-sent events by name', () => {
    const handlers: Record<string, (e: { data: string }) => void> = {}
    const source = { addEventListener: vi.fn((name: string, fn: (e: { data: string }) => void) => (handlers[name] = fn)) }
    const make = vi.fn(() => source as unknown as EventSource)
    const t = httpTransport({ eventSource: make })
    const got: unknown[] = []
    const off = t.on('job.progress', (p) => got.push(p))
    t.on('job.finished', () => undefined)
    expect(make).toHaveBeenCalledTimes(1)
    expect(make).toHaveBeenCalledWith('/api/events')
    handlers['job.progress']!({ data: '{"jobId":"j","kind":"import","progress":{"task":"import","done":1,"total":2}}' })
    handlers['job.progress']!({ data: 'not json' })
    expect(got).toEqual([{ jobId: 'j', kind: 'import', progress: { task: 'import', done: 1, total: 2 } }])
    off()
    handlers['job.progress']!({ data: '{}' })
    expect(got).toHaveLength(1)
  })

  it('closes the event stream when the session goes and opens a new one, with the same listeners, after a sign-in', async () => {
    type FakeSource = { handlers: Record<string, (e: { data: string }) => void>; closed: boolean; addEventListener: (n: string, fn: (e: { data: string }) => void) => void; close: () => void }
    const sources: FakeSource[] = []
    const make = vi.fn(() => {
      const s: FakeSource = {
        handlers: {},
        closed: false,
        addEventListener(n, fn) {
          s.handlers[n] = fn
        },
        close() {
          s.closed = true
        }
      }
      sources.push(s)
      return s as unknown as EventSource
    })
    let answer: unknown = { ok: true, value: { id: 1, name: 'ada', displayName: 'Ada', roles: ['admin'] } }
    const fetch = (async () => new Response(JSON.stringify(answer))) as typeof globalThis.fetch
    const t = httpTransport({ eventSource: make, fetch })
    const got: unknown[] = []
    // A page just loaded, nobody signed in: no stream for a screen that subscribes early.
    answer = { ok: true, value: { needsSetup: false, user: null, idleMinutes: 30 } }
    await t.api['session.state']()
    t.on('slide.changed', (p) => got.push(p))
    expect(sources).toHaveLength(0)
    // The cookie still holds a session after all (another tab signed in): the stream opens.
    answer = { ok: true, value: { needsSetup: false, user: { id: 1, name: 'ada', displayName: 'Ada', roles: ['admin'] }, idleMinutes: 30 } }
    await t.api['session.state']()
    expect(sources).toHaveLength(1)

    // A call refused for want of a session: the stream closes (the server ended it; the browser would not retry).
    answer = { ok: false, error: { code: 'forbidden', message: 'slides.list: sign in first' } }
    await t.api['slides.list']({})
    expect(sources[0]!.closed).toBe(true)

    // Signed in again: a new stream, carrying the listeners the screens hold.
    answer = { ok: true, value: { id: 1, name: 'ada', displayName: 'Ada', roles: ['admin'] } }
    await t.api['session.login']({ name: 'ada', password: 'a long enough password' })
    expect(sources).toHaveLength(2)
    sources[1]!.handlers['slide.changed']!({ data: '{"slideId":3}' })
    expect(got).toEqual([{ slideId: 3 }])

    answer = { ok: true, value: { signedOut: true } }
    await t.api['session.logout']()
    expect(sources[1]!.closed).toBe(true)
    // A screen that subscribes while nobody is signed in opens no stream (the server would refuse it) ...
    const alsoGot: unknown[] = []
    t.on('job.finished', (p) => alsoGot.push(p))
    expect(sources).toHaveLength(2)
    // ... and gets its events once someone signs in.
    answer = { ok: true, value: { id: 2, name: 'bo', displayName: 'Bo', roles: ['technologist'] } }
    await t.api['session.login']({ name: 'bo', password: 'a long enough password' })
    expect(sources).toHaveLength(3)
    sources[2]!.handlers['job.finished']!({ data: '{"id":"j1"}' })
    sources[2]!.handlers['slide.changed']!({ data: '{"slideId":4}' })
    expect(alsoGot).toEqual([{ id: 'j1' }])
    expect(got).toEqual([{ slideId: 3 }, { slideId: 4 }])
  })
})
