// slides.classify end to end under plain Node: a real slide of real cells
// imported through the contract, classified in the job worker by a real W-Net
// (untrained, 32 px: the predictions are real forward passes, only not good
// ones) stored as the default model; the slide becomes 'classified', slides.list
// names the model, the review gallery carries the predictions. Without any
// model the job says so; a signed slide is refused. Classification jobs run in
// one resident worker (the warm inference service) that follows the default
// model and ends when idle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { ClassifyReport, JobSnapshot, Result, SlideSummary } from '../../../src/shared/api'
import type { Progress } from '../../../src/shared/progress'
import type { SlideGallery } from '../../../src/shared/review'
import { openWorkstation, type Workstation } from '../../../src/main/api'
import { createEventBus } from '../../../src/main/api/events'
import { createJobRunner } from '../../../src/main/api/jobs'
import { initBackend } from '../../../src/main/ml/model/tfjs-backend'
import { buildModel, specFor } from '../../../src/main/ml/model/architectures/index'
import { saveModel } from '../../../src/main/ml/model/registry'
import { WNET_RECIPE } from '../../../src/main/imaging/decode'
import { openStore } from '../../../src/main/store'
import { WBC_CLASSES } from '../../../src/shared/cells'
import { realCells } from '../../helpers/datasets'
import { addTestUser, TEST_PASSWORD } from '../../helpers/people'

let dir: string
let ws: Workstation
let slideId: number
const savedResources = process.env.WBC_RESOURCES
const savedDefault = process.env.WBC_DEFAULT_MODEL

