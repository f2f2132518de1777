// Classifying cells with a chosen model: a slide, a dataset or some images,
// in batches, storing per cell the five class probabilities, the top class
// and its confidence, and (when the model is calibrated) the out-of-
// distribution score and whether the cell is routed to Unidentified. Also the
// calibration itself: measuring how well each score separates non-WBC objects
// from real WBCs and storing the chosen score and threshold with the model.
import type { Db } from '../../store/db'
import { getModel, getModelBlob, putModelBlob, putPredictions, setModelCalibration, type NewPrediction } from '../../store/models'
import { runImages } from '../../store/runs'
import { activeBackend, initBackend } from '../model/tfjs-backend'
import type { Classifier, ClassifierOutput } from './classifier'
import { loadStoreCells, selectCells, type CellSelection, type StoredCell } from '../data/stored-cells'
import { loadStoredClassifier, resolveStoredModel, storedArtifacts } from '../model/registry'
import { defaultInferenceWorkers, predictInPool, warmInference, type OnnxSource } from './inference-pool'
import { tryOnnxGraph } from './onnx-runtime'
import {
  detectorFromBytes,
  detectorToBytes,
  energyScores,
  fitLogisticDetector,
  fitMahalanobis,
  logisticScores,
  OOD_SCORE_KINDS,
  type LogisticDetector,
  mahalanobisScores,
  measureSeparation,
  mspScores,
  statsFromBytes,
  statsToBytes,
  type MahalanobisStats,
  type OodCalibration,
  type OodScoreKind,
  type ScoreMeasurement
} from '../ood/ood-scores'
import type { ProgressListener } from '../../../shared/progress'
import { seededShuffle } from '../../stats/random'
import { chooseReviewRouting, REVIEW_TARGET, type ReviewRouting } from '../ood/review-routing'

export const UNIDENTIFIED = 'unidentified'

export interface ClassifyOptions extends CellSelection {
  /** Stored model id or name, or a model folder; default: the default model (the shipped one on first use). */
  model?: string | number
  batchSize?: number
  /**
   * Worker threads for the forward passes (default: one per core, at most 4,
   * for 32 cells or more; 0 = this thread). The pool stays warm between calls.
   */
  workers?: number
  /** Store the predictions (default true). */
  store?: boolean
  signal?: AbortSignal
  onProgress?: ProgressListener
}

export interface CellPrediction {
  imageId: number
  probabilities: Record<string, number>
  topClass: string
  confidence: number
  oodScore: number | null
  unidentified: boolean | null
}

export interface ClassifyResult {
  modelId: number
  /** What ran the forward passes: the pool's engine ('onnxruntime', 'wasm' ...) or this thread's TensorFlow.js backend. */
  backend: string
  /** Why ONNX Runtime was not used by the worker pool, when it was not. */
  onnxSkipped?: string
  cells: number
  /** Cells per top class, and per 'unidentified' when the model is calibrated. */
  counts: Record<string, number>
  seconds: { pixels: number; inference: number; store: number; total: number }
  /** Inference only (forward passes and scores). */
  cellsPerSecond: number
  predictions: CellPrediction[]
}

export interface OodModelData {
  stats?: MahalanobisStats
  detector?: LogisticDetector
}

/** The model's calibration and the data its score needs. */
export function modelCalibration(db: Db, modelId: number): ({ calibration: OodCalibration } & OodModelData) | undefined {
  const m = getModel(db, modelId)
  const cal = m?.calibration as OodCalibration | null | undefined
  if (!cal) return undefined
  if (cal.score === 'mahalanobis') {
    const blob = getModelBlob(db, modelId, 'mahalanobis')
    if (!blob) throw new Error(`model ${modelId} is calibrated on Mahalanobis distances but has no feature statistics`)
    return { calibration: cal, stats: statsFromBytes(blob) }
  }
  if (cal.score === 'outlier-exposure') {
    const blob = getModelBlob(db, modelId, 'outlier-exposure')
    if (!blob) throw new Error(`model ${modelId} is calibrated on an outlier-exposure detector it does not have`)
    return { calibration: cal, detector: detectorFromBytes(blob) }
  }
  return { calibration: cal }
}

