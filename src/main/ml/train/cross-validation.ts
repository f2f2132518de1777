// Stratified k-fold cross-validation as a stored, resumable run: the folds
// are dealt once (seeded) and stored as a fold plan, each fold trains its own
// model on the other folds and is tested on its own, and the report is the
// paper's: per-fold per-class accuracy (Table 10), overall accuracy, per-class
// precision / recall / F1 with macro means, the confusion matrix, and
// one-vs-rest ROC / PR curves with their AUCs (curve points kept in the run).
//
// Resuming: a finished fold is never trained again (its model and test scores
// are in the database); an unfinished fold resumes from its last epoch's
// checkpoint (kept in the database, unpacked for the training runtime).
// Fine-tuning uses the same machinery with every fold starting from a stored
// model's weights (all layers, or the dense head only).
import type { Db } from '../../store/db'
import {
  addRunImages,
  createFoldPlan,
  createRun,
  ensureRunFolds,
  finishRunFold,
  foldAssignments,
  getFoldPlan,
  getRun,
  runFolds,
  runImages,
  setRunBackend,
  type FoldAssignment,
  type RunKind,
  type RunRow
} from '../../store/runs'
import { getDatasetByName } from '../../store/datasets'
import { putPredictions } from '../../store/models'
import { stratifiedKFold } from '../../stats/folds'
import {
  perFoldClassAccuracy,
  oneVsRestCurves,
  reportFromConfusion,
  type ClassificationReport,
  type CurveReport,
  type PerFoldClassAccuracy
} from '../../stats/metrics'
import { WBC_CLASSES } from '../../../shared/cells'
import type { ProgressListener } from '../../../shared/progress'
import { WNET_RECIPE } from '../../imaging/decode'
import { normalisationMetaOf } from '../data/input-normalisation'
import { ARCHITECTURES, buildModel, DEFAULT_INPUT_SIZE, isArchitecture, type Architecture, type ModelSpec } from '../model/architectures/index'
import { initBackend, type BackendPreference } from '../model/tfjs-backend'
import { Classifier } from '../infer/classifier'
import { loadStoreCells, selectLabelledCells, type StoreCellSet, type StoredCell } from '../data/stored-cells'
import { flattenWeights, layoutOf } from './replica'
import { loadStoredClassifier, saveModel } from '../model/registry'
import { configKey, dropFoldCheckpoint, findRunByKey, foldCheckpointDir } from './run-resume'
import { claimRunSession } from './run-session'
import { DEFAULT_SETTINGS, modelFromWeights, train, TrainingAborted, type TrainSettings } from './trainer'
import type { FineTuneModeName } from '../../../shared/models'

/** Fine-tuning: every layer, or only the dense head (the one list: src/shared/models FINE_TUNE_MODES). */
export type FineTuneMode = FineTuneModeName

export interface CrossvalOptions {
  /** The cells: a dataset by name and/or image ids (not needed to resume `runId`). */
  dataset?: string
  imageIds?: readonly number[]
  /** Class order of the model's outputs (default the five WBC types); cells of other classes are left out. */
  classes?: readonly string[]
  architecture?: Architecture
  /** Input side in pixels (default the architecture's: 128 for W-Net). */
  inputSize?: number
  /** Folds (default 10, as the paper). */
  k?: number
  /** Seed of the fold deal and of each fold's initialisation and batches (default 1). */
  seed?: number
  /** Reuse a stored fold plan (by name) instead of dealing folds: same folds for a fair comparison. */
  foldPlan?: string
  /** Training settings (defaults: the runtime's, i.e. the paper's Adam 1e-4, batch 5). */
  settings?: Partial<Omit<TrainSettings, 'seed'>>
  /** Training worker threads (default 2). */
  workers?: number
  backend?: BackendPreference
  /** Score the test fold after every epoch and record it (monitoring only: nothing is selected on it). Default true. */
  validateEachEpoch?: boolean
  /** Store each fold's model (default true). */
  keepFoldModels?: boolean
  /** Start every fold from a stored model: fine-tuning all layers or only the dense head. */
  init?: { modelId: number; mode: FineTuneMode }
  name?: string
  parentRunId?: number
  /** Resume exactly this run. */
  runId?: number
  /** Start a new run even when an unfinished run with the same settings exists. */
  fresh?: boolean
  /** Folder for the runtime's scratch checkpoints (default under the OS temp folder). */
  checkpointRoot?: string
  signal?: AbortSignal
  onProgress?: ProgressListener
  /** Called with the run id as soon as the run exists. */
  onRun?: (runId: number, resumed: boolean) => void
}

