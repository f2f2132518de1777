// @vitest-environment happy-dom
// The Synthetic screen over a scripted transport: the store (generators, the
// selected one's grid and quality report, GAN training and generation as jobs
// with progress, cancel and their outcomes) and the quality table.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import type { JobSnapshot } from '../../src/shared/api'
import type { GeneratorSummary, QualityReport } from '../../src/shared/synthetic'
import { setTransport } from '../../src/renderer/src/api/transport'
import { useSyntheticStore } from '../../src/renderer/src/stores/synthetic'
import QualityTable from '../../src/renderer/src/components/synthetic/QualityTable.vue'
import GeneratorsTable from '../../src/renderer/src/components/synthetic/GeneratorsTable.vue'
import { fakeTransport, ok } from './fake-transport'

const gen = (over: Partial<GeneratorSummary> = {}): GeneratorSummary => ({
  id: 1, name: 'basophil-cpu', class: 'basophil', preset: 'cpu', status: 'done', steps: 5000, targetSteps: 5000, size: 64, backend: 'wasm',
  metrics: { dLoss: 1.1, gLoss: 0.9, secondsPerStep: 0.42 }, cells: 100, gridStep: 5000, trainingData: 'store', attribution: 'PBC CC BY 4.0', reportId: 7,
  updatedAt: '2026-01-01T00:00:00Z', ...over
})
const pair = (rr: number, rg: number) => ({ realReal: rr, realGenerated: rg, gap: rr - rg })
const QUALITY: QualityReport = {
  id: 7, model: 'wnet-default', inputSize: 128, perClass: 100, seed: 1, classes: ['basophil', 'neutrophil'], backend: 'wasm', seconds: 120,
  results: ['basophil', 'neutrophil'].map((c, i) => ({
    class: c,
    generator: { id: i + 1, name: `${c}-cpu`, step: 5000, checkpointId: 3 },
    realCells: 100,
    generatedCells: 100,
    baseline: { accuracyOnGenerated: i ? 0.97 : 1, accuracyOnReal: 0.99, generatedCalledAs: { [c]: 100 } },
    cosine: { pixels: pair(0.91, 0.86), features: pair(0.8, 0.74) },
    frechet: { realVsGenerated: 41.5, realVsReal: 12.25, cellsPerSet: 50, features: 1024 }
  })),
  trainedOnGenerated: {
    classes: ['basophil', 'neutrophil'], epochs: 5, trainCells: 200, testCells: 200, accuracy: 0.95,
    perClass: [{ class: 'basophil', recall: 0.93, precision: 0.96, f1: 0.945, n: 100 }, { class: 'neutrophil', recall: 0.97, precision: 0.94, f1: 0.955, n: 100 }],
    confusion: [[93, 7], [3, 97]]
  }
}
const job = (over: Partial<JobSnapshot> = {}): JobSnapshot => ({
  id: 'gan-1', kind: 'gan', state: 'running', title: 'basophil-cpu: basophil, cpu preset, to step 6000', progress: { task: 'gan', done: 0, total: 0 }, startedAt: '', finishedAt: null, error: null, result: null, ...over
})

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  setTransport(null)
  vi.useRealTimers()
})

