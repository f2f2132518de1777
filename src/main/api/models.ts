// The contract's model and run methods: stored models and the default one,
// runs (training, cross-validation, fine-tuning) as list rows and as reports
// in the paper's terms, and starting training / cross-validation as jobs (the
// ML core runs inside the job's worker thread; see tasks/train.ts and
// tasks/crossval.ts). Reads go straight to the store so the core worker never
// loads TensorFlow.js just to list runs.
import type { Method } from '../../shared/api'
import {
  DEFAULT_ARCHITECTURE_INPUT,
  ARCHITECTURE_LABELS,
  MODEL_ARCHITECTURES,
  type ClassCurvesView,
  type ClassificationView,
  type CurvesView,
  type FoldView,
  type ModelArchitecture,
  type ModelSummary,
  type RunListItem,
  type RunReport,
  type Table10View
} from '../../shared/models'
import { getDatasetByName, listDatasets, type Db } from '../store'
import { getModel, listModels, setDefaultModel, type ModelRow } from '../store/models'
import { getRun, listRuns, runEpochs, runFolds, runImages, type RunRow } from '../store/runs'
import type { Handlers } from './dispatch'
import { ApiFailure, notFound } from './errors'
import type { ApiContext } from './handlers'
import { headlineMetrics } from '../stats/headline'
import { summarizeRun } from '../stats/run-summary'
import { transferComparison } from '../stats/transfer-comparison'
import { routingOf, type OodCalibration } from '../ml/ood'

type ModelMethod = Extract<Method, 'models.list' | 'models.setDefault' | 'models.calibrate' | 'runs.list' | 'runs.get' | 'train.start' | 'crossval.start' | 'transfer.start'>

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

export function modelSummary(m: ModelRow): ModelSummary {
  return {
    id: m.id,
    name: m.name,
    architecture: m.architecture,
    inputSize: m.inputSize,
    classes: m.classes,
    quantization: m.quantization,
    provenance: m.provenance,
    runId: m.runId,
    fold: m.fold,
    ...headlineMetrics(m.metrics),
    byteSize: m.byteSize,
    routing: routingOf(m.calibration as OodCalibration | null),
    isDefault: m.isDefault,
    createdAt: m.createdAt
  }
}

function datasetNames(db: Db): Map<number, string> {
  return new Map(listDatasets(db).map((d) => [d.id, d.name]))
}

export function runListItem(db: Db, r: RunRow, names = datasetNames(db)): RunListItem {
  const { seed: _seed, ...summary } = summarizeRun(db, r)
  return { ...summary, datasetName: r.datasetId === null ? null : (names.get(r.datasetId) ?? null) }
}

function classification(r: any): ClassificationView | null {
  if (!r || !Array.isArray(r.confusion) || !Array.isArray(r.perClass)) return null
  return {
    classes: r.classes ?? r.perClass.map((c: { label: string }) => c.label),
    confusion: r.confusion,
    total: r.total ?? 0,
    accuracy: num(r.accuracy),
    perClass: r.perClass.map((c: any) => ({ label: c.label, precision: c.precision, recall: c.recall, f1: c.f1, support: c.support })),
    macro: r.macro ?? { precision: 0, recall: 0, f1: 0 }
  }
}

/**
 * Thins a monotone curve for plotting: keeps the ends and every point that
 * moved at least `step` (in either axis) from the last kept one, so a curve of
 * thousands of thresholds stays a few hundred points with its shape intact.
 */
export function thinCurve(points: [number, number][], step = 0.004): [number, number][] {
  if (points.length <= 2) return points
  const out: [number, number][] = [points[0]!]
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i]!
    const last = out[out.length - 1]!
    if (Math.abs(p[0] - last[0]) >= step || Math.abs(p[1] - last[1]) >= step) out.push(p)
  }
  out.push(points[points.length - 1]!)
  return out.map(([x, y]) => [Math.round(x * 1e5) / 1e5, Math.round(y * 1e5) / 1e5])
}