export interface FoldSummary {
  fold: number
  trainCells: number
  testCells: number
  accuracy: number
  epochs: number
  modelId: number | null
  seconds: number
  /** Epochs found already done when this session started the fold (0: fresh). */
  resumedFromEpoch?: number
}

export interface CrossvalReport {
  runId: number
  kind: RunKind
  status: 'done' | 'cancelled'
  backend: string | null
  architecture: string
  inputSize: number
  classes: string[]
  k: number
  seed: number
  foldPlan: string
  settings: TrainSettings | Omit<TrainSettings, 'seed'>
  init?: { modelId: number; mode: FineTuneMode }
  cells: number
  classCounts: Record<string, number>
  folds: FoldSummary[]
  /** The paper's Table 10: per-fold (rows), per-class (columns) accuracy, with means. */
  table10: PerFoldClassAccuracy
  /** Pooled over every fold's test cells. */
  overall: ClassificationReport
  curves: CurveReport
  seconds: number
  /** Folds trained in this call (others were found done). */
  trainedFolds: number[]
}

/** What a finished fold keeps (run_folds.metrics_json). */
export interface FoldRecord {
  report: ClassificationReport
  imageIds: number[]
  truth: number[]
  /** n x C, row-major. */
  scores: number[]
  epochs: number
  trainCells: number
  resumedFromEpoch: number
  /** Where it trained, when not in this process: the worker machine's name, backend and versions. */
  worker?: Record<string, unknown>
}

export interface RunPlan {
  run: RunRow
  cells: StoredCell[]
  folds: number[]
  k: number
  planName: string
  spec: Omit<ModelSpec, 'seed'>
  settings: Omit<TrainSettings, 'seed'>
  init?: { modelId: number; mode: FineTuneMode }
}

function fullSettings(s: Partial<Omit<TrainSettings, 'seed'>> | undefined): Omit<TrainSettings, 'seed'> {
  const { seed: _seed, ...d } = DEFAULT_SETTINGS
  return { ...d, ...s, adam: { ...d.adam, ...s?.adam } }
}

