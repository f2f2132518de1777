// Runs as records: training, cross-validation, fine-tuning and evaluation
// runs with their inputs (hyperparameters, seed, the exact images and label
// versions, folds), progress (per-fold status, per-epoch figures), resumable
// state (checkpoints) and results. Fold plans are stored apart so several runs
// can share the same seeded folds.
import type { Db } from './db'
import { nowIso } from './db'
import { stmt } from './statements'
import { ownerGone } from './live-process'

export type RunKind = 'train' | 'crossval' | 'finetune' | 'evaluate'
export type RunStatus = 'running' | 'done' | 'cancelled' | 'failed' | 'interrupted'
export type RunImageRole = 'train' | 'validation' | 'test' | 'crossval'
export type FoldStatus = 'pending' | 'running' | 'done'

// ---------------------------------------------------------------------------
// Fold plans

export interface FoldAssignment {
  imageId: number
  labelId: number
  class: string
  fold: number
}

export interface FoldPlanRow {
  id: number
  name: string
  k: number
  seed: number
  method: string
  datasetId: number | null
  createdAt: string
}

const PLAN_COLS = 'id, name, k, seed, method, dataset_id AS datasetId, created_at AS createdAt'

export function createFoldPlan(
  db: Db,
  plan: { name: string; k: number; seed: number; method?: string; datasetId?: number | null; assignments: readonly FoldAssignment[] }
): number {
  return db.transaction(() => {
    const id = Number(
      stmt(db, 'INSERT INTO fold_plans (name, k, seed, method, dataset_id, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        plan.name,
        plan.k,
        plan.seed,
        plan.method ?? 'stratified',
        plan.datasetId ?? null,
        nowIso()
      ).lastInsertRowid
    )
    const ins = stmt(db, 'INSERT INTO fold_assignments (plan_id, image_id, label_id, class, fold) VALUES (?, ?, ?, ?, ?)')
    for (const a of plan.assignments) {
      if (!(a.fold >= 0 && a.fold < plan.k)) throw new RangeError(`fold ${a.fold} outside 0..${plan.k - 1}`)
      ins.run(id, a.imageId, a.labelId, a.class, a.fold)
    }
    return id
  }).immediate()
}

export function getFoldPlan(db: Db, idOrName: number | string): FoldPlanRow | undefined {
  return typeof idOrName === 'number'
    ? stmt<[number], FoldPlanRow>(db, `SELECT ${PLAN_COLS} FROM fold_plans WHERE id = ?`).get(idOrName)
    : stmt<[string], FoldPlanRow>(db, `SELECT ${PLAN_COLS} FROM fold_plans WHERE name = ?`).get(idOrName)
}

/** A plan's assignments in image id order. */
export function foldAssignments(db: Db, planId: number): FoldAssignment[] {
  return stmt<[number], FoldAssignment>(
    db,
    'SELECT image_id AS imageId, label_id AS labelId, class, fold FROM fold_assignments WHERE plan_id = ? ORDER BY image_id'
  ).all(planId)
}

// ---------------------------------------------------------------------------
// Runs

export interface NewRun {
  kind: RunKind
  name?: string
  architecture: string
  inputSize: number
  classes: readonly string[]
  hyperparameters?: unknown
  seed: number
  backend?: string | null
  datasetId?: number | null
  foldPlanId?: number | null
  baseModelId?: number | null
  parentRunId?: number | null
}

export interface RunRow {
  id: number
  kind: RunKind
  name: string
  architecture: string
  inputSize: number
  classes: string[]
  hyperparameters: Record<string, unknown>
  seed: number
  backend: string | null
  status: RunStatus
  datasetId: number | null
  foldPlanId: number | null
  baseModelId: number | null
  parentRunId: number | null
  pid: number | null
  startedAt: string
  updatedAt: string
  finishedAt: string | null
  seconds: number
  metrics: unknown
  error: string | null
}