describe('synthetic store', () => {
  it('loads the generators and opens the first one with its sample grid and quality report', async () => {
    const f = fakeTransport({
      'synthetic.generators': () => ok([gen(), gen({ id: 2, class: 'neutrophil', name: 'neutrophil-cpu', gridStep: null, reportId: null })]),
      'datasets.list': () => ok([]),
      'jobs.list': () => ok([]),
      'synthetic.report': (i) => ok((i as { generatorId: number }).generatorId === 1 ? QUALITY : null),
      'synthetic.grid': () => ok({ mime: 'image/png', bytes: new Uint8Array([137, 80, 78, 71]) })
    })
    setTransport(f.transport)
    const s = useSyntheticStore()
    await s.load()
    expect(s.selected?.name).toBe('basophil-cpu')
    expect(s.report?.id).toBe(7)
    expect(s.gridUrl).toMatch(/^blob:/)
    expect(s.gridStep).toBe(5000)
    // A generator without a grid asks for none.
    await s.select(2)
    expect(s.gridUrl).toBeNull()
    expect(s.report).toBeNull()
    expect(f.calls.filter((c) => c.method === 'synthetic.grid')).toHaveLength(1)
  })

  it('trains a GAN with the form, follows its progress, refreshes its row as checkpoints land, and reports the end', async () => {
    vi.useFakeTimers()
    let steps = 5000
    const f = fakeTransport({
      'gan.start': () => ok({ jobId: 'gan-1' }),
      'jobs.get': () => ok(job()),
      'synthetic.generators': () => ok([gen({ steps, targetSteps: 6000, status: steps < 6000 ? 'training' : 'done', gridStep: steps })]),
      'synthetic.grid': () => ok({ mime: 'image/png', bytes: new Uint8Array([1]) }),
      'synthetic.report': () => ok(null)
    })
    setTransport(f.transport)
    const s = useSyntheticStore()
    Object.assign(s.form, { class: 'basophil', preset: 'cpu', steps: 6000, datasetId: 2 })
    await s.train()
    expect(f.calls[0]).toEqual({ method: 'gan.start', input: { class: 'basophil', preset: 'cpu', steps: 6000, datasetId: 2 } })
    expect(s.running).toBe(true)
    steps = 5200
    await vi.advanceTimersByTimeAsync(4100)
    f.emit('job.progress', { jobId: 'gan-1', kind: 'gan', progress: { task: 'gan', done: 5200, total: 6000, unit: 'steps', metrics: { dLoss: 1.2, gLoss: 0.8 } } })
    await vi.advanceTimersByTimeAsync(0)
    expect(s.progress?.done).toBe(5200)
    expect(s.generators[0]!.steps).toBe(5200)
    steps = 6000
    f.emit('job.finished', job({ state: 'succeeded', result: { generatorId: 1, name: 'basophil-cpu', class: 'basophil', status: 'done', steps: 6000, targetSteps: 6000 } }))
    await vi.advanceTimersByTimeAsync(0)
    expect(s.running).toBe(false)
    expect(s.jobNote).toBe('basophil-cpu: 6000 of 6000 steps done.')
    expect(s.selectedId).toBe(1)
    expect(s.gridStep).toBe(6000)
  })

  it('resumes a generator by name, generates cells from the selected one, cancels, and shows refusals', async () => {
    const f = fakeTransport({
      'gan.start': () => ({ ok: false, error: { code: 'conflict', message: 'generator basophil-cpu is already training' } }),
      'synthetic.generate': () => ok({ jobId: 'generate-1' }),
      'jobs.get': () => ok(job({ id: 'generate-1', kind: 'generate' })),
      'jobs.cancel': () => ok({ cancelled: true }),
      'synthetic.generators': () => ok([gen()]),
      'synthetic.report': () => ok(null),
      'synthetic.grid': () => ok({ mime: 'image/png', bytes: new Uint8Array([1]) })
    })
    setTransport(f.transport)
    const s = useSyntheticStore()
    await s.resume(gen({ preset: 'cpu+custom' }), 8000)
    expect(f.calls[0]!.input).toEqual({ class: 'basophil', preset: 'cpu', name: 'basophil-cpu', steps: 8000 })
    expect(s.jobError).toBe('generator basophil-cpu is already training')
    s.selectedId = 1
    s.generateCount = 250
    await s.generate()
    expect(f.calls.find((c) => c.method === 'synthetic.generate')?.input).toEqual({ generatorId: 1, count: 250 })
    await s.cancel()
    expect(f.calls.at(-1)).toEqual({ method: 'jobs.cancel', input: { jobId: 'generate-1' } })
    f.emit('job.finished', job({ id: 'generate-1', kind: 'generate', state: 'cancelled', error: { code: 'cancelled', message: 'cancelled' } }))
    await flushPromises()
    expect(s.jobNote).toMatch(/made so far are kept/)
  })
})