/** Creates the run (or finds the unfinished / finished run with the same settings). */
export function planRun(db: Db, o: CrossvalOptions): { plan: RunPlan; resumed: boolean } {
  const kind: RunKind = o.init ? 'finetune' : 'crossval'
  if (o.runId !== undefined) {
    const run = getRun(db, o.runId)
    if (!run) throw new Error(`no run with id ${o.runId}`)
    if (run.kind !== 'crossval' && run.kind !== 'finetune') throw new Error(`run ${run.id} is a ${run.kind} run, not a cross-validation`)
    return { plan: planFromRun(db, run), resumed: true }
  }
  const classes = o.classes ?? WBC_CLASSES
  const architecture = o.architecture ?? 'wnet'
  if (!isArchitecture(architecture)) throw new Error(`unknown architecture ${architecture} (one of ${ARCHITECTURES.join(', ')})`)
  const inputSize = o.inputSize ?? DEFAULT_INPUT_SIZE[architecture]
  const seed = o.seed ?? 1
  const settings = fullSettings(o.settings)

  let assignments: FoldAssignment[]
  let planName: string
  let k: number
  let planId: number
  let datasetId: number | null = null
  if (o.dataset !== undefined) {
    const ds = getDatasetByName(db, o.dataset)
    if (!ds) throw new Error(`no dataset named "${o.dataset}"`)
    datasetId = ds.id
  }
  if (o.foldPlan !== undefined) {
    const p = getFoldPlan(db, o.foldPlan)
    if (!p) throw new Error(`no fold plan named "${o.foldPlan}"`)
    const wanted = new Set(classes)
    assignments = foldAssignments(db, p.id).filter((a) => wanted.has(a.class))
    planName = p.name
    planId = p.id
    k = p.k
    datasetId ??= p.datasetId
  } else {
    k = o.k ?? 10
    const cells = selectLabelledCells(db, { dataset: o.dataset, imageIds: o.imageIds }, classes) as (StoredCell & { labelId: number; class: string })[]
    if (cells.length < k) throw new Error(`only ${cells.length} labelled cells of the classes ${classes.join(', ')}; need at least k = ${k}`)
    const folds = stratifiedKFold(
      cells.map((c) => c.class),
      { k, seed, ids: cells.map((c) => c.imageId) }
    )
    assignments = cells.map((c, i) => ({ imageId: c.imageId, labelId: c.labelId, class: c.class, fold: folds[i] }))
    const content = configKey(assignments.map((a) => [a.imageId, a.labelId, a.fold]))
    planName = `${o.dataset ?? 'images'}-stratified-k${k}-seed${seed}-${content.slice(0, 10)}`
    const existing = getFoldPlan(db, planName)
    planId = existing ? existing.id : createFoldPlan(db, { name: planName, k, seed, datasetId, assignments })
  }
  if (assignments.length === 0) throw new Error('no cells to cross-validate')

  const key = configKey({
    kind,
    architecture,
    inputSize,
    classes,
    seed,
    settings,
    planName,
    init: o.init ?? null,
    cells: assignments.map((a) => [a.imageId, a.labelId])
  })
  if (!o.fresh) {
    const found = findRunByKey(db, kind, key)
    if (found) return { plan: planFromRun(db, found), resumed: true }
  }
  const runId = db.transaction(() => {
    const id = createRun(db, {
      kind,
      name: o.name ?? '',
      architecture,
      inputSize,
      classes,
      hyperparameters: { ...settings, k, workers: o.workers ?? 2, validateEachEpoch: o.validateEachEpoch ?? true, init: o.init ?? null, keepFoldModels: o.keepFoldModels ?? true, configKey: key },
      seed,
      datasetId,
      foldPlanId: planId,
      baseModelId: o.init?.modelId ?? null,
      parentRunId: o.parentRunId ?? null
    })
    addRunImages(db, id, assignments.map((a) => ({ imageId: a.imageId, labelId: a.labelId, class: a.class, fold: a.fold, role: 'crossval' as const })))
    ensureRunFolds(db, id, k)
    return id
  })()
  return { plan: planFromRun(db, getRun(db, runId)!), resumed: false }
}

export function planFromRun(db: Db, run: RunRow): RunPlan {
  const images = runImages(db, run.id)
  const h = run.hyperparameters as Partial<TrainSettings> & { k?: number; init?: { modelId: number; mode: FineTuneMode } | null }
  const plan = run.foldPlanId !== null ? getFoldPlan(db, run.foldPlanId) : undefined
  const k = h.k ?? plan?.k
  if (!k) throw new Error(`run ${run.id} has no fold count`)
  if (!isArchitecture(run.architecture)) throw new Error(`run ${run.id} uses an unknown architecture ${run.architecture}`)
  return {
    run,
    cells: images.map((im) => ({ imageId: im.imageId, labelId: im.labelId, class: im.class })),
    folds: images.map((im) => im.fold ?? -1),
    k,
    planName: plan?.name ?? '',
    spec: { architecture: run.architecture, inputSize: run.inputSize, numClasses: run.classes.length },
    settings: fullSettings(h as Partial<TrainSettings>),
    init: h.init ?? undefined
  }
}

/** Weight names that stay frozen when only the dense head is fine-tuned (everything outside Dense layers). */
export function headOnlyFrozen(spec: ModelSpec): (weightName: string) => boolean {
  const model = buildModel(spec)
  const trainable = new Set<string>()
  for (const layer of model.layers) if (layer.getClassName() === 'Dense') for (const w of layer.weights) trainable.add(w.originalName)
  model.dispose()
  return (name) => !trainable.has(name)
}