/** What a forward pass must return for a score kind. */
export function outputsNeeded(kind: OodScoreKind | undefined): { features: boolean; convStats: boolean } {
  return { features: kind === 'energy' || kind === 'mahalanobis', convStats: kind === 'outlier-exposure' }
}

/** Out-of-distribution scores of one kind from a classifier's output. */
export function scoresOf(kind: OodScoreKind, out: ClassifierOutput, n: number, C: number, data: OodModelData = {}): Float64Array {
  if (kind === 'msp') return mspScores(out.probabilities, n, C)
  if (kind === 'energy') {
    if (!out.logits) throw new Error('energy scores need logits (a model whose last layer is Dense)')
    return energyScores(out.logits, n, C)
  }
  if (kind === 'outlier-exposure') {
    if (!data.detector || !out.convStats) throw new Error('outlier-exposure scores need the fitted detector and convolution statistics')
    return logisticScores(data.detector, out.convStats, n)
  }
  if (!data.stats || !out.features) throw new Error('Mahalanobis scores need feature statistics')
  return mahalanobisScores(data.stats, out.features, n)
}

/** The inference pool's key for a stored model (the warm inference service keeps the models by it). */
export function poolKey(db: Db, modelId: number): string {
  return `${db.name}#${modelId}`
}

/**
 * The model is loaded here already: its ONNX graph is written once for the
 * pool's workers (only when they lack the model). A W-Net's with 8-bit
 * integer dense layers: a fifth less CPU per cell, and on both shipped
 * W-Nets' held-out cells (and the five-class one's non-WBC objects) every
 * call, routing and group the same as the float32 graph's
 * (docs/ml-results.md, "Inference speed"). Other architectures, not
 * measured so, keep float32.
 */
function onnxSourceOf(clf: Classifier): OnnxSource {
  return () => {
    const { graph } = tryOnnxGraph(clf.model, { kernels: clf.meta.architecture === 'wnet' ? 'integer' : 'float' })
    return graph ? { graph, meta: clf.meta } : undefined
  }
}

/**
 * Loads a stored model here and into the inference pool's threads, so the
 * next classification with it starts at once (the warm inference service,
 * when the default model changes).
 */
export async function warmClassifier(db: Db, modelId: number, workers = defaultInferenceWorkers()): Promise<void> {
  const clf = await loadStoredClassifier(db, modelId)
  await warmInference(poolKey(db, modelId), () => storedArtifacts(db, modelId), workers, onnxSourceOf(clf))
}

