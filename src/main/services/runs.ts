// The runs service: training, cross-validation, fine-tuning and evaluation
// runs as list rows and as one report in the paper's terms (settings, folds,
// epochs, Table 10, confusion matrix, curves, the transfer comparison). The
// Models screen (`runs.get`) and `wbc runs show` read this same report.
// Reads go straight to the store, so listing runs never loads TensorFlow.js.
//
// The metrics a run stored are JSON written by the ML core over several
// versions; they are read here field by field, each checked, so an older or
// partial record gives nulls rather than a broken report.
import type {
  ClassCurvesView,
  ClassificationView,
  CurvesView,
  FoldView,
  RunListItem,
  RunReport,
  Table10View
} from '../../shared/models'
import { notFound } from '../errors'
import { listDatasets, type Db } from '../store'
import { listModels } from '../store/models'
import { getRun, listRuns, runEpochs, runFolds, runImages, type RunRow } from '../store/runs'
import { summarizeRun } from '../stats/run-summary'
import { transferComparison } from '../stats/transfer-comparison'

/** A stored JSON value, read field by field. */
type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const field = (v: unknown, key: string): unknown => (isObject(v) ? v[key] : undefined)
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

function datasetNames(db: Db): Map<number, string> {
  return new Map(listDatasets(db).map((d) => [d.id, d.name]))
}

export function runListItem(db: Db, r: RunRow, names = datasetNames(db)): RunListItem {
  const { seed: _seed, ...summary } = summarizeRun(db, r)
  return { ...summary, datasetName: r.datasetId === null ? null : (names.get(r.datasetId) ?? null) }
}

/** Every run, newest first. */
export function runList(db: Db): RunListItem[] {
  const names = datasetNames(db)
  return listRuns(db).map((r) => runListItem(db, r, names)).reverse()
}

/** A stored classification report (confusion matrix, per-class figures) as the view, or null when it is not one. */
function classification(r: unknown): ClassificationView | null {
  if (!isObject(r) || !Array.isArray(r.confusion) || !Array.isArray(r.perClass)) return null
  const perClass = r.perClass.filter(isObject)
  const macro = field(r, 'macro')
  return {
    classes: Array.isArray(r.classes) ? r.classes.map(str) : perClass.map((c) => str(c.label)),
    confusion: r.confusion as number[][],
    total: num(r.total) ?? 0,
    accuracy: num(r.accuracy),
    // The ML core writes these as numbers; they pass as they are.
    perClass: perClass.map((c) => ({ label: str(c.label), precision: c.precision as number, recall: c.recall as number, f1: c.f1 as number, support: c.support as number })),
    macro: isObject(macro) ? (macro as ClassificationView['macro']) : { precision: 0, recall: 0, f1: 0 }
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

function curves(c: unknown): CurvesView {
  const points = (v: unknown, x: string, y: string): [number, number][] => list(v).map((p) => [num(field(p, x)) ?? 0, num(field(p, y)) ?? 0])
  const perClass: ClassCurvesView[] = list(field(c, 'perClass'))
    .filter(isObject)
    .map((k) => ({
      label: str(k.label),
      positives: num(k.positives) ?? 0,
      negatives: num(k.negatives) ?? 0,
      rocAuc: num(k.rocAuc),
      averagePrecision: num(k.averagePrecision),
      roc: thinCurve(points(k.roc, 'fpr', 'tpr')),
      pr: thinCurve(points(k.pr, 'recall', 'precision'))
    }))
  return { perClass, macroRocAuc: num(field(c, 'macroRocAuc')), macroAveragePrecision: num(field(c, 'macroAveragePrecision')) }
}

/** A fold's accuracy: its test report's (cross-validation), else its validation's (a training run's one fold). */
function foldAccuracy(metrics: unknown): number | null {
  return num(field(field(metrics, 'report'), 'accuracy')) ?? num(field(field(metrics, 'validation'), 'accuracy'))
}

/** One run's report (the Models screen's run view, `wbc runs show`). */
export function runReport(db: Db, id: number): RunReport {
  const r = getRun(db, id)
  if (!r) throw notFound(`run ${id}`)
  const m: unknown = r.metrics
  const classCounts: Record<string, number> = {}
  for (const im of runImages(db, id)) if (im.class !== null) classCounts[im.class] = (classCounts[im.class] ?? 0) + 1
  const folds: FoldView[] = runFolds(db, id).map((f) => {
    const truth = field(f.metrics, 'truth')
    return {
      fold: f.fold,
      status: f.status,
      epochsDone: f.epochsDone,
      modelId: f.modelId,
      accuracy: foldAccuracy(f.metrics),
      trainCells: num(field(f.metrics, 'trainCells')),
      testCells: Array.isArray(truth) ? truth.length : null,
      seconds: f.seconds
    }
  })
  let crossval: RunReport['crossval'] = null
  const t10 = field(m, 'table10')
  if ((r.kind === 'crossval' || r.kind === 'finetune') && isObject(t10) && field(m, 'overall')) {
    const overall = classification(field(m, 'overall'))
    if (overall) {
      const table10: Table10View = {
        classes: Array.isArray(t10.classes) ? t10.classes.map(str) : r.classes,
        folds: list(field(m, 'folds')).map((f) => num(field(f, 'fold')) ?? 0),
        rows: t10.rows as Table10View['rows'],
        mean: t10.mean as Table10View['mean'],
        overall: t10.overall as Table10View['overall']
      }
      crossval = { k: num(field(m, 'k')) ?? folds.length, table10, overall, curves: curves(field(m, 'curves')) }
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
    validation: r.kind === 'train' ? classification(field(m, 'validation')) : null,
    modelIds: listModels(db, { runId: id }).map((x) => x.id),
    transfer: r.kind === 'crossval' || r.kind === 'finetune' ? transferComparison(db, r) : null
  }
}