/** The flat weights (runtime layout) of a stored model, checked against the spec it must fit. */
export async function initialWeightsFrom(db: Db, modelId: number, spec: ModelSpec): Promise<Float32Array> {
  const clf = await loadStoredClassifier(db, modelId)
  if (clf.inputSize !== spec.inputSize) throw new Error(`model ${modelId} takes ${clf.inputSize} px cells; this run uses ${spec.inputSize} px`)
  const fresh = buildModel(spec)
  const ours = layoutOf(fresh)
  fresh.dispose()
  const theirs = layoutOf(clf.model)
  const same = ours.total === theirs.total && ours.entries.every((e, i) => e.shape.join('x') === theirs.entries[i]?.shape.join('x'))
  if (!same) throw new Error(`model ${modelId} does not have the ${spec.architecture} layout this run needs`)
  return flattenWeights(clf.model)
}

/**
 * Runs (or resumes) a stratified k-fold cross-validation and returns its
 * report. Cancelling (signal) leaves the run resumable and returns the report
 * of the folds finished so far with status 'cancelled'.
 */
export async function crossValidate(db: Db, o: CrossvalOptions = {}): Promise<CrossvalReport> {
  const { plan, resumed } = planRun(db, o)
  const { run } = plan
  const runId = run.id
  if (run.status === 'done' && run.metrics) {
    o.onRun?.(runId, true)
    return run.metrics as CrossvalReport
  }
  const runSession = claimRunSession(db, run, resumed, o.onRun)
  const trainedFolds: number[] = []
  try {
    const info = await initBackend(o.backend)
    const classes = run.classes
    const cells = await loadStoreCells(db, plan.cells, { size: plan.spec.inputSize, classes, signal: o.signal, onProgress: o.onProgress })
    if (Array.from(cells.labels).some((l) => l < 0)) throw new Error('a cell of this run has a class outside the run\'s classes')
    const settings = plan.settings
    const foldRows = new Map(runFolds(db, runId).map((f) => [f.fold, f]))
    const B = settings.batchSize
    const stepsOf = (f: number) => Math.ceil(plan.folds.filter((x) => x !== f).length / B) * settings.epochs
    const totalSteps = Array.from({ length: plan.k }, (_, f) => stepsOf(f)).reduce((a, b) => a + b, 0)
    let doneSteps = 0
    for (let f = 0; f < plan.k; f++) if (foldRows.get(f)?.status === 'done') doneSteps += stepsOf(f)
    // The ETA uses the steps trained in this session only (resumed epochs cost nothing now).
    const session = { at: Date.now(), trained: 0 }
    const frozen = plan.init?.mode === 'head' ? headOnlyFrozen({ ...plan.spec, seed: run.seed }) : undefined

    for (let f = 0; f < plan.k; f++) {
      if (foldRows.get(f)?.status === 'done') continue
      if (o.signal?.aborted) throw new TrainingAborted()
      const { trainIdx, testIdx } = foldSplit(plan.folds, f)
      const spec: ModelSpec = { ...plan.spec, seed: run.seed * 1000 + f }
      const dir = foldCheckpointDir(db, runId, f, o.checkpointRoot)
      const { resumedFrom, onEpoch } = await runSession.startFold(f, dir)
      const initialWeights = plan.init && resumedFrom === 0 ? await initialWeightsFrom(db, plan.init.modelId, spec) : undefined
      const foldBase = doneSteps
      let foldTrained = 0
      const result = await train({
        spec,
        cells,
        trainIndices: trainIdx,
        validationIndices: o.validateEachEpoch === false ? undefined : testIdx,
        ...settings,
        seed: run.seed * 1000 + f,
        workers: o.workers,
        backend: o.backend,
        checkpointDir: dir,
        initialWeights,
        frozen,
        signal: o.signal,
        task: run.kind,
        onProgress: (p) => {
          // The runtime counts this fold's remaining steps; report the whole run.
          const here = stepsOf(f) - p.total + p.done
          const done = foldBase + here
          const trained = session.trained + p.done
          const rate = trained / Math.max(1e-3, (Date.now() - session.at) / 1000)
          foldTrained = p.done
          o.onProgress?.({
            ...p,
            task: run.kind,
            done,
            total: totalSteps,
            etaSeconds: rate > 0 ? (totalSteps - done) / rate : undefined,
            metrics: { ...p.metrics, fold: f + 1, folds: plan.k },
            message: `fold ${f + 1}/${plan.k}, ${p.message ?? ''}`
          })
        },
        onEpoch
      })
      if (result.backend && !result.backend.startsWith('none')) setRunBackend(db, runId, result.backend)
      else if (!getRun(db, runId)!.backend) setRunBackend(db, runId, info.name)
      doneSteps = foldBase + stepsOf(f)
      session.trained += foldTrained

      // Test the fold's model on its held-out cells, and keep the fold.
      const scored = scoreFold(spec, result.weights, cells, testIdx, classes)
      const record: FoldRecord = { ...scored.record, epochs: settings.epochs, trainCells: trainIdx.length, resumedFromEpoch: resumedFrom }
      await storeFoldResult(db, { runId, fold: f, k: plan.k, spec, classes, model: scored.model, scores: scored.scores, record, keepModel: o.keepFoldModels ?? run.hyperparameters.keepFoldModels !== false })
      scored.model.dispose()
      await dropFoldCheckpoint(db, runId, f, dir)
      trainedFolds.push(f)
      runSession.account()
    }
    return runSession.done(buildReport(db, plan, cells, trainedFolds, 'done', getRun(db, runId)!.backend))
  } catch (err) {
    return runSession.ended(err, (r) => ({ ...buildReport(db, plan, undefined, trainedFolds, 'cancelled', r.backend), seconds: r.seconds }))
  }
}