/** Classifies the selected cells and (by default) stores the predictions. */
export async function classifyCells(db: Db, o: ClassifyOptions): Promise<ClassifyResult> {
  const t0 = performance.now()
  const modelId = typeof o.model === 'number' ? o.model : await resolveStoredModel(db, o.model)
  const clf = await loadStoredClassifier(db, modelId)
  const cal = modelCalibration(db, modelId)
  const cells = selectCells(db, o)
  // Shared memory: the pool's workers read the pixels where they are, without a copy each.
  const set = await loadStoreCells(db, cells, { size: clf.inputSize, classes: clf.classes, shared: true, signal: o.signal })
  const t1 = performance.now()
  const C = clf.numClasses
  const B = o.batchSize ?? 64
  const n = cells.length
  const probabilities = new Float32Array(n * C)
  const need = outputsNeeded(cal?.calibration.score)
  const features = need.features ? new Float32Array(n * clf.featureSize) : undefined
  const logits = need.features ? new Float32Array(n * C) : undefined
  const convStats = need.convStats ? new Float32Array(n * clf.convStatsSize) : undefined
  const per = clf.inputSize * clf.inputSize * 3
  const workers = o.workers ?? (n >= 32 ? defaultInferenceWorkers() : 0)
  // Chunks so progress and cancel stay responsive on big datasets.
  const chunk = workers > 0 ? Math.max(B * workers, 1024) : B * 4
  let engine: string | undefined
  let onnxSkipped: string | undefined
  const onnxSource = onnxSourceOf(clf)
  for (let start = 0; start < n; start += chunk) {
    if (o.signal?.aborted) throw new Error('classification cancelled')
    const count = Math.min(chunk, n - start)
    const px = set.pixels.subarray(start * per, (start + count) * per)
    const out =
      workers > 0
        ? await predictInPool(poolKey(db, modelId), () => storedArtifacts(db, modelId), px, per, C, { workers, batchSize: B, ...need, onnx: onnxSource })
        : clf.predict(px, { batchSize: B, ...need })
    engine ??= out.engine
    onnxSkipped ??= out.onnxSkipped
    probabilities.set(out.probabilities, start * C)
    if (features && out.features) features.set(out.features, start * clf.featureSize)
    if (logits && out.logits) logits.set(out.logits, start * C)
    if (convStats && out.convStats) convStats.set(out.convStats, start * clf.convStatsSize)
    o.onProgress?.({ task: 'classify', done: start + count, total: n, unit: 'cell' })
  }
  const scores = cal ? scoresOf(cal.calibration.score, { probabilities, features, logits, featureSize: clf.featureSize, convStats }, n, C, cal) : undefined
  const t2 = performance.now()
  const counts: Record<string, number> = {}
  const predictions: CellPrediction[] = cells.map((c, i) => {
    let top = 0
    for (let k = 1; k < C; k++) if (probabilities[i * C + k] > probabilities[i * C + top]) top = k
    const unidentified = scores ? scores[i] > cal!.calibration.threshold : null
    const topClass = clf.classes[top]
    const key = unidentified ? UNIDENTIFIED : topClass
    counts[key] = (counts[key] ?? 0) + 1
    return {
      imageId: c.imageId,
      probabilities: Object.fromEntries(clf.classes.map((name, k) => [name, probabilities[i * C + k]])),
      topClass,
      confidence: probabilities[i * C + top],
      oodScore: scores ? scores[i] : null,
      unidentified
    }
  })
  if (o.store ?? true) putPredictions(db, predictions.map((p): NewPrediction => ({ ...p, modelId })))
  const t3 = performance.now()
  return {
    modelId,
    backend: engine ?? activeBackend()?.name ?? (await initBackend()).name,
    ...(onnxSkipped ? { onnxSkipped } : {}),
    cells: n,
    counts,
    seconds: { pixels: (t1 - t0) / 1000, inference: (t2 - t1) / 1000, store: (t3 - t2) / 1000, total: (t3 - t0) / 1000 },
    cellsPerSecond: n / Math.max(1e-9, (t2 - t1) / 1000),
    predictions
  }
}

export interface CalibrateOptions {
  model?: string | number
  /** Training cells of the model (features for the Mahalanobis statistics and the detector's WBC side). */
  fit: CellSelection | StoredCell[]
  /** Real WBCs the model did not train on. */
  wbc: CellSelection | StoredCell[]
  /** Non-WBC objects (the cells' labels name their class: ig, erythroblast, platelet ...). */
  other: CellSelection | StoredCell[]
  /** Share of the non-WBC objects shown to the outlier-exposure detector (default 0.5; 0: no detector). The rest is what all scores are measured on. */
  exposureShare?: number
  /** Share of real WBCs the threshold may route to Unidentified (default 0.05). */
  targetWbcRate?: number
  /** Score to use; default: the one flagging the most non-WBC objects at the target rate (with `review`: the one the review choice picks). */
  score?: OodScoreKind
  /**
   * Choose the detector threshold and the review's default confidence
   * threshold together, as the reviewer sees them (ood/review-routing.ts):
   * at most maxWbcRate of the held-out WBCs in Unidentified while keeping the
   * most non-WBC objects out of the WBC groups. The chosen pair becomes the
   * calibration's score and threshold and its `review`. Default on, with
   * REVIEW_TARGET; false keeps the detector at targetWbcRate alone.
   */
  review?: { maxWbcRate: number; minOtherRate: number } | false
  batchSize?: number
  seed?: number
  onProgress?: ProgressListener
  signal?: AbortSignal
}

export interface CalibrateResult {
  modelId: number
  chosen: OodScoreKind
  calibration: OodCalibration
}

async function outputsFor(db: Db, clf: Classifier, sel: CellSelection | StoredCell[], batchSize: number, signal?: AbortSignal) {
  const cells = Array.isArray(sel) ? sel : selectCells(db, sel)
  const set = await loadStoreCells(db, cells, { size: clf.inputSize, classes: clf.classes, shared: false, signal })
  const out = clf.predict(set.pixels, { batchSize, features: true, convStats: true })
  return { cells, labels: set.labels, out }
}