const RUN_COLS = `id, kind, name, architecture, input_size AS inputSize, classes_json AS classesJson, hyperparameters_json AS hyperJson, seed,
  backend, status, dataset_id AS datasetId, fold_plan_id AS foldPlanId, base_model_id AS baseModelId, parent_run_id AS parentRunId, pid,
  started_at AS startedAt, updated_at AS updatedAt, finished_at AS finishedAt, seconds, metrics_json AS metricsJson, error`

type RawRun = Omit<RunRow, 'classes' | 'hyperparameters' | 'metrics'> & { classesJson: string; hyperJson: string; metricsJson: string | null }

function toRun(r: RawRun): RunRow {
  const { classesJson, hyperJson, metricsJson, ...rest } = r
  return {
    ...rest,
    classes: JSON.parse(classesJson) as string[],
    hyperparameters: JSON.parse(hyperJson) as Record<string, unknown>,
    metrics: metricsJson === null ? null : JSON.parse(metricsJson)
  }
}

export function createRun(db: Db, r: NewRun): number {
  const at = nowIso()
  return Number(
    stmt(
      db,
      `INSERT INTO runs (kind, name, architecture, input_size, classes_json, hyperparameters_json, seed, backend, status, dataset_id,
                         fold_plan_id, base_model_id, parent_run_id, pid, started_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)`
    ).run(
      r.kind,
      r.name ?? '',
      r.architecture,
      r.inputSize,
      JSON.stringify(r.classes),
      JSON.stringify(r.hyperparameters ?? {}),
      r.seed,
      r.backend ?? null,
      r.datasetId ?? null,
      r.foldPlanId ?? null,
      r.baseModelId ?? null,
      r.parentRunId ?? null,
      process.pid,
      at,
      at
    ).lastInsertRowid
  )
}

export function getRun(db: Db, id: number): RunRow | undefined {
  const r = stmt<[number], RawRun>(db, `SELECT ${RUN_COLS} FROM runs WHERE id = ?`).get(id)
  return r ? toRun(r) : undefined
}

export function listRuns(db: Db, opts: { kind?: RunKind; parentRunId?: number } = {}): RunRow[] {
  if (opts.parentRunId !== undefined) {
    return stmt<[number], RawRun>(db, `SELECT ${RUN_COLS} FROM runs WHERE parent_run_id = ? ORDER BY id`).all(opts.parentRunId).map(toRun)
  }
  if (opts.kind !== undefined) return stmt<[string], RawRun>(db, `SELECT ${RUN_COLS} FROM runs WHERE kind = ? ORDER BY id`).all(opts.kind).map(toRun)
  return stmt<[], RawRun>(db, `SELECT ${RUN_COLS} FROM runs ORDER BY id`).all().map(toRun)
}

/** Takes over a run in this process (resuming it): status running, this pid. */
export function claimRun(db: Db, id: number): void {
  stmt(db, `UPDATE runs SET status = 'running', pid = ?, updated_at = ?, finished_at = NULL, error = NULL WHERE id = ?`).run(process.pid, nowIso(), id)
}

export function setRunBackend(db: Db, id: number, backend: string): void {
  stmt(db, 'UPDATE runs SET backend = ?, updated_at = ? WHERE id = ?').run(backend, nowIso(), id)
}

/** Adds compute seconds to the run's total (called as work finishes, so a killed run keeps what it spent). */
export function addRunSeconds(db: Db, id: number, seconds: number): void {
  stmt(db, 'UPDATE runs SET seconds = seconds + ?, updated_at = ? WHERE id = ?').run(seconds, nowIso(), id)
}

export function finishRun(db: Db, id: number, status: Exclude<RunStatus, 'running'>, opts: { metrics?: unknown; error?: string } = {}): void {
  const at = nowIso()
  stmt(
    db,
    `UPDATE runs SET status = ?, finished_at = ?, updated_at = ?, metrics_json = coalesce(?, metrics_json), error = ? WHERE id = ?`
  ).run(status, status === 'done' ? at : status === 'interrupted' ? null : at, at, opts.metrics === undefined ? null : JSON.stringify(opts.metrics), opts.error ?? null, id)
}

