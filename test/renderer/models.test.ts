// @vitest-environment happy-dom
// The Models screen over a scripted transport: the store (lists, the default
// dataset, run selection, starting a cross-validation and following its job
// through progress to the end, cancel, the default model) and the components
// (the run report's tables and heat map, the training form).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import type { DatasetSummary, JobSnapshot } from '../../src/shared/api'
import type { AdaptJobResult, ModelSummary, RunListItem, RunReport, TransferArm, TransferComparison } from '../../src/shared/models'
import { setTransport } from '../../src/renderer/src/api/transport'
import { useModelsStore, type TrainingForm } from '../../src/renderer/src/stores/models'
import RunReportView from '../../src/renderer/src/components/models/RunReport.vue'
import TrainForm from '../../src/renderer/src/components/models/TrainForm.vue'
import ConfusionMatrix from '../../src/renderer/src/components/models/ConfusionMatrix.vue'
import TransferComparisonView from '../../src/renderer/src/components/models/TransferComparison.vue'
import CalibrateFormView from '../../src/renderer/src/components/models/CalibrateForm.vue'
import { fakeTransport, ok } from './fake-transport'

const CLASSES = ['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte']
const DATASETS: DatasetSummary[] = [
  { id: 1, name: 'SLIDE-7', description: '', imageCount: 20, labelCounts: { '': 20 }, createdAt: '2026-01-01T00:00:00Z' },
  { id: 2, name: 'pbc', description: '', imageCount: 30, labelCounts: { neutrophil: 6, eosinophil: 6, basophil: 6, lymphocyte: 6, monocyte: 6 }, createdAt: '2026-01-01T00:00:00Z' }
]
const run = (over: Partial<RunListItem> = {}): RunListItem => ({
  id: 1, kind: 'crossval', name: '', status: 'done', architecture: 'wnet', inputSize: 32, backend: 'wasm', datasetName: 'pbc', startedAt: '2026-01-01T00:00:00Z',
  finishedAt: '2026-01-01T00:01:00Z', seconds: 60, folds: { total: 3, done: 3 }, epochsRecorded: 6, accuracy: 0.6, macroF1: 0.55, ...over
})
const model = (over: Partial<ModelSummary> = {}): ModelSummary => ({
  id: 1, name: 'run 1 fold 1/3', architecture: 'wnet', inputSize: 32, classes: CLASSES, quantization: 'float32', inputNormalisation: 'none', provenance: 'run', runId: 1, fold: 0,
  accuracy: 0.5, macroF1: 0.4, byteSize: 4_313_236, routing: null, isDefault: false, createdAt: '2026-01-01T00:00:00Z', ...over
})
const confusion = [
  [4, 1, 0, 1, 0],
  [0, 5, 0, 0, 1],
  [1, 0, 3, 2, 0],
  [0, 0, 0, 6, 0],
  [2, 0, 0, 0, 4]
]
function report(r: RunListItem = run()): RunReport {
  const perClass = CLASSES.map((label, c) => ({ label, precision: 0.7, recall: confusion[c]![c]! / 6, f1: 0.7, support: 6 }))
  return {
    run: r, classes: CLASSES, seed: 1, settings: { epochs: 2, batchSize: 5, learningRate: 1e-4, k: 3 }, error: null,
    classCounts: Object.fromEntries(CLASSES.map((c) => [c, 6])),
    epochs: [0, 1, 2].flatMap((fold) => [1, 2].map((epoch) => ({ fold, epoch, trainLoss: 2 / epoch, trainAccuracy: 0.3 * epoch, valAccuracy: 0.25 * epoch, valMacroF1: 0.2, learningRate: 1e-4, seconds: 1, imagesPerSecond: 20 }))),
    folds: [0, 1, 2].map((fold) => ({ fold, status: 'done' as const, epochsDone: 2, modelId: fold + 1, accuracy: 0.6, trainCells: 20, testCells: 10, seconds: 5 })),
    crossval: {
      k: 3,
      table10: { classes: CLASSES, folds: [0, 1, 2], rows: [[1, 0.5, 0.5, 1, null], [0.5, 1, 0.5, 1, 1], [0.5, 1, 0.5, 1, 0.5]], mean: [0.667, 0.833, 0.5, 1, 0.75], overall: [0.6, 0.8, 0.7] },
      overall: { classes: CLASSES, confusion, total: 30, accuracy: 22 / 30, perClass, macro: { precision: 0.7, recall: 22 / 30, f1: 0.7 } },
      curves: {
        perClass: CLASSES.map((label) => ({ label, positives: 6, negatives: 24, rocAuc: 0.8, averagePrecision: 0.7, roc: [[0, 0], [0.2, 0.7], [1, 1]] as [number, number][], pr: [[0, 1], [0.5, 0.8], [1, 0.3]] as [number, number][] })),
        macroRocAuc: 0.8,
        macroAveragePrecision: 0.7
      }
    },
    validation: null,
    modelIds: [1, 2, 3],
    transfer: null
  }
}
const job = (over: Partial<JobSnapshot> = {}): JobSnapshot => ({
  id: 'crossval-1', kind: 'crossval', state: 'running', title: '3-fold cross-validation', progress: { task: 'crossval', done: 0, total: 0 }, startedAt: '', finishedAt: null, error: null, result: null, ...over
})

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  setTransport(null)
  vi.useRealTimers()
})