/** The training and test cells of fold f (test: the cells dealt to f). */
export function foldSplit(folds: readonly number[], f: number): { trainIdx: number[]; testIdx: number[] } {
  const trainIdx: number[] = []
  const testIdx: number[] = []
  folds.forEach((x, i) => (x === f ? testIdx : trainIdx).push(i))
  if (testIdx.length === 0 || trainIdx.length === 0) throw new Error(`fold ${f} has no ${testIdx.length ? 'training' : 'test'} cells`)
  return { trainIdx, testIdx }
}

/** A fold's trained weights scored on its held-out cells: the model (caller disposes), scores and report. */
export function scoreFold(
  spec: ModelSpec,
  weights: Float32Array,
  cells: { pixels: Uint8Array; labels: Int32Array; imageIds: readonly number[] },
  testIdx: readonly number[],
  classes: readonly string[]
): { model: ReturnType<typeof modelFromWeights>; scores: Float32Array; record: Pick<FoldRecord, 'report' | 'imageIds' | 'truth' | 'scores'> } {
  const model = modelFromWeights(spec, weights)
  const clf = new Classifier(model, { architecture: spec.architecture, inputSize: spec.inputSize, classes: [...classes], preprocessRecipe: WNET_RECIPE, ...normalisationMetaOf(spec) })
  const scores = clf.predict(cells.pixels, { indices: [...testIdx] }).probabilities
  const C = classes.length
  const truth = testIdx.map((i) => cells.labels[i])
  const confusion = classes.map(() => new Array<number>(C).fill(0))
  truth.forEach((t, j) => {
    let best = 0
    for (let c = 1; c < C; c++) if (scores[j * C + c] > scores[j * C + best]) best = c
    confusion[t][best]++
  })
  return {
    model,
    scores,
    record: { report: reportFromConfusion(confusion, classes), imageIds: testIdx.map((i) => cells.imageIds[i]), truth, scores: Array.from(scores, (v) => Math.round(v * 1e7) / 1e7) }
  }
}