function pickRows(values: Float32Array, dim: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * dim)
  rows.forEach((r, i) => out.set(values.subarray(r * dim, (r + 1) * dim), i * dim))
  return out
}

/**
 * A training run's cells for calibrating its model: the cells it trained on
 * (feature statistics, the detector's WBC side) and the ones it held out
 * (the real WBCs the routing is measured on).
 */
export function calibrationCellsOfRun(db: Db, runId: number): { fit: StoredCell[]; wbc: StoredCell[] } {
  const images = runImages(db, runId)
  if (!images.length) throw new Error(`run ${runId} has no images`)
  const fit = images.filter((i) => i.role === 'train')
  const wbc = images.filter((i) => i.role === 'validation' || i.role === 'test')
  if (!wbc.length) throw new Error(`run ${runId} held no cells out: name a dataset of the model's training cells and one of real WBCs it did not train on`)
  return { fit, wbc }
}

/**
 * Measures every score on held-out WBCs and non-WBC objects (those not shown
 * to the detector), stores the chosen score and threshold (and the data the
 * scores need) with the model, and returns the measurements for the model card.
 */
export async function calibrateOod(db: Db, o: CalibrateOptions): Promise<CalibrateResult> {
  const modelId = typeof o.model === 'number' ? o.model : await resolveStoredModel(db, o.model)
  const clf = await loadStoredClassifier(db, modelId)
  const B = o.batchSize ?? 64
  const C = clf.numClasses
  const seed = o.seed ?? 1
  const step = (message: string, done: number) => o.onProgress?.({ task: 'calibrate', done, total: 5, unit: 'step', message })
  step('features of training cells', 0)
  const fit = await outputsFor(db, clf, o.fit, B, o.signal)
  const keep = Array.from(fit.labels).map((l, i) => (l >= 0 ? i : -1)).filter((i) => i >= 0)
  const F = clf.featureSize
  const K = clf.convStatsSize
  step('scoring held-out WBCs', 1)
  const wbc = await outputsFor(db, clf, o.wbc, B, o.signal)
  step('scoring non-WBC objects', 2)
  const other = await outputsFor(db, clf, o.other, B, o.signal)
  step('fitting feature statistics and the detector', 3)
  const stats = fitMahalanobis(pickRows(fit.out.features!, F, keep), keep.map((i) => fit.labels[i]), C, F)
  // Non-WBC objects split (seeded, per class) into those shown to the detector and those every score is measured on.
  // Objects of a class the model has (the eight-class model's ig, erythroblast, platelet) are
  // in its distribution: never shown to the detector as outliers, all measured.
  const share = o.exposureShare ?? 0.5
  const exposure: number[] = []
  const measured: number[] = []
  const byClass = new Map<string, number[]>()
  other.cells.forEach((c, i) => byClass.set(c.class ?? '', [...(byClass.get(c.class ?? '') ?? []), i]))
  for (const [, idx] of [...byClass.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const order = seededShuffle(idx, seed + 17)
    const ownClass = other.labels[idx[0]!]! >= 0
    const cut = ownClass ? 0 : Math.round(order.length * share)
    exposure.push(...order.slice(0, cut))
    measured.push(...order.slice(cut))
  }
  measured.sort((a, b) => a - b)
  const detector =
    exposure.length > 0 && K > 0
      ? fitLogisticDetector(pickRows(fit.out.convStats!, K, keep), keep.length, pickRows(other.out.convStats!, K, exposure), exposure.length, K)
      : undefined
  const data: OodModelData = { stats, detector }
  const nO = measured.length
  const otherOut: ClassifierOutput = {
    probabilities: pickRows(other.out.probabilities, C, measured),
    features: pickRows(other.out.features!, F, measured),
    logits: other.out.logits ? pickRows(other.out.logits, C, measured) : undefined,
    convStats: pickRows(other.out.convStats!, K, measured),
    featureSize: F
  }
  let results: ScoreMeasurement[] = []
  const scored: { kind: OodScoreKind; wbc: Float64Array; other: Float64Array }[] = []
  const measuredClasses = measured.map((i) => other.cells[i].class ?? '')
  for (const kind of OOD_SCORE_KINDS) {
    if (kind === 'energy' && !wbc.out.logits) continue
    if (kind === 'outlier-exposure' && !detector) continue
    const sIn = scoresOf(kind, wbc.out, wbc.cells.length, C, data)
    const sOut = scoresOf(kind, otherOut, nO, C, data)
    scored.push({ kind, wbc: sIn, other: sOut })
    results.push(measureSeparation(kind, sIn, sOut, measuredClasses, { targetWbcRate: o.targetWbcRate, seed }))
  }
  let best = o.score ? results.find((m) => m.score === o.score) : results.reduce((a, b) => (b.otherFlagged > a.otherFlagged ? b : a))
  if (!best) throw new Error(`score ${o.score} could not be measured for this model`)
  let review: ReviewRouting | undefined
  if (o.review !== false) {
    const confidence = (probs: Float32Array, n: number) => Float64Array.from({ length: n }, (_, i) => Math.max(...probs.subarray(i * C, (i + 1) * C)))
    const argmax = (probs: Float32Array, i: number) => {
      let b = 0
      for (let c = 1; c < C; c++) if (probs[i * C + c]! > probs[i * C + b]!) b = c
      return b
    }
    review = chooseReviewRouting({
      scores: scored.filter((m) => !o.score || m.kind === o.score),
      wbcConfidence: confidence(wbc.out.probabilities, wbc.cells.length),
      otherConfidence: confidence(otherOut.probabilities, nO),
      otherOwnClass: Uint8Array.from(measured, (i, k) => (other.labels[i]! >= 0 && argmax(otherOut.probabilities, k) === other.labels[i] ? 1 : 0)),
      otherClasses: measured.map((i) => other.cells[i]!.class ?? ''),
      seed,
      ...(o.review ?? { maxWbcRate: o.targetWbcRate ?? REVIEW_TARGET.maxWbcRate, minOtherRate: REVIEW_TARGET.minOtherRate })
    })
    // Every score's figures at the detector share the review choice set, so the card's table and the chosen row agree.
    const target = review.detectorWbcTarget
    results = scored.map((m) => measureSeparation(m.kind, m.wbc, m.other, measuredClasses, { targetWbcRate: target, seed }))
    best = results.find((m) => m.score === review!.score)!
  }
  const calibration: OodCalibration = {
    score: best.score,
    threshold: review ? review.detectorThreshold : best.threshold,
    targetWbcRate: review ? review.detectorWbcTarget : (o.targetWbcRate ?? 0.05),
    ...(review ? { review } : {}),
    measured: results,
    wbcCells: wbc.cells.length,
    otherCells: nO,
    exposureCells: detector ? exposure.length : 0,
    fitCells: keep.length,
    createdAt: new Date().toISOString()
  }
  db.transaction(() => {
    putModelBlob(db, modelId, 'mahalanobis', statsToBytes(stats))
    if (detector) putModelBlob(db, modelId, 'outlier-exposure', detectorToBytes(detector))
    setModelCalibration(db, modelId, calibration)
  })()
  step('done', 5)
  return { modelId, chosen: best.score, calibration }
}

/** The separation figures as a Markdown table (model card). */
export function formatSeparationTable(cal: OodCalibration): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`
  const lines = [
    `| score | threshold | WBCs routed to Unidentified | non-WBC objects routed | ROC AUC |`,
    `|---|---|---|---|---|`
  ]
  for (const m of cal.measured) {
    lines.push(`| ${m.score}${m.score === cal.score ? ' (default)' : ''} | ${m.score === 'msp' ? `confidence < ${(1 - m.threshold).toFixed(3)}` : `score > ${m.threshold.toFixed(3)}`} | ${pct(m.wbcFlagged)} | ${pct(m.otherFlagged)} (${Object.entries(m.otherFlaggedByClass).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}) | ${m.auc.toFixed(3)} |`)
  }
  lines.push('')
  lines.push('Trade-off across thresholds (report half; threshold set on the calibration half to flag the given share of its WBCs):')
  lines.push('')
  lines.push(`| score | WBCs flagged (target) | WBCs flagged | non-WBC flagged |`)
  lines.push(`|---|---|---|---|`)
  const rates = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3]
  for (const m of cal.measured) m.table.forEach((row, i) => lines.push(`| ${m.score} | ${pct(rates[i] ?? NaN)} | ${pct(row.wbcFlagged)} | ${pct(row.otherFlagged)} |`))
  return lines.join('\n')
}