/** Runs left 'running' by a process that no longer exists (killed, crashed) become 'interrupted'. */
export function markInterruptedRuns(db: Db): number {
  const running = stmt<[], { id: number; pid: number | null }>(db, `SELECT id, pid FROM runs WHERE status = 'running'`).all()
  let n = 0
  for (const r of running) {
    if (!ownerGone(r.pid)) continue
    finishRun(db, r.id, 'interrupted')
    n++
  }
  return n
}

// ---------------------------------------------------------------------------
// The images a run used

export interface RunImage {
  imageId: number
  labelId: number | null
  class: string | null
  fold: number | null
  role: RunImageRole
}

export function addRunImages(db: Db, runId: number, images: readonly RunImage[]): void {
  const ins = stmt(db, 'INSERT INTO run_images (run_id, image_id, label_id, class, fold, role) VALUES (?, ?, ?, ?, ?, ?)')
  db.transaction(() => {
    for (const im of images) ins.run(runId, im.imageId, im.labelId, im.class, im.fold, im.role)
  }).immediate()
}

/** A run's images in image id order. */
export function runImages(db: Db, runId: number): RunImage[] {
  return stmt<[number], RunImage>(
    db,
    'SELECT image_id AS imageId, label_id AS labelId, class, fold, role FROM run_images WHERE run_id = ? ORDER BY image_id'
  ).all(runId)
}

// ---------------------------------------------------------------------------
// Folds of a run

export interface RunFoldRow {
  runId: number
  fold: number
  status: FoldStatus
  epochsDone: number
  modelId: number | null
  metrics: unknown
  startedAt: string | null
  finishedAt: string | null
  seconds: number
}

export function ensureRunFolds(db: Db, runId: number, folds: number): void {
  const ins = stmt(db, `INSERT OR IGNORE INTO run_folds (run_id, fold, status) VALUES (?, ?, 'pending')`)
  db.transaction(() => {
    for (let f = 0; f < folds; f++) ins.run(runId, f)
  }).immediate()
}

export function runFolds(db: Db, runId: number): RunFoldRow[] {
  return stmt<[number], Omit<RunFoldRow, 'metrics'> & { metricsJson: string | null }>(
    db,
    `SELECT run_id AS runId, fold, status, epochs_done AS epochsDone, model_id AS modelId, metrics_json AS metricsJson,
            started_at AS startedAt, finished_at AS finishedAt, seconds FROM run_folds WHERE run_id = ? ORDER BY fold`
  )
    .all(runId)
    .map(({ metricsJson, ...r }) => ({ ...r, metrics: metricsJson === null ? null : JSON.parse(metricsJson) }))
}

export function startRunFold(db: Db, runId: number, fold: number): void {
  stmt(db, `UPDATE run_folds SET status = 'running', started_at = coalesce(started_at, ?) WHERE run_id = ? AND fold = ?`).run(nowIso(), runId, fold)
}

export function setFoldProgress(db: Db, runId: number, fold: number, epochsDone: number, addSeconds: number): void {
  stmt(db, 'UPDATE run_folds SET epochs_done = ?, seconds = seconds + ? WHERE run_id = ? AND fold = ?').run(epochsDone, addSeconds, runId, fold)
}

export function finishRunFold(db: Db, runId: number, fold: number, result: { modelId: number | null; metrics: unknown }): void {
  stmt(db, `UPDATE run_folds SET status = 'done', model_id = ?, metrics_json = ?, finished_at = ? WHERE run_id = ? AND fold = ?`).run(
    result.modelId,
    JSON.stringify(result.metrics),
    nowIso(),
    runId,
    fold
  )
}

// ---------------------------------------------------------------------------
// Per-epoch records

export interface EpochRow {
  runId: number
  fold: number
  epoch: number
  trainLoss: number
  trainAccuracy: number
  learningRate: number | null
  valAccuracy: number | null
  valMacroF1: number | null
  valMetrics: unknown
  seconds: number
  imagesPerSecond: number | null
  recordedAt: string
}