/** A finished fold into the store: its model (when kept), the predictions on its test cells, its record. */
export async function storeFoldResult(
  db: Db,
  r: { runId: number; fold: number; k: number; spec: ModelSpec; classes: readonly string[]; model: ReturnType<typeof modelFromWeights>; scores: Float32Array; record: FoldRecord; keepModel: boolean }
): Promise<number | null> {
  const { runId, fold: f, classes, record, scores, spec } = r
  const C = classes.length
  let modelId: number | null = null
  if (r.keepModel) {
    modelId = await saveModel(
      db,
      r.model,
      {
        architecture: spec.architecture,
        inputSize: spec.inputSize,
        classes: [...classes],
        preprocessRecipe: WNET_RECIPE,
        ...normalisationMetaOf(spec),
        runId,
        fold: f,
        trainedOn: `${record.trainCells} cells of run ${runId} (all folds but ${f})`
      },
      { name: `run ${runId} fold ${f + 1}/${r.k}`, provenance: 'run', runId, fold: f, metrics: { accuracy: record.report.accuracy, macroF1: record.report.macro.f1 } }
    )
  }
  db.transaction(() => {
    if (modelId !== null && sameClasses(classes)) {
      putPredictions(
        db,
        record.imageIds.map((imageId, j) => {
          const row = Array.from(scores.subarray(j * C, (j + 1) * C))
          const top = row.indexOf(Math.max(...row))
          return { imageId, modelId: modelId!, runId, probabilities: Object.fromEntries(classes.map((c, i) => [c, row[i]])), topClass: classes[top], confidence: row[top] }
        })
      )
    }
    finishRunFold(db, runId, f, { modelId, metrics: record })
  })()
  return modelId
}

function sameClasses(classes: readonly string[]): boolean {
  return classes.length === WBC_CLASSES.length && WBC_CLASSES.every((c) => classes.includes(c))
}

/** The run's report from the finished folds' stored test scores. */
export function buildReport(db: Db, plan: RunPlan, cells: StoreCellSet | undefined, trainedFolds: number[], status: 'done' | 'cancelled', backend: string | null): CrossvalReport {
  const classes = plan.run.classes
  const C = classes.length
  const folds = runFolds(db, plan.run.id)
  const foldPreds: { truth: string[]; predicted: string[] }[] = []
  const pooledTruth: string[] = []
  const pooledProbs: number[][] = []
  const confusion = classes.map(() => new Array<number>(C).fill(0))
  const summaries: FoldSummary[] = []
  for (const f of folds) {
    if (f.status !== 'done' || !f.metrics) continue
    const r = f.metrics as FoldRecord
    const truth: string[] = []
    const predicted: string[] = []
    r.truth.forEach((t, j) => {
      const row = r.scores.slice(j * C, (j + 1) * C)
      const top = row.indexOf(Math.max(...row))
      truth.push(classes[t])
      predicted.push(classes[top])
      pooledTruth.push(classes[t])
      pooledProbs.push(row)
      confusion[t][top]++
    })
    foldPreds.push({ truth, predicted })
    summaries.push({
      fold: f.fold,
      trainCells: r.trainCells,
      testCells: r.truth.length,
      accuracy: r.report.accuracy,
      epochs: r.epochs,
      modelId: f.modelId,
      seconds: f.seconds,
      resumedFromEpoch: r.resumedFromEpoch
    })
  }
  const counts: Record<string, number> = {}
  for (const c of plan.cells) counts[c.class ?? ''] = (counts[c.class ?? ''] ?? 0) + 1
  return {
    runId: plan.run.id,
    kind: plan.run.kind,
    status,
    backend,
    architecture: plan.spec.architecture,
    inputSize: plan.spec.inputSize,
    classes,
    k: plan.k,
    seed: plan.run.seed,
    foldPlan: plan.planName,
    settings: plan.settings,
    ...(plan.init ? { init: plan.init } : {}),
    cells: cells ? cells.cells.length : plan.cells.length,
    classCounts: counts,
    folds: summaries,
    table10: perFoldClassAccuracy(foldPreds, classes),
    overall: reportFromConfusion(confusion, classes),
    curves: oneVsRestCurves(pooledTruth, pooledProbs, classes),
    seconds: 0,
    trainedFolds
  }
}