function curves(c: any): CurvesView {
  const perClass: ClassCurvesView[] = (c?.perClass ?? []).map((k: any) => ({
    label: k.label,
    positives: k.positives,
    negatives: k.negatives,
    rocAuc: num(k.rocAuc),
    averagePrecision: num(k.averagePrecision),
    roc: thinCurve((k.roc ?? []).map((p: any) => [p.fpr, p.tpr] as [number, number])),
    pr: thinCurve((k.pr ?? []).map((p: any) => [p.recall, p.precision] as [number, number]))
  }))
  return { perClass, macroRocAuc: num(c?.macroRocAuc), macroAveragePrecision: num(c?.macroAveragePrecision) }
}

export function runReport(db: Db, id: number): RunReport {
  const r = getRun(db, id)
  if (!r) throw notFound(`run ${id}`)
  const m = r.metrics as any
  const classCounts: Record<string, number> = {}
  for (const im of runImages(db, id)) if (im.class !== null) classCounts[im.class] = (classCounts[im.class] ?? 0) + 1
  const folds: FoldView[] = runFolds(db, id).map((f) => {
    const rec = f.metrics as any
    const acc = num(rec?.report?.accuracy) ?? num(rec?.validation?.accuracy)
    return {
      fold: f.fold,
      status: f.status,
      epochsDone: f.epochsDone,
      modelId: f.modelId,
      accuracy: acc,
      trainCells: typeof rec?.trainCells === 'number' ? rec.trainCells : null,
      testCells: Array.isArray(rec?.truth) ? rec.truth.length : null,
      seconds: f.seconds
    }
  })
  let crossval: RunReport['crossval'] = null
  if ((r.kind === 'crossval' || r.kind === 'finetune') && m?.table10 && m?.overall) {
    const overall = classification(m.overall)
    if (overall) {
      const table10: Table10View = {
        classes: m.table10.classes ?? r.classes,
        folds: (m.folds ?? []).map((f: { fold: number }) => f.fold),
        rows: m.table10.rows,
        mean: m.table10.mean,
        overall: m.table10.overall
      }
      crossval = { k: m.k ?? folds.length, table10, overall, curves: curves(m.curves) }
    }
  }
  const { configKey: _k, ...settings } = r.hyperparameters
  return {
    run: runListItem(db, r),
    classes: r.classes,
    seed: r.seed,
    settings,
    error: r.error,
    classCounts,
    epochs: runEpochs(db, id).map((e) => ({
      fold: e.fold,
      epoch: e.epoch,
      trainLoss: e.trainLoss,
      trainAccuracy: e.trainAccuracy,
      valAccuracy: e.valAccuracy,
      valMacroF1: e.valMacroF1,
      learningRate: e.learningRate,
      seconds: e.seconds,
      imagesPerSecond: e.imagesPerSecond
    })),
    folds,
    crossval,
    validation: r.kind === 'train' ? classification(m?.validation) : null,
    modelIds: listModels(db, { runId: id }).map((x) => x.id),
    transfer: r.kind === 'crossval' || r.kind === 'finetune' ? transferComparison(db, r) : null
  }
}