describe('quality report from the screen', () => {
  it('runs one generator per class (the selected one\'s preset first) as a job, then shows the stored report', async () => {
    const gens = [
      gen({ id: 1, class: 'basophil', name: 'basophil-cpu', preset: 'cpu', reportId: null }),
      gen({ id: 2, class: 'basophil', name: 'wbc-five-class-64-basophil', preset: 'shipped', reportId: null }),
      gen({ id: 3, class: 'neutrophil', name: 'wbc-five-class-64-neutrophil', preset: 'shipped', reportId: null }),
      gen({ id: 4, class: 'eosinophil', name: 'eosinophil-cpu', preset: 'cpu', reportId: null }),
      gen({ id: 5, class: 'monocyte', name: 'monocyte-cpu', preset: 'cpu', steps: 0, gridStep: null, reportId: null })
    ]
    let reported = false
    const f = fakeTransport({
      'synthetic.generators': () => ok(gens),
      'synthetic.runReport': () => ok({ jobId: 'quality-1' }),
      'jobs.get': () => ok(job({ id: 'quality-1', kind: 'quality', title: 'quality report' })),
      'synthetic.report': () => ok(reported ? QUALITY : null),
      'synthetic.grid': () => ok({ mime: 'image/png', bytes: new Uint8Array([1]) })
    })
    setTransport(f.transport)
    const s = useSyntheticStore()
    await s.refreshGenerators()
    await s.select(2)
    // Shipped rows where the class has one, the cpu eosinophil otherwise; never an untrained generator.
    expect(s.reportGenerators.map((g) => g.id).sort()).toEqual([2, 3, 4])
    s.reportForm.perClass = 50
    await s.runReport()
    expect(f.calls.find((c) => c.method === 'synthetic.runReport')?.input).toEqual({ generatorIds: [2, 3, 4], perClass: 50, epochs: 5 })
    expect(s.running).toBe(true)
    reported = true
    f.emit('job.finished', job({ id: 'quality-1', kind: 'quality', state: 'succeeded', result: { reportId: 7, classes: ['basophil', 'neutrophil', 'eosinophil'], model: 'model 1 (wnet-pbc)', generatorIds: [2, 3, 4] } }))
    await flushPromises()
    expect(s.running).toBe(false)
    expect(s.jobNote).toMatch(/Quality report #7 stored: basophil, neutrophil, eosinophil/)
    expect(s.selectedId).toBe(2)
    expect(s.report?.id).toBe(7)
  })
})

describe('synthetic components', () => {
  it('shows the quality report per class: baseline accuracy, cosine pairs with gaps, Fréchet beside its floor, trained-on-generated', () => {
    const w = mount(QualityTable, { props: { report: QUALITY, highlight: 'neutrophil' } })
    const rows = w.findAll('tbody tr')
    expect(rows).toHaveLength(2)
    expect(rows[0]!.findAll('td').map((t) => t.text())).toEqual(['5,000', '100.0%', '99.0%', '0.910', '0.860', '5.0%', '0.800', '0.740', '6.0%', '41.5', '12.3', '93.0%'])
    expect(rows[1]!.classes()).toContain('selected')
    expect(w.find('[data-testid="tog-accuracy"]').text()).toBe('95.0%')
    expect(w.text()).toContain('wnet-default')
  })

  it('lists generators with status and cost, and moves the selection with the arrow keys', async () => {
    const w = mount(GeneratorsTable, { props: { generators: [gen(), gen({ id: 2, class: 'neutrophil', status: 'training', steps: 10, targetSteps: 5000 })], selectedId: 1 }, attachTo: document.body })
    const rows = w.findAll('tbody tr')
    expect(rows[1]!.text()).toContain('training')
    expect(rows[1]!.text()).toContain('10 / 5,000')
    await rows[0]!.trigger('keydown', { key: 'ArrowDown' })
    expect(w.emitted('select')).toEqual([[2]])
    w.unmount()
  })
})
