// The contract's one implementation end to end under plain Node: a real store
// on a temp database, a real import of real cells in a job worker thread, and
// every payload validated before a handler sees it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { API_METHODS, type ImportReport, type JobSnapshot, type Result } from '../../../src/shared/api'
import { openWorkstation, type Workstation } from '../../../src/main/api'
import { createDispatch, type Handlers } from '../../../src/main/api/dispatch'
import { LOCAL_OPERATOR } from '../../../src/main/people'
import { createHandlers } from '../../../src/main/api/handlers'
import { ApiFailure } from '../../../src/main/api/errors'
import { realCells } from '../../helpers/datasets'

let dir: string
let ws: Workstation
let slideDir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wbc-api-'))
  // A slide export: one flat folder of unlabelled cells, plus one file that is not an image.
  slideDir = join(dir, 'SLIDE-0042')
  mkdirSync(slideDir)
  for (const f of [...realCells('pbc-wbc', 'neutrophil', 4), ...realCells('pbc-wbc', 'lymphocyte', 4)]) copyFileSync(f, join(slideDir, basename(f)))
  writeFileSync(join(slideDir, 'notes.jpg'), 'this is not a jpeg')
  ws = openWorkstation({ shell: 'browser', version: '9.9.9', dbPath: join(dir, 'wbc.sqlite') })
})
afterAll(async () => {
  await ws?.close()
  rmSync(dir, { recursive: true, force: true })
})

const call = <T>(method: string, payload?: unknown) => ws.dispatch(method, payload, 'local-operator') as Promise<Result<T>>

function waitFinished(jobId: string): Promise<JobSnapshot> {
  return new Promise((resolve) => {
    const off = ws.events.subscribe((e) => {
      if (e.name === 'job.finished' && e.payload.id === jobId) {
        off()
        resolve(e.payload)
      }
    })
  })
}