/** The report as the paper prints it: Table 10 (folds x classes), then overall figures. */
export function formatCrossvalReport(r: CrossvalReport): string {
  const pct = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '   -  ' : `${(v * 100).toFixed(1).padStart(5)}%`)
  const short = r.classes.map((c) => c.slice(0, 10).padStart(11))
  const lines: string[] = []
  lines.push(
    `${r.kind === 'finetune' ? 'Fine-tuning' : 'Cross-validation'} run ${r.runId} (${r.status}): ${r.architecture} at ${r.inputSize} px, ${r.k} folds, seed ${r.seed}, ` +
      `${r.cells} cells, backend ${r.backend ?? '?'}`
  )
  lines.push(`Settings: ${r.settings.epochs} epochs, batch ${r.settings.batchSize}, lr ${r.settings.learningRate}, ${r.settings.schedule.kind} schedule, balance ${r.settings.balance}, augment ${r.settings.augment ? 'on' : 'off'}${r.init ? `; from model ${r.init.modelId} (${r.init.mode === 'head' ? 'dense head only' : 'all layers'})` : ''}`)
  lines.push('')
  lines.push(`Per-fold, per-class accuracy (Table 10):`)
  lines.push(`${'fold'.padEnd(6)}${short.join('')}${'overall'.padStart(11)}`)
  r.table10.rows.forEach((row, i) => {
    lines.push(`${String(r.folds[i]?.fold !== undefined ? r.folds[i].fold + 1 : i + 1).padEnd(6)}${row.map((v) => pct(v).padStart(11)).join('')}${pct(r.table10.overall[i]).padStart(11)}`)
  })
  lines.push(`${'mean'.padEnd(6)}${r.table10.mean.map((v) => pct(v).padStart(11)).join('')}${pct(mean(r.table10.overall)).padStart(11)}`)
  lines.push('')
  lines.push(`Overall accuracy ${pct(r.overall.accuracy).trim()} (${r.overall.total} cells)${r.folds.length < r.k ? `, ${r.folds.length} of ${r.k} folds done` : ''}`)
  lines.push(`${'class'.padEnd(12)}${'precision'.padStart(10)}${'recall'.padStart(10)}${'F1'.padStart(10)}${'n'.padStart(7)}${'ROC AUC'.padStart(10)}${'PR AUC'.padStart(10)}`)
  r.overall.perClass.forEach((m, c) => {
    const cur = r.curves.perClass[c]
    const auc = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(3))
    lines.push(`${m.label.padEnd(12)}${pct(m.precision).padStart(10)}${pct(m.recall).padStart(10)}${pct(m.f1).padStart(10)}${String(m.support).padStart(7)}${auc(cur?.rocAuc).padStart(10)}${auc(cur?.averagePrecision).padStart(10)}`)
  })
  const auc = (v: number | null) => (v === null ? '-' : v.toFixed(3))
  lines.push(`${'macro'.padEnd(12)}${pct(r.overall.macro.precision).padStart(10)}${pct(r.overall.macro.recall).padStart(10)}${pct(r.overall.macro.f1).padStart(10)}${''.padStart(7)}${auc(r.curves.macroRocAuc).padStart(10)}${auc(r.curves.macroAveragePrecision).padStart(10)}`)
  lines.push('')
  lines.push('Confusion matrix (rows: true class, columns: predicted):')
  lines.push(`${''.padEnd(12)}${short.join('')}`)
  r.overall.confusion.forEach((row, c) => lines.push(`${r.classes[c].padEnd(12)}${row.map((v) => String(v).padStart(11)).join('')}`))
  lines.push('')
  lines.push(`Time: ${formatSeconds(r.seconds)} of compute over all sessions; folds trained in this session: ${r.trainedFolds.length ? r.trainedFolds.map((f) => f + 1).join(', ') : 'none'}`)
  return lines.join('\n')
}

function mean(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null)
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null
}

export function formatSeconds(s: number): string {
  if (s < 90) return `${s.toFixed(1)} s`
  if (s < 5400) return `${(s / 60).toFixed(1)} min`
  return `${(s / 3600).toFixed(1)} h`
}