describe('models store', () => {
  it('loads models, runs and datasets, picks a labelled dataset and opens the newest run', async () => {
    const f = fakeTransport({
      'models.list': () => ok([model({ id: 2, isDefault: true }), model()]),
      'runs.list': () => ok([run({ id: 3 }), run()]),
      'datasets.list': () => ok(DATASETS),
      'jobs.list': () => ok([]),
      'runs.get': (i) => ok(report(run({ id: (i as { id: number }).id })))
    })
    setTransport(f.transport)
    const s = useModelsStore()
    await s.load()
    expect(s.form.dataset).toBe('pbc')
    expect(s.defaultModel?.id).toBe(2)
    expect(s.selectedRunId).toBe(3)
    expect(s.report?.run.id).toBe(3)
    expect(f.calls.filter((c) => c.method === 'runs.get')).toEqual([{ method: 'runs.get', input: { id: 3 } }])
  })

  it('starts a cross-validation with the form, follows the run as it appears, and opens it when the job ends', async () => {
    let runs = [run()]
    const f = fakeTransport({
      'crossval.start': () => ok({ jobId: 'crossval-1' }),
      'jobs.get': () => ok(job()),
      'runs.list': () => ok(runs),
      'models.list': () => ok([]),
      'runs.get': (i) => ok(report(runs.find((r) => r.id === (i as { id: number }).id) ?? run()))
    })
    setTransport(f.transport)
    const s = useModelsStore()
    Object.assign(s.form, { dataset: 'pbc', inputSize: 32, epochs: 2, folds: 3, dropoutOffEpochs: 1 })
    s.setArchitecture('alexnet')
    expect(s.form.inputSize).toBe(224)
    s.form.inputSize = 32
    await s.start()
    expect(f.calls.find((c) => c.method === 'crossval.start')?.input).toEqual({
      dataset: 'pbc', architecture: 'alexnet', inputSize: 32, epochs: 2, batchSize: 5, learningRate: 1e-4, dropoutOffEpochs: 1,
      schedule: 'constant', balance: 'none', augment: false, seed: 1, folds: 3
    })
    expect(s.running).toBe(true)
    expect(s.job?.title).toBe('3-fold cross-validation')

    // The core names the run: it is listed and opened.
    runs = [run({ id: 2, status: 'running', accuracy: null }), run()]
    f.emit('job.progress', { jobId: 'crossval-1', kind: 'crossval', progress: { task: 'crossval', done: 3, total: 12, unit: 'batch', metrics: { runId: 2, fold: 1, folds: 3, epoch: 1, epochs: 2, loss: 1.5, accuracy: 0.4 } } })
    await flushPromises()
    expect(s.liveRunId).toBe(2)
    expect(s.runs.map((r) => r.id)).toEqual([2, 1])
    expect(s.selectedRunId).toBe(2)
    // Progress of another job is not ours.
    f.emit('job.progress', { jobId: 'other', kind: 'train', progress: { task: 'train', done: 1, total: 2, metrics: { runId: 9 } } })
    expect(s.liveRunId).toBe(2)

    runs = [run({ id: 2 }), run()]
    f.emit('job.finished', job({ state: 'succeeded', result: { runId: 2, status: 'done', modelId: null, accuracy: 0.6, macroF1: 0.5 } }))
    await flushPromises()
    expect(s.running).toBe(false)
    expect(s.runs[0]!.status).toBe('done')
    expect(s.report?.run.id).toBe(2)
    expect(s.jobError).toBeNull()
  })

  it('trains with the held-out share and default flag, shows refusals, cancels, and explains a cancelled run', async () => {
    const f = fakeTransport({
      'train.start': () => ({ ok: false, error: { code: 'conflict', message: 'a cross-validation job is already running' } }),
      'jobs.cancel': () => ok({ cancelled: true }),
      'jobs.get': () => ok(job({ id: 'train-1', kind: 'train' })),
      'runs.list': () => ok([]),
      'models.list': () => ok([])
    })
    setTransport(f.transport)
    const s = useModelsStore()
    Object.assign(s.form, { mode: 'train', dataset: 'pbc', validationShare: 0.2, setDefault: true })
    await s.start()
    expect(f.calls[0]!.input).toMatchObject({ dataset: 'pbc', validationShare: 0.2, setDefault: true })
    expect(s.jobError).toBe('a cross-validation job is already running')
    expect(s.job).toBeNull()

    f.transport.api['train.start'] = vi.fn(async () => ok({ jobId: 'train-1' })) as never
    await s.start()
    await s.cancel()
    expect(f.calls.at(-1)).toEqual({ method: 'jobs.cancel', input: { jobId: 'train-1' } })
    f.emit('job.finished', job({ id: 'train-1', kind: 'train', state: 'cancelled', error: { code: 'cancelled', message: 'cancelled' } }))
    await flushPromises()
    expect(s.jobError).toMatch(/resume/)
  })

  it('catches the end by polling when the event stream dropped it', async () => {
    vi.useFakeTimers()
    let state = job()
    const f = fakeTransport({ 'crossval.start': () => ok({ jobId: 'crossval-1' }), 'jobs.get': () => ok(state), 'runs.list': () => ok([]), 'models.list': () => ok([]) })
    setTransport(f.transport)
    const s = useModelsStore()
    s.form.dataset = 'pbc'
    await s.start()
    state = job({ state: 'failed', error: { code: 'internal', message: 'out of memory' } })
    await vi.advanceTimersByTimeAsync(3100)
    expect(s.running).toBe(false)
    expect(s.jobError).toBe('out of memory')
  })

  it('makes a model the default and only that one', async () => {
    const f = fakeTransport({ 'models.setDefault': (i) => ok(model({ id: (i as { id: number }).id, isDefault: true })) })
    setTransport(f.transport)
    const s = useModelsStore()
    s.models = [model({ id: 1, isDefault: true }), model({ id: 2 })]
    await s.setDefault(2)
    expect(s.models.map((m) => m.isDefault)).toEqual([false, true])
  })
})

