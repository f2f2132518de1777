// @vitest-environment happy-dom
// Pinia stores over a scripted transport: the import store follows a job by
// its events (and by polling when events go missing), the slides store loads
// the list, the nav store keeps the screen in the address.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { JobSnapshot } from '../../src/shared/api'
import { setTransport } from '../../src/renderer/src/api/transport'
import { POLL_MS, useImportStore } from '../../src/renderer/src/stores/import'
import { SLIDES_RELOAD_MS, useSlidesStore } from '../../src/renderer/src/stores/slides'
import { screenFromHash, useNavStore } from '../../src/renderer/src/stores/nav'
import { REPORT, fakeTransport, ok } from './fake-transport'

const snapshot = (over: Partial<JobSnapshot> = {}): JobSnapshot => ({
  id: 'import-1',
  kind: 'import',
  state: 'running',
  title: '/data/SLIDE-7',
  progress: { task: 'import', done: 0, total: 3 },
  startedAt: '2026-01-01T00:00:00Z',
  finishedAt: null,
  error: null,
  result: null,
  ...over
})

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  setTransport(null)
  vi.useRealTimers()
})

describe('import store', () => {
  it('starts a job, shows live progress and keeps the report', async () => {
    const f = fakeTransport({ 'import.start': () => ok({ jobId: 'import-1' }), 'jobs.get': () => ok(snapshot()) })
    setTransport(f.transport)
    const s = useImportStore()
    s.path = '  /data/SLIDE-7 '
    await s.start()
    expect(f.calls[0]).toEqual({ method: 'import.start', input: { path: '/data/SLIDE-7', keepUnknownClasses: true } })
    expect(s.running).toBe(true)
    f.emit('job.progress', { jobId: 'other', kind: 'import', progress: { task: 'import', done: 99, total: 99 } })
    f.emit('job.progress', { jobId: 'import-1', kind: 'import', progress: { task: 'import', done: 2, total: 3 } })
    expect(s.progress).toMatchObject({ done: 2, total: 3 })
    f.emit('job.finished', snapshot({ state: 'succeeded', result: REPORT, progress: { task: 'import', done: 3, total: 3 } }))
    expect(s.running).toBe(false)
    expect(s.report?.counts.failed).toBe(1)
    expect(s.problems.map((p) => p.path)).toEqual(['c.jpg'])
    expect(f.listenerCount()).toBe(0)
  })

  it('shows why an import could not start', async () => {
    const f = fakeTransport({
      'import.start': () => ({ ok: false, error: { code: 'not_found', message: 'no such file or folder: /nope' } })
    })
    setTransport(f.transport)
    const s = useImportStore()
    s.path = '/nope'
    await s.start()
    expect(s.error).toBe('no such file or folder: /nope')
    expect(s.job).toBeNull()
    s.path = '   '
    await s.start()
    expect(f.calls).toHaveLength(1)
  })

  it('catches the end by polling when the event stream dropped it', async () => {
    vi.useFakeTimers()
    let state: JobSnapshot = snapshot()
    const f = fakeTransport({ 'import.start': () => ok({ jobId: 'import-1' }), 'jobs.get': () => ok(state) })
    setTransport(f.transport)
    const s = useImportStore()
    s.path = '/data/SLIDE-7'
    await s.start()
    state = snapshot({ state: 'succeeded', result: REPORT })
    await vi.advanceTimersByTimeAsync(POLL_MS + 10)
    expect(s.running).toBe(false)
    expect(s.report?.root).toBe('/data/SLIDE-7')
  })

  it('reports a cancelled import and a failed one plainly', async () => {
    const f = fakeTransport({ 'import.start': () => ok({ jobId: 'import-1' }), 'jobs.get': () => ok(snapshot()), 'jobs.cancel': () => ok({ cancelled: true }) })
    setTransport(f.transport)
    const s = useImportStore()
    s.path = '/data/SLIDE-7'
    await s.start()
    await s.cancel()
    expect(f.calls.at(-1)).toEqual({ method: 'jobs.cancel', input: { jobId: 'import-1' } })
    f.emit('job.finished', snapshot({ state: 'cancelled', error: { code: 'cancelled', message: 'cancelled' } }))
    expect(s.error).toMatch(/cancelled/i)
    await s.start()
    f.emit('job.finished', snapshot({ state: 'failed', error: { code: 'internal', message: 'disk full' } }))
    expect(s.error).toBe('disk full')
  })
})

describe('slides store', () => {
  it('loads slides and datasets, and keeps the error of a failed call', async () => {
    const slide = { id: 1, sampleId: 'S1', source: '/x', status: 'imported', cellCount: 20, model: null, createdAt: '2026-01-01T00:00:00Z' }
    const f = fakeTransport({ 'slides.list': () => ok([slide]), 'datasets.list': () => ({ ok: false, error: { code: 'internal', message: 'db locked' } }) })
    setTransport(f.transport)
    const s = useSlidesStore()
    await s.load()
    expect(s.slides).toEqual([slide])
    expect(s.datasets).toEqual([])
    expect(s.error).toBe('db locked')
    expect(s.loaded).toBe(true)
  })

  it("follows other stations: a burst of status-moving changes reloads the list once; comments and settings don't", async () => {
    vi.useFakeTimers()
    try {
      let status = 'classified'
      const f = fakeTransport({
        'slides.list': () => ok([{ id: 1, sampleId: 'S1', source: '/x', status, cellCount: 3, model: null, createdAt: '2026-01-01T00:00:00Z', revision: 1 }]),
        'datasets.list': () => ok([])
      })
      setTransport(f.transport)
      const s = useSlidesStore()
      await s.load()
      await s.load()
      expect(f.listenerCount('slide.changed')).toBe(1)
      const lists = () => f.calls.filter((c) => c.method === 'slides.list').length
      const before = lists()
      f.emit('slide.changed', { slideId: 1, revision: 2, change: 'comment', by: 'ana', userId: 2 })
      f.emit('slide.changed', { slideId: null, revision: null, change: 'settings', by: 'ana', userId: 2 })
      await vi.advanceTimersByTimeAsync(SLIDES_RELOAD_MS * 2)
      expect(lists()).toBe(before)
      status = 'signed'
      f.emit('slide.changed', { slideId: 1, revision: 3, change: 'reclassify', by: 'ana', userId: 2 })
      f.emit('slide.changed', { slideId: 1, revision: 4, change: 'sign', by: 'vic', userId: 3 })
      await vi.advanceTimersByTimeAsync(SLIDES_RELOAD_MS + 10)
      expect(lists()).toBe(before + 1)
      expect(s.slides[0]!.status).toBe('signed')
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('nav store', () => {
  it('maps the address to a screen and back', () => {
    expect(screenFromHash('#/import')).toBe('import')
    expect(screenFromHash('#/review/12')).toBe('review')
    expect(screenFromHash('#/nonsense')).toBe('slides')
    expect(screenFromHash('')).toBe('slides')
    const nav = useNavStore()
    nav.go('import')
    expect(location.hash).toBe('#/import')
    expect(nav.screen.title).toBe('Import')
  })
})