export function modelHandlers(ctx: Pick<ApiContext, 'db' | 'jobs'>): Pick<Handlers, ModelMethod> {
  /** One training at a time: two would halve each other's speed on a workstation's cores. */
  function refuseIfTraining(): void {
    const busy = ctx.jobs.list().find((j) => j.state === 'running' && (j.kind === 'train' || j.kind === 'crossval' || j.kind === 'transfer' || j.kind === 'calibrate'))
    const what = { train: 'training', crossval: 'cross-validation', transfer: 'transfer-learning', calibrate: 'calibration' } as Record<string, string>
    if (busy) throw new ApiFailure('conflict', `a ${what[busy.kind]} job is already running (${busy.title}); wait for it or cancel it`)
  }
  function dataset(name: string): void {
    if (!getDatasetByName(ctx.db, name)) throw notFound(`dataset "${name}"`)
  }
  function dropoutOff(p: { epochs: number; dropoutOffEpochs: number }): string {
    if (p.dropoutOffEpochs > p.epochs) throw new ApiFailure('invalid_input', `dropout-off epochs (${p.dropoutOffEpochs}) cannot exceed the epochs (${p.epochs})`)
    return p.dropoutOffEpochs > 0 ? `, the last ${p.dropoutOffEpochs} with dropout off` : ''
  }
  /** The recipe choices that differ from the paper's plain run, for the job's title. */
  function recipe(p: { schedule: string; balance: string; augment: boolean }): string {
    const parts = [p.schedule === 'cosine' ? 'cosine lr' : '', p.balance === 'sampler' ? 'class-balanced sampler' : p.balance === 'weights' ? 'class-weighted loss' : '', p.augment ? 'flips/rotations' : '']
    const said = parts.filter(Boolean)
    return said.length ? ` (${said.join(', ')})` : ''
  }
  return {
    'models.list': () => listModels(ctx.db).map(modelSummary).reverse(),
    'models.setDefault': ({ id }) => {
      if (!getModel(ctx.db, id)) throw notFound(`model ${id}`)
      setDefaultModel(ctx.db, id)
      return modelSummary(getModel(ctx.db, id)!)
    },
    'models.calibrate': (p) => {
      const m = getModel(ctx.db, p.id)
      if (!m) throw notFound(`model ${p.id}`)
      for (const d of [p.other, p.fit, p.wbc]) if (d !== undefined) dataset(d)
      if (p.fit === undefined) {
        // Without datasets the model's own training run must have held cells out.
        const held = m.runId === null ? [] : runImages(ctx.db, m.runId).filter((i) => i.role === 'validation' || i.role === 'test')
        if (!held.length) {
          throw new ApiFailure('invalid_input', `model ${m.id} has no training run with held-out cells here: choose the dataset it was trained on and one of real WBCs it did not train on`)
        }
      }
      refuseIfTraining()
      const job = ctx.jobs.start('calibrate', `Calibrate Unidentified routing of ${m.name} against ${p.other} (at most ${(p.target * 100).toFixed(1)}% of WBCs)`, p)
      return { jobId: job.id }
    },
    'runs.list': () => {
      const names = datasetNames(ctx.db)
      return listRuns(ctx.db).map((r) => runListItem(ctx.db, r, names)).reverse()
    },
    'runs.get': ({ id }) => runReport(ctx.db, id),
    'train.start': (p) => {
      const off = dropoutOff(p)
      dataset(p.dataset)
      refuseIfTraining()
      const inputSize = p.inputSize ?? DEFAULT_ARCHITECTURE_INPUT[p.architecture]
      const title = `Train ${ARCHITECTURE_LABELS[p.architecture]} ${inputSize} px, ${p.epochs} epoch${p.epochs === 1 ? '' : 's'}${off}${recipe(p)} on ${p.dataset}`
      const job = ctx.jobs.start('train', title, { ...p, inputSize })
      return { jobId: job.id }
    },
    'transfer.start': (p) => {
      const off = dropoutOff(p)
      const base = getModel(ctx.db, p.baseModelId)
      if (!base) throw notFound(`model ${p.baseModelId}`)
      if (!(MODEL_ARCHITECTURES as readonly string[]).includes(base.architecture)) {
        throw new ApiFailure('invalid_input', `model ${base.id} is a ${base.architecture} network, which the workstation cannot retrain`)
      }
      dataset(p.dataset)
      refuseIfTraining()
      const arch = ARCHITECTURE_LABELS[base.architecture as ModelArchitecture]
      const title = `Transfer from ${base.name} (${arch} ${base.inputSize} px): scratch vs fine-tune ${p.modes.join(' / ')}, ${p.folds}-fold, ${p.epochs} epoch${p.epochs === 1 ? '' : 's'}${off}${recipe(p)} on ${p.dataset}`
      const job = ctx.jobs.start('transfer', title, p)
      return { jobId: job.id }
    },
    'crossval.start': (p) => {
      const off = dropoutOff(p)
      dataset(p.dataset)
      refuseIfTraining()
      const inputSize = p.inputSize ?? DEFAULT_ARCHITECTURE_INPUT[p.architecture]
      const title = `${p.folds}-fold cross-validation of ${ARCHITECTURE_LABELS[p.architecture]} ${inputSize} px, ${p.epochs} epoch${p.epochs === 1 ? '' : 's'}${off}${recipe(p)} on ${p.dataset}`
      const job = ctx.jobs.start('crossval', title, { ...p, inputSize })
      return { jobId: job.id }
    }
  }
}