const call = async <T>(method: string, payload?: unknown): Promise<T> => {
  const r = (await ws.dispatch(method, payload, 'local-operator')) as Result<T>
  if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`)
  return r.value
}

function finished(jobId: string, progress: Progress[] = []): Promise<JobSnapshot> {
  return new Promise((resolve) => {
    const off = ws.events.subscribe((e) => {
      if (e.name === 'job.progress' && e.payload.jobId === jobId) progress.push(e.payload.progress)
      if (e.name === 'job.finished' && e.payload.id === jobId) {
        off()
        resolve(e.payload)
      }
    })
  })
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wbc-classify-'))
  // No shipped model for this test, whatever resources/models holds.
  mkdirSync(join(dir, 'resources', 'models'), { recursive: true })
  process.env.WBC_RESOURCES = join(dir, 'resources')
  delete process.env.WBC_DEFAULT_MODEL
  const slideDir = join(dir, 'SLIDE-0077')
  mkdirSync(slideDir)
  for (const cls of ['neutrophil', 'lymphocyte', 'monocyte', 'eosinophil']) for (const f of realCells('pbc-wbc', cls, 2)) copyFileSync(f, join(slideDir, basename(f)))
  ws = openWorkstation({ shell: 'browser', version: '9.9.9', dbPath: join(dir, 'wbc.sqlite') })
  const { jobId } = await call<{ jobId: string }>('import.start', { path: slideDir })
  const done = await finished(jobId)
  expect(done.state).toBe('succeeded')
  slideId = (await call<SlideSummary[]>('slides.list'))[0]!.id
})
afterAll(async () => {
  await ws?.close()
  if (savedResources === undefined) delete process.env.WBC_RESOURCES
  else process.env.WBC_RESOURCES = savedResources
  if (savedDefault !== undefined) process.env.WBC_DEFAULT_MODEL = savedDefault
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('slides.classify', () => {
  it('checks the slide and the model before starting', async () => {
    expect(await ws.dispatch('slides.classify', { slideId: 999 }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(await ws.dispatch('slides.classify', { slideId, modelId: 999 }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(await ws.dispatch('slides.classify', { slideId, model: 'x' }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
  })

  it('fails the job with a plain reason when there is no model at all', async () => {
    const { jobId } = await call<{ jobId: string }>('slides.classify', { slideId })
    const end = await finished(jobId)
    expect(end.state).toBe('failed')
    expect(end.error).toMatchObject({ code: 'unavailable' })
    expect(end.error?.message).toMatch(/no default model/)
    expect((await call<SlideSummary[]>('slides.list'))[0]).toMatchObject({ status: 'imported', model: null })
  })

  it('classifies the slide with the default model in the job worker and the slide shows it', async () => {
    const backend = await initBackend()
    const db = openStore(join(dir, 'wbc.sqlite'))
    const model = buildModel(specFor('wnet', { inputSize: 32, seed: 11 }))
    const modelId = await saveModel(db, model, { architecture: 'wnet', inputSize: 32, classes: [...WBC_CLASSES], preprocessRecipe: WNET_RECIPE }, { name: 'W-Net 32 px (untrained)', provenance: 'run', setDefault: true })
    model.dispose()
    db.close()

    const { jobId } = await call<{ jobId: string }>('slides.classify', { slideId })
    const progress: Progress[] = []
    const end = await finished(jobId, progress)
    expect(end.state).toBe('succeeded')
    const report = end.result as ClassifyReport
    expect(report).toMatchObject({ slideId, model: { id: modelId, name: 'W-Net 32 px (untrained)' }, classified: 8 })
    expect(progress.at(-1)).toMatchObject({ task: 'classify', done: 8, total: 8 })
    // The workstation now names the backend the job worker ran the model on (same chain as this thread).
    expect((await call<{ mlBackend: string | null }>('app.info')).mlBackend).toBe(backend.name)

    const slide = (await call<SlideSummary[]>('slides.list'))[0]!
    expect(slide).toMatchObject({ status: 'classified', cellCount: 8, model: { id: modelId, name: 'W-Net 32 px (untrained)' } })
    const gallery = await call<SlideGallery>('review.gallery', { slideId })
    const cells = gallery.groups.flatMap((g) => g.cells)
    expect(cells).toHaveLength(8)
    for (const c of cells) {
      expect(c.prediction?.modelId).toBe(modelId)
      expect(Object.values(c.prediction!.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4)
    }
    // cells.list carries each cell's latest prediction too (the Slides screen's preview).
    const page = await call<{ cells: { prediction: { label: string; confidence: number; modelId: number } | null }[] }>('cells.list', { slideId })
    expect(page.cells.every((c) => c.prediction?.modelId === modelId && WBC_CLASSES.includes(c.prediction.label as never))).toBe(true)
    // The report's Unidentified count is the gallery's under the slide's threshold.
    expect(report.unidentified).toBe(gallery.groups.find((g) => g.label === 'unidentified')!.cells.length)
  })

  it('runs every classification in one warm inference worker that follows the default model (at once when told) and is freed when idle', async () => {
    const events = createEventBus()
    const runner = createJobRunner({ events, dbPath: join(dir, 'wbc.sqlite'), inferenceIdleMs: 400 })
    const classify = (): Promise<JobSnapshot> =>
      new Promise((resolve) => {
        const job = runner.start('classify', 'SLIDE-0077', { slideId })
        const off = events.subscribe((e) => {
          if (e.name === 'job.finished' && e.payload.id === job.id) {
            off()
            resolve(e.payload)
          }
        })
      })
    try {
      expect(runner.inferenceThread()).toBeNull()
      const first = await classify()
      expect(first.state).toBe('succeeded')
      const thread = runner.inferenceThread()
      expect(thread).toEqual(expect.any(Number))
      // A new default model: the warm service classifies with it, in the same thread.
      const db = openStore(join(dir, 'wbc.sqlite'))
      const model = buildModel(specFor('wnet', { inputSize: 32, seed: 12 }))
      const newDefault = await saveModel(db, model, { architecture: 'wnet', inputSize: 32, classes: [...WBC_CLASSES], preprocessRecipe: WNET_RECIPE }, { name: 'W-Net 32 px (second)', provenance: 'run', setDefault: true })
      model.dispose()
      db.close()
      const second = await classify()
      expect(second).toMatchObject({ state: 'succeeded', result: { model: { id: newDefault }, classified: 8 } })
      expect((first.result as ClassifyReport).model.id).not.toBe(newDefault)
      expect(runner.inferenceThread()).toBe(thread)
      await expect.poll(() => runner.inferenceModel(), { timeout: 10_000, interval: 50 }).toBe(newDefault)
      // A default chosen while the service is up is loaded at once, in place of the one it held.
      const db2 = openStore(join(dir, 'wbc.sqlite'))
      const model2 = buildModel(specFor('wnet', { inputSize: 32, seed: 13 }))
      const third = await saveModel(db2, model2, { architecture: 'wnet', inputSize: 32, classes: [...WBC_CLASSES], preprocessRecipe: WNET_RECIPE }, { name: 'W-Net 32 px (third)', provenance: 'run', setDefault: true })
      model2.dispose()
      db2.close()
      runner.defaultModelChanged()
      await expect.poll(() => runner.inferenceModel(), { timeout: 30_000, interval: 50 }).toBe(third)
      expect(runner.inferenceThread()).toBe(thread)
      // Idle: the service ends and frees its memory; the next slide starts a fresh one.
      await expect.poll(() => runner.inferenceThread(), { timeout: 10_000, interval: 100 }).toBeNull()
      const fresh = await classify()
      expect(fresh).toMatchObject({ state: 'succeeded', result: { model: { id: third } } })
      expect(runner.inferenceThread()).not.toBe(thread)
    } finally {
      await runner.close()
    }
  })

  it('refuses to classify a signed slide again', async () => {
    await call('review.settings', { slideId, unidentifiedThreshold: 0 })
    // A verifier signs (the local operator never does).
    const store = openStore(join(dir, 'wbc.sqlite'))
    const verifier = await addTestUser(store, 'dra', ['verifier'])
    store.close()
    expect(await ws.dispatch('review.sign', { slideId, meaning: 'verified', password: TEST_PASSWORD }, { userId: verifier.userId })).toMatchObject({ ok: true })
    expect(await ws.dispatch('slides.classify', { slideId }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'conflict' } })
  })
})