export type NewEpoch = Omit<EpochRow, 'recordedAt'>

/** Records an epoch (replacing a record of the same epoch, e.g. redone after a kill before its checkpoint). */
export function recordEpoch(db: Db, e: NewEpoch): void {
  stmt(
    db,
    `INSERT OR REPLACE INTO run_epochs (run_id, fold, epoch, train_loss, train_accuracy, learning_rate, val_accuracy, val_macro_f1,
                                        val_metrics_json, seconds, images_per_second, recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  ).run(
    e.runId,
    e.fold,
    e.epoch,
    e.trainLoss,
    e.trainAccuracy,
    e.learningRate,
    e.valAccuracy,
    e.valMacroF1,
    e.valMetrics === null || e.valMetrics === undefined ? null : JSON.stringify(e.valMetrics),
    e.seconds,
    e.imagesPerSecond,
    nowIso()
  )
}

export function runEpochs(db: Db, runId: number, fold?: number): EpochRow[] {
  const sql = `SELECT run_id AS runId, fold, epoch, train_loss AS trainLoss, train_accuracy AS trainAccuracy, learning_rate AS learningRate,
                      val_accuracy AS valAccuracy, val_macro_f1 AS valMacroF1, val_metrics_json AS valJson, seconds,
                      images_per_second AS imagesPerSecond, recorded_at AS recordedAt
               FROM run_epochs WHERE run_id = ? ${fold === undefined ? '' : 'AND fold = ?'} ORDER BY fold, epoch`
  const rows = (fold === undefined ? stmt(db, sql).all(runId) : stmt(db, sql).all(runId, fold)) as (Omit<EpochRow, 'valMetrics'> & {
    valJson: string | null
  })[]
  return rows.map(({ valJson, ...r }) => ({ ...r, valMetrics: valJson === null ? null : JSON.parse(valJson) }))
}

// ---------------------------------------------------------------------------
// Checkpoints of unfinished folds

export interface RunCheckpointRow {
  runId: number
  fold: number
  epoch: number
  format: string
  archive: Uint8Array
  updatedAt: string
}

export function putRunCheckpoint(db: Db, c: Omit<RunCheckpointRow, 'updatedAt'>): void {
  const buf = Buffer.isBuffer(c.archive) ? c.archive : Buffer.from(c.archive.buffer, c.archive.byteOffset, c.archive.byteLength)
  stmt(
    db,
    'INSERT OR REPLACE INTO checkpoints (run_id, fold, epoch, format, archive, byte_size, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)'
  ).run(c.runId, c.fold, c.epoch, c.format, buf, buf.byteLength, nowIso())
}

export function getRunCheckpoint(db: Db, runId: number, fold: number): RunCheckpointRow | undefined {
  const r = stmt<[number, number], Omit<RunCheckpointRow, 'archive'> & { archive: Buffer }>(
    db,
    'SELECT run_id AS runId, fold, epoch, format, archive, updated_at AS updatedAt FROM checkpoints WHERE run_id = ? AND fold = ?'
  ).get(runId, fold)
  return r ? { ...r, archive: new Uint8Array(r.archive.buffer, r.archive.byteOffset, r.archive.byteLength) } : undefined
}

export function deleteRunCheckpoint(db: Db, runId: number, fold: number): void {
  stmt(db, 'DELETE FROM checkpoints WHERE run_id = ? AND fold = ?').run(runId, fold)
}

/** Checkpoint sizes per run and fold (without reading the archives). */
export function listRunCheckpoints(db: Db, runId: number): { fold: number; epoch: number; byteSize: number; updatedAt: string }[] {
  return stmt<[number], { fold: number; epoch: number; byteSize: number; updatedAt: string }>(
    db,
    'SELECT fold, epoch, byte_size AS byteSize, updated_at AS updatedAt FROM checkpoints WHERE run_id = ? ORDER BY fold'
  ).all(runId)
}