describe('dispatch', () => {
  it('has a handler for every method of the contract and nothing else', () => {
    const handlers = createHandlers({} as never)
    expect(Object.keys(handlers).sort()).toEqual([...API_METHODS].sort())
  })

  it('validates before any handler runs', async () => {
    let called = 0
    const spy = new Proxy({} as Handlers, { get: () => () => (called++, {}) })
    const dispatch = createDispatch(spy, () => LOCAL_OPERATOR)
    expect(await dispatch('cells.list', { slideId: -1 }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await dispatch('cells.list', { slideId: 1, datasetId: 2 }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await dispatch('cell.image', { id: 1, extra: true }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await dispatch('cell.image', null, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await dispatch('import.start', { path: 42 }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input', issues: [{ path: 'path' }] } })
    expect(await dispatch('__proto__', {}, 'local-operator')).toMatchObject({ ok: false, error: { code: 'unknown_method' } })
    expect(await dispatch('toString', {}, 'local-operator')).toMatchObject({ ok: false, error: { code: 'unknown_method' } })
    expect(called).toBe(0)
    expect(await dispatch('cells.list', { slideId: 3 }, 'local-operator')).toMatchObject({ ok: true })
    expect(called).toBe(1)
  })

  it('turns thrown failures into error results', async () => {
    const handlers = createHandlers({} as never)
    const dispatch = createDispatch({
      ...handlers,
      'slides.list': () => {
        throw new ApiFailure('conflict', 'slide is signed')
      },
      'datasets.list': () => {
        throw new TypeError('boom')
      }
    }, () => LOCAL_OPERATOR)
    expect(await dispatch('slides.list', {}, 'local-operator')).toEqual({ ok: false, error: { code: 'conflict', message: 'slide is signed' } })
    const internal = await dispatch('datasets.list', undefined, 'local-operator')
    expect(internal).toEqual({ ok: false, error: { code: 'internal', message: 'boom' } })
  })
})

describe('workstation over a real store', () => {
  it('app.info names the shell, version and database', async () => {
    const r = await call<{ version: string; shell: string; dbPath: string; storeReady: boolean }>('app.info')
    expect(r).toMatchObject({ ok: true, value: { version: '9.9.9', shell: 'browser', dbPath: join(dir, 'wbc.sqlite'), storeReady: true } })
  })

  it('refuses an import of a relative or missing path up front', async () => {
    expect(await call('import.start', { path: 'relative/folder' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await call('import.start', { path: join(dir, 'nope') })).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(await call('jobs.get', { jobId: 'import-unknown' })).toMatchObject({ ok: false, error: { code: 'not_found' } })
  })

  it('imports a slide folder in a worker, with progress and a per-file report', async () => {
    const progress: number[] = []
    const off = ws.events.subscribe((e) => {
      if (e.name === 'job.progress') progress.push(e.payload.progress.done)
    })
    const started = await call<{ jobId: string }>('import.start', { path: slideDir })
    if (!started.ok) throw new Error(started.error.message)
    const end = await waitFinished(started.value.jobId)
    off()
    expect(end.state).toBe('succeeded')
    const report = end.result as ImportReport
    expect(report.counts).toMatchObject({ files: 9, imported: 8, failed: 1 })
    expect(report.slides).toEqual(['SLIDE-0042'])
    const bad = report.files.find((f) => f.outcome === 'failed')
    expect(bad?.path).toBe('notes.jpg')
    expect(bad?.reason).toBeTruthy()
    expect(progress.length).toBeGreaterThan(0)
    const again = await call<JobSnapshot>('jobs.get', { jobId: started.value.jobId })
    expect(again).toMatchObject({ ok: true, value: { state: 'succeeded', result: { counts: { imported: 8 } } } })
  })

  it('lists the slide, its cells and their images', async () => {
    const slides = await call<{ id: number; sampleId: string; status: string; cellCount: number; model: unknown }[]>('slides.list')
    if (!slides.ok) throw new Error(slides.error.message)
    expect(slides.value).toHaveLength(1)
    const slide = slides.value[0]!
    expect(slide).toMatchObject({ sampleId: 'SLIDE-0042', status: 'imported', cellCount: 8, model: null })

    const page = await call<{ total: number; cells: { id: number; format: string; label: string | null }[] }>('cells.list', { slideId: slide.id, limit: 5 })
    if (!page.ok) throw new Error(page.error.message)
    expect(page.value.total).toBe(8)
    expect(page.value.cells).toHaveLength(5)
    expect(page.value.cells[0]).toMatchObject({ format: 'jpeg', label: null })

    const image = await call<{ mime: string; bytes: Uint8Array }>('cell.image', { id: page.value.cells[0]!.id })
    if (!image.ok) throw new Error(image.error.message)
    expect(image.value.mime).toBe('image/jpeg')
    expect([...image.value.bytes.subarray(0, 2)]).toEqual([0xff, 0xd8])

    expect(await call('cells.list', { slideId: 999 })).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(await call('cell.image', { id: 999999 })).toMatchObject({ ok: false, error: { code: 'not_found' } })
  })

  it('lists datasets with their label counts', async () => {
    const r = await call<{ name: string; imageCount: number; labelCounts: Record<string, number> }[]>('datasets.list')
    if (!r.ok) throw new Error(r.error.message)
    expect(r.value).toEqual([expect.objectContaining({ name: 'SLIDE-0042', imageCount: 8, labelCounts: { '': 8 } })])
  })

  it('lists folders on the core machine for choosing an import', async () => {
    const r = await call<{ path: string; folders: { name: string }[]; imageFiles: number }>('folders.list', { path: dir })
    expect(r).toMatchObject({ ok: true, value: { path: dir, folders: [{ name: 'SLIDE-0042' }], imageFiles: 0 } })
    const inSlide = await call<{ imageFiles: number }>('folders.list', { path: slideDir })
    expect(inSlide).toMatchObject({ ok: true, value: { imageFiles: 9 } })
    expect(await call('folders.list', { path: join(dir, 'missing') })).toMatchObject({ ok: false, error: { code: 'not_found' } })
  })
})