describe('run report and form components', () => {
  const stubs = { CurveChart: { props: ['series', 'label'], template: '<figure class="chart-stub" :aria-label="label">{{ series.length }}</figure>' } }

  it('shows Table 10, per-class metrics with AUCs, the confusion heat map, four charts and the folds', () => {
    const w = mount(RunReportView, { props: { report: report() }, global: { stubs } })
    const t10 = w.find('[data-testid="table10"]')
    expect(t10.findAll('tbody tr')).toHaveLength(3)
    expect(t10.findAll('tbody tr')[0]!.findAll('td').map((td) => td.text())).toEqual(['100.0%', '50.0%', '50.0%', '100.0%', '–', '60.0%'])
    expect(t10.find('tfoot').text()).toContain('70.0%')
    const metrics = w.find('[data-testid="class-metrics"]')
    expect(metrics.findAll('tbody tr')[3]!.text()).toContain('100.0%')
    expect(metrics.find('tfoot').text()).toContain('0.800')
    const cells = w.findAll('[data-testid="confusion-matrix"] tbody td.confusion-cell')
    expect(cells.map((c) => Number(c.text()))).toEqual(confusion.flat())
    expect(w.findAll('.chart-stub').map((c) => c.attributes('aria-label'))).toEqual([
      'ROC curves per class', 'Precision-recall curves per class', 'Training loss per epoch', 'Accuracy per epoch, training and held out'
    ])
    // Three folds: one loss line each; training and held-out accuracy lines each.
    expect(w.findAll('.chart-stub').map((c) => c.text())).toEqual(['5', '5', '3', '6'])
    expect(w.find('[data-testid="folds-table"]').findAll('tbody tr')).toHaveLength(3)
    expect(w.find('[data-testid="run-accuracy"]').text()).toContain('60.0%')
    // The paper's recipe has no dropout-off phase: nothing said about it.
    expect(w.find('[data-testid="run-dropout-off"]').exists()).toBe(false)
  })

  it('names a dropout-off phase in the run facts', () => {
    const r = report()
    r.settings = { ...r.settings, dropoutOff: { epochs: 1, lrFactor: 0.2 } }
    const w = mount(RunReportView, { props: { report: r }, global: { stubs } })
    expect(w.find('[data-testid="run-dropout-off"]').text()).toBe('last 1 epoch, lr ×0.2')
  })

  it('says a cancelled cross-validation can be resumed instead of showing an empty report', () => {
    const r = report(run({ status: 'cancelled', folds: { total: 3, done: 1 }, accuracy: null }))
    r.crossval = null
    const w = mount(RunReportView, { props: { report: r }, global: { stubs } })
    expect(w.find('[data-testid="table10"]').exists()).toBe(false)
    expect(w.text()).toContain('1 of 3 folds are done')
  })

  it('shades the heat map by the share of the row, blue on the diagonal and red off it', () => {
    const w = mount(ConfusionMatrix, { props: { rows: ['a', 'b'], matrix: [[3, 1], [0, 4]] } })
    const cells = w.findAll('td.confusion-cell').map((c) => (c.element as HTMLElement).style.backgroundColor)
    expect(cells[0]).toMatch(/rgba\(31, 95, 168, 0\.73/)
    expect(cells[1]).toMatch(/rgba\(179, 38, 30, 0\.31/)
    expect(cells[2]).toBe('')
    expect(w.find('tfoot').text()).toContain('8')
  })

  it('offers the start only when the dataset has labelled cells of the five classes', async () => {
    const form: TrainingForm = { mode: 'crossval', dataset: 'SLIDE-7', architecture: 'wnet', inputSize: 128, epochs: 10, folds: 10, batchSize: 5, learningRate: 1e-4, dropoutOffEpochs: 0, schedule: 'constant', balance: 'none', augment: false, validationShare: 0.1, baseModelId: null, modes: ['all', 'head'], seed: 1, setDefault: false }
    const w = mount(TrainForm, { props: { form, datasets: DATASETS, busy: false } })
    expect(w.find('[data-testid="start-training"]').attributes('disabled')).toBeDefined()
    await w.setProps({ form: { ...form, dataset: 'pbc' } })
    expect(w.find('[data-testid="start-training"]').attributes('disabled')).toBeUndefined()
    expect(w.text()).toContain('30 labelled cells')
    await w.find('form').trigger('submit')
    expect(w.emitted('start')).toHaveLength(1)
    await w.find('[data-testid="train-architecture"]').setValue('resnet18')
    expect(w.emitted('architecture')).toEqual([['resnet18']])
    await w.setProps({ busy: true })
    expect(w.find('[data-testid="start-training"]').attributes('disabled')).toBeDefined()
  })
})

describe('transfer learning', () => {
  const arm = (label: string, runId: number, accuracy: number | null): TransferArm => ({
    label, runId, status: accuracy === null ? 'running' : 'done', accuracy, macroF1: accuracy, macroRocAuc: accuracy === null ? null : 0.7,
    recall: accuracy === null ? null : Object.fromEntries(CLASSES.map((c) => [c, accuracy])), foldAccuracy: accuracy === null ? null : { mean: accuracy, sd: 0.05 }
  })
  const comparison = (arms: TransferArm[]): TransferComparison => ({ baseModels: [{ id: 9, name: 'wnet-pbc' }], dataset: 'chula', k: 5, arms })

  it('marks the best arm only when one arm alone has the highest accuracy, and opens an arm on click', async () => {
    const w = mount(TransferComparisonView, { props: { transfer: comparison([arm('scratch', 3, 0.33), arm('fine-tune all', 4, 0.36), arm('fine-tune head', 5, null)]), currentRunId: 3 } })
    expect(w.findAll('tbody tr')).toHaveLength(3)
    expect(w.find('[data-testid="transfer-best"]').element.closest('tr')!.textContent).toContain('Fine-tune all')
    expect(w.find('tbody tr.selected').text()).toContain('Scratch')
    expect(w.findAll('[data-testid="transfer-accuracy"]').map((c) => c.text())).toEqual(['33.0%', '36.0%', '–'])
    await w.findAll('tbody tr')[1]!.find('button').trigger('click')
    expect(w.emitted('open')).toEqual([[4]])
    // A tie marks nothing; one finished arm marks nothing.
    await w.setProps({ transfer: comparison([arm('scratch', 3, 0.2), arm('fine-tune all', 4, 0.2)]) })
    expect(w.find('[data-testid="transfer-best"]').exists()).toBe(false)
    await w.setProps({ transfer: comparison([arm('scratch', 3, 0.2), arm('fine-tune all', 4, null)]) })
    expect(w.find('[data-testid="transfer-best"]').exists()).toBe(false)
  })

  it('starts a transfer from the form with the base model and the arms, and refuses without a base model', async () => {
    const f = fakeTransport({
      'transfer.start': () => ok({ jobId: 'transfer-1' }),
      'jobs.get': () => ok(job({ id: 'transfer-1', kind: 'transfer', title: 'Transfer from wnet-pbc' })),
      'runs.list': () => ok([]),
      'models.list': () => ok([])
    })
    setTransport(f.transport)
    const s = useModelsStore()
    Object.assign(s.form, { mode: 'transfer', dataset: 'chula', epochs: 4, folds: 5, modes: ['all'] })
    await s.start()
    expect(s.jobError).toBe('choose the pre-trained model to fine-tune')
    expect(f.calls.some((c) => c.method === 'transfer.start')).toBe(false)
    s.form.baseModelId = 9
    await s.start()
    expect(f.calls.find((c) => c.method === 'transfer.start')?.input).toEqual({
      dataset: 'chula', epochs: 4, batchSize: 5, learningRate: 1e-4, dropoutOffEpochs: 0, schedule: 'constant', balance: 'none', augment: false, seed: 1,
      baseModelId: 9, folds: 5, modes: ['all']
    })
    expect(s.running).toBe(true)
  })
})

describe('calibration form', () => {
  const DS: DatasetSummary[] = [
    ...DATASETS,
    { id: 3, name: 'pbc-other', description: '', imageCount: 750, labelCounts: { ig: 250, erythroblast: 250, platelet: 250 }, createdAt: '2026-01-01T00:00:00Z' }
  ]
  it('offers only datasets with non-WBC labels, uses the run\'s held-out cells, and asks for datasets for a model not trained here', async () => {
    const w = mount(CalibrateFormView, { props: { model: model({ runId: 1 }), datasets: DS, busy: false } })
    expect(w.findAll('[data-testid="calibrate-other"] option').map((o) => o.text())).toEqual(['pbc-other (750)'])
    expect(w.find('[data-testid="calibrate-fit"]').exists()).toBe(false)
    await w.find('form').trigger('submit')
    expect(w.emitted('start')).toEqual([[{ other: 'pbc-other', target: 0.05 }]])

    const imported = mount(CalibrateFormView, { props: { model: model({ runId: null, provenance: 'imported' }), datasets: DS, busy: false } })
    expect(imported.find('[data-testid="calibrate-start"]').attributes('disabled')).toBeDefined()
    await imported.find('[data-testid="calibrate-fit"]').setValue('pbc')
    await imported.find('[data-testid="calibrate-wbc"]').setValue('SLIDE-7')
    await imported.find('[data-testid="calibrate-target"]').setValue('2.5')
    expect(imported.find('[data-testid="calibrate-start"]').attributes('disabled')).toBeUndefined()
    await imported.find('form').trigger('submit')
    expect(imported.emitted('start')).toEqual([[{ other: 'pbc-other', target: 0.025, fit: 'pbc', wbc: 'SLIDE-7' }]])
    await imported.find('form').trigger('keydown', { key: 'Escape' })
    expect(imported.emitted('close')).toHaveLength(1)
  })
})

describe('models table', () => {
  it('writes the size and the weight type apart ("16.0 MB uint8", not "16.0 MBuint8")', async () => {
    const { default: ModelsTable } = await import('../../src/renderer/src/components/models/ModelsTable.vue')
    const w = mount(ModelsTable, {
      props: { models: [model({ id: 1, quantization: 'uint8', byteSize: 16_000_000, provenance: 'shipped', accuracy: 0.9756 }), model({ id: 2, quantization: 'float32' })] }
    })
    const sizes = w.findAll('td').map((c) => c.element.textContent ?? '').filter((t) => /\d MB/.test(t))
    expect(sizes[0]).toMatch(/^\d+(\.\d+)? MB uint8$/)
    expect(sizes[1]).toMatch(/^\d+(\.\d+)? MB$/)
    expect(w.text()).toContain('97.6%')
    // A model's input colour normalisation shows beside its network; none shows nothing.
    const gw = mount(ModelsTable, { props: { models: [model({ id: 3, inputNormalisation: 'grey-world' }), model({ id: 4 })] } })
    expect(gw.find('[data-testid="model-network-3"]').text()).toContain('grey-world')
    expect(gw.find('[data-testid="model-network-4"]').text()).not.toContain('grey-world')
  })
})

describe('site adaptation', () => {
  const adaptResult = (over: Partial<AdaptJobResult> = {}): AdaptJobResult => ({
    runId: 5, status: 'done', dataset: 'chula', baseModel: { id: 1, name: 'wnet-pbc' }, modelId: 7, modelName: 'wnet-pbc adapted to chula (run 5)', classes: CLASSES, inputSize: 32, inputNormalisation: 'grey-world', signedSlidesOnly: false,
    siteCells: { train: 24, heldOut: 6 }, referenceCells: { replay: 10, check: 96 },
    before: { site: { accuracy: 1 / 6, recall: [0, 1, 0, 0, 0], cells: 6 }, reference: { accuracy: 0.9, recall: [0.9, 0.9, 0.9, 0.9, 0.9], cells: 96 } },
    after: { site: { accuracy: 4 / 6, recall: [1, 1, 0, 1, 1], cells: 6 }, reference: { accuracy: 0.85, recall: [0.8, 0.9, 0.8, 0.9, 0.85], cells: 96 } },
    isDefault: false, ...over
  })

  it('starts an adaptation of the chosen model, never as the default, and holds its result when the job ends', async () => {
    let defaultId = 1
    const f = fakeTransport({
      'adapt.start': () => ok({ jobId: 'adapt-1' }),
      'jobs.get': () => ok(job({ id: 'adapt-1', kind: 'adapt', title: 'Adapt wnet-pbc to chula' })),
      'runs.list': () => ok([]),
      'models.list': () => ok([model({ id: 1, isDefault: defaultId === 1 }), model({ id: 7, isDefault: defaultId === 7 })]),
      'runs.get': (i) => ok(report(run({ id: (i as { id: number }).id }))),
      'models.setDefault': (i) => {
        defaultId = (i as { id: number }).id
        return ok(model({ id: defaultId, isDefault: true }))
      }
    })
    setTransport(f.transport)
    const s = useModelsStore()
    expect(await s.adapt({ baseModelId: 1, dataset: 'chula', epochs: 3 })).toBe(true)
    expect(f.calls.find((c) => c.method === 'adapt.start')?.input).toEqual({ baseModelId: 1, dataset: 'chula', epochs: 3, setDefault: false })
    expect(s.running).toBe(true)
    f.emit('job.finished', job({ id: 'adapt-1', kind: 'adapt', state: 'succeeded', result: adaptResult() }))
    await flushPromises()
    expect(s.running).toBe(false)
    expect(s.adaptation?.after?.site.accuracy).toBeCloseTo(4 / 6)
    expect(f.calls.some((c) => c.method === 'models.setDefault')).toBe(false)
    await s.makeAdaptedDefault()
    expect(f.calls.find((c) => c.method === 'models.setDefault')?.input).toEqual({ id: 7 })
    expect(s.adaptation?.isDefault).toBe(true)
  })

  it('shows before / after on the held-out site cells and on PBC reference cells, and offers Make default', async () => {
    const { default: AdaptResultView } = await import('../../src/renderer/src/components/models/AdaptResult.vue')
    const w = mount(AdaptResultView, { props: { result: adaptResult() } })
    expect(w.find('[data-testid="adapt-site"]').text()).toMatch(/16\.7%\s*66\.7%/)
    expect(w.find('[data-testid="adapt-reference"]').text()).toMatch(/90\.0%\s*85\.0%/)
    expect(w.text()).toContain('6 held out')
    expect(w.text()).toContain('grey-world colour normalisation')
    await w.find('[data-testid="adapt-make-default"]').trigger('click')
    expect(w.emitted('makeDefault')).toHaveLength(1)
    const done = mount(AdaptResultView, { props: { result: adaptResult({ isDefault: true }) } })
    expect(done.find('[data-testid="adapt-make-default"]').exists()).toBe(false)
    expect(done.find('[data-testid="adapted-default"]').exists()).toBe(true)
  })

  it("offers datasets with labelled cells of the model's classes and sends the optional name and epochs", async () => {
    const { default: AdaptFormView } = await import('../../src/renderer/src/components/models/AdaptForm.vue')
    const w = mount(AdaptFormView, { props: { model: model(), datasets: DATASETS, busy: false } })
    expect(w.findAll('[data-testid="adapt-dataset"] option').map((o) => o.text())).toEqual(['pbc (30)'])
    await w.find('form').trigger('submit')
    // Grey-world colour normalisation is the recipe's default; unticked, the request says 'none'.
    expect(w.emitted('start')).toEqual([[{ dataset: 'pbc', inputNormalisation: 'grey-world', signedSlidesOnly: false }]])
    await w.find('[data-testid="adapt-name"]').setValue('site A')
    await w.find('[data-testid="adapt-epochs"]').setValue('4')
    await w.find('[data-testid="adapt-grey-world"]').setValue(false)
    await w.find('[data-testid="adapt-signed-only"]').setValue(true)
    await w.find('form').trigger('submit')
    expect(w.emitted('start')![1]).toEqual([{ dataset: 'pbc', modelName: 'site A', epochs: 4, inputNormalisation: 'none', signedSlidesOnly: true }])
  })
})
