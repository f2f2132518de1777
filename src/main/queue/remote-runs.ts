// The lab server's side of a worker's calls (docs/scale.md): taking a fold
// from the queue (a new attempt, which supersedes any older one of the same
// fold: only the newest attempt's uploads count), heartbeats that carry
// progress and answer "stop" when the run was cancelled, per-epoch
// checkpoints and the finished fold's result, each verified by its SHA-256
// and idempotent (the same epoch or the same result twice is stored once).
// Rules only; the HTTP routes and the BullMQ side are elsewhere.
import type { Db } from '../store/db'
import { CoreError } from '../errors'
import { getRun, getRunCheckpoint, putRunCheckpoint, recordEpoch, runFolds, setFoldProgress, setRunBackend, startRunFold, deleteRunCheckpoint, finishRun, finishRunFold } from '../store/runs'
import { endRemoteAttempt, endRunAttempts, getRemoteAttempt, setAttemptEpoch, startRemoteAttempt, type RemoteAttemptRow } from '../store/workers'
import { CHECKPOINT_ARCHIVE_FORMAT } from '../ml/train/checkpoint-dir'
import type { ClaimAnswer, HeartbeatAnswer, WorkerInfo } from '../../shared/workers'
import { sha256Hex } from './snapshot'
import { decodeFoldResult } from './fold-result'

/** What the server does when a worker moves a run on (relayed to the job that waits for it). */
export interface RunListener {
  progress(runId: number, fold: number, p: { done: number; total: number; epoch: number; message?: string }): void
  /** A fold's result was stored. */
  foldStored(runId: number, fold: number): void
  /** An attempt failed with no retry left: the run failed. */
  runFailed(runId: number, message: string): void
}

function liveAttempt(db: Db, credentialId: number, attemptId: number): RemoteAttemptRow {
  const a = getRemoteAttempt(db, attemptId)
  if (!a || a.credentialId !== credentialId) throw new CoreError('not_found', `attempt ${attemptId} not found for this worker`)
  if (a.status === 'superseded') throw new CoreError('conflict', `attempt ${attemptId} was superseded: another worker took this fold`)
  // A cancelled run's attempt says so with its own code: an upload that lands
  // between the cancel and the next heartbeat must stop the worker as
  // cancelled, not as superseded (which is what `conflict` means to it).
  if (a.status === 'cancelled') throw new CoreError('cancelled', `attempt ${attemptId} has ended: the run was cancelled`)
  if (a.status !== 'training') throw new CoreError('conflict', `attempt ${attemptId} has ended (${a.status})`)
  return a
}

function runIsLive(db: Db, runId: number): boolean {
  return getRun(db, runId)?.status === 'running'
}

export function claimFold(db: Db, credentialId: number, c: { runId: number; fold: number; queueJobId: string; info: WorkerInfo }): ClaimAnswer {
  return db.transaction((): ClaimAnswer => {
    if (!runIsLive(db, c.runId)) return { state: 'cancelled' }
    const fold = runFolds(db, c.runId).find((f) => f.fold === c.fold)
    if (!fold) throw new CoreError('not_found', `run ${c.runId} has no fold ${c.fold}`)
    if (fold.status === 'done') return { state: 'done' }
    const resumeEpoch = getRunCheckpoint(db, c.runId, c.fold)?.epoch ?? 0
    const attemptId = startRemoteAttempt(db, { runId: c.runId, fold: c.fold, credentialId, queueJobId: c.queueJobId, startedFromEpoch: resumeEpoch, worker: c.info })
    startRunFold(db, c.runId, c.fold)
    return { state: 'train', attemptId, resumeEpoch }
  })()
}

export function heartbeat(db: Db, credentialId: number, attemptId: number): HeartbeatAnswer & { attempt?: RemoteAttemptRow } {
  const a = getRemoteAttempt(db, attemptId)
  if (!a || a.credentialId !== credentialId) throw new CoreError('not_found', `attempt ${attemptId} not found for this worker`)
  if (a.status === 'superseded') return { stop: 'superseded' }
  if (a.status !== 'training' || !runIsLive(db, a.runId)) {
    endRemoteAttempt(db, a.id, 'cancelled')
    return { stop: 'cancelled' }
  }
  return { stop: null, attempt: a }
}

/** The fold's stored checkpoint, for the attempt to resume from. */
export function checkpointFor(db: Db, credentialId: number, attemptId: number): { epoch: number; sha256: string; bytes: Uint8Array } | { epoch: 0 } {
  const a = liveAttempt(db, credentialId, attemptId)
  const c = getRunCheckpoint(db, a.runId, a.fold)
  if (!c) return { epoch: 0 }
  const bytes = new Uint8Array(c.archive.buffer, c.archive.byteOffset, c.archive.byteLength)
  return { epoch: c.epoch, sha256: sha256Hex(bytes), bytes }
}

export interface EpochUpload {
  attemptId: number
  sha256: string
  bytes: Uint8Array
  record: { epoch: number; trainLoss: number; trainAccuracy: number; learningRate: number; seconds: number; imagesPerSecond: number; validation?: unknown }
}

/** One epoch's checkpoint: newer than the stored one, or the very same one again (a retried upload). */
export function storeEpoch(db: Db, credentialId: number, u: EpochUpload): { stored: boolean; runId: number; fold: number } {
  if (sha256Hex(u.bytes) !== u.sha256) throw new CoreError('invalid_input', 'the checkpoint does not match its SHA-256 (cut short or altered on the way)')
  return db.transaction(() => {
    const a = liveAttempt(db, credentialId, u.attemptId)
    if (!runIsLive(db, a.runId)) throw new CoreError('conflict', `run ${a.runId} is not running`)
    const stored = getRunCheckpoint(db, a.runId, a.fold)
    if (stored && stored.epoch >= u.record.epoch) {
      const same = stored.epoch === u.record.epoch && sha256Hex(new Uint8Array(stored.archive.buffer, stored.archive.byteOffset, stored.archive.byteLength)) === u.sha256
      if (same) return { stored: false, runId: a.runId, fold: a.fold }
      throw new CoreError('conflict', `fold ${a.fold + 1} of run ${a.runId} already has epoch ${stored.epoch}; epoch ${u.record.epoch} is not newer`)
    }
    const v = u.record.validation as { accuracy?: number; macro?: { f1?: number }; perClass?: unknown; confusion?: unknown } | undefined
    recordEpoch(db, {
      runId: a.runId,
      fold: a.fold,
      epoch: u.record.epoch,
      trainLoss: u.record.trainLoss,
      trainAccuracy: u.record.trainAccuracy,
      learningRate: u.record.learningRate,
      valAccuracy: v?.accuracy ?? null,
      valMacroF1: v?.macro?.f1 ?? null,
      valMetrics: v ? { perClass: v.perClass, confusion: v.confusion } : null,
      seconds: u.record.seconds,
      imagesPerSecond: u.record.imagesPerSecond
    })
    putRunCheckpoint(db, { runId: a.runId, fold: a.fold, epoch: u.record.epoch, format: CHECKPOINT_ARCHIVE_FORMAT, archive: u.bytes })
    setFoldProgress(db, a.runId, a.fold, u.record.epoch, u.record.seconds)
    setAttemptEpoch(db, a.id, u.record.epoch)
    return { stored: true, runId: a.runId, fold: a.fold }
  })()
}

/**
 * A finished fold: its model, test scores and record into the store, once
 * (a fold already done answers stored: false and keeps what it has). Loads
 * the ML core (the model is rebuilt from the weights to be saved).
 */
export async function storeResult(db: Db, credentialId: number, u: { attemptId: number; sha256: string; bytes: Uint8Array; info: WorkerInfo }): Promise<{ stored: boolean; runId: number; fold: number }> {
  if (sha256Hex(u.bytes) !== u.sha256) throw new CoreError('invalid_input', 'the result does not match its SHA-256 (cut short or altered on the way)')
  const a0 = getRemoteAttempt(db, u.attemptId)
  if (a0 && a0.credentialId === credentialId && runFolds(db, a0.runId).find((f) => f.fold === a0.fold)?.status === 'done') {
    return { stored: false, runId: a0.runId, fold: a0.fold }
  }
  const a = liveAttempt(db, credentialId, u.attemptId)
  const run = getRun(db, a.runId)
  if (!run || run.status !== 'running') throw new CoreError('conflict', `run ${a.runId} is not running`)
  const { header, weights } = decodeFoldResult(u.bytes)
  if (header.runId !== a.runId || header.fold !== a.fold) throw new CoreError('invalid_input', `this result is for run ${header.runId} fold ${header.fold}, not the attempt's`)
  const worker = { ...u.info, backend: header.backend, attemptId: a.id }
  const { modelFromWeights } = await import('../ml/train/trainer')
  if (header.kind === 'train') {
    const { saveModel } = await import('../ml/model/registry')
    const { WNET_RECIPE } = await import('../imaging/decode')
    const spec = { architecture: run.architecture as Parameters<typeof modelFromWeights>[0]['architecture'], inputSize: run.inputSize, numClasses: run.classes.length, seed: run.seed }
    const model = modelFromWeights(spec, weights)
    try {
      if (runFolds(db, a.runId)[0]?.status === 'done') return { stored: false, runId: a.runId, fold: a.fold }
      liveAttempt(db, credentialId, u.attemptId)
      const validation = (header.history[header.history.length - 1]?.validation ?? null) as { accuracy: number; macro: { f1: number }; perClass: unknown } | null
      const { validationShare: _v, workers: _w, configKey: _k, ...settings } = run.hyperparameters
      const modelId = await saveModel(
        db,
        model,
        { architecture: spec.architecture, inputSize: spec.inputSize, classes: [...run.classes], preprocessRecipe: WNET_RECIPE, runId: run.id, trainedOn: `${header.record.trainCells} cells`, settings, seed: run.seed },
        {
          name: `${run.architecture} ${run.inputSize}px run ${run.id}`,
          provenance: 'run',
          runId: run.id,
          metrics: validation ? { validation: { accuracy: validation.accuracy, macroF1: validation.macro.f1, perClass: validation.perClass } } : undefined
        }
      )
      finishRunFold(db, a.runId, 0, {
        modelId,
        metrics: {
          validation,
          history: header.history,
          trainCells: header.record.trainCells,
          validationCells: header.record.imageIds.length,
          resumedFromEpoch: header.record.resumedFromEpoch,
          worker
        }
      })
    } finally {
      model.dispose()
    }
  } else {
    const { planFromRun, storeFoldResult } = await import('../ml/train/cross-validation')
    const plan = planFromRun(db, run)
    const spec = { ...plan.spec, seed: run.seed * 1000 + a.fold }
    const model = modelFromWeights(spec, weights)
    try {
      const record = { ...header.record, worker }
      // Another upload of the same fold may have finished while the model was built: check again right before writing.
      if (runFolds(db, a.runId).find((f) => f.fold === a.fold)?.status === 'done') return { stored: false, runId: a.runId, fold: a.fold }
      liveAttempt(db, credentialId, u.attemptId)
      await storeFoldResult(db, {
        runId: a.runId,
        fold: a.fold,
        k: plan.k,
        spec,
        classes: run.classes,
        model,
        scores: Float32Array.from(header.record.scores),
        record,
        keepModel: run.hyperparameters.keepFoldModels !== false
      })
    } finally {
      model.dispose()
    }
  }
  db.transaction(() => {
    endRemoteAttempt(db, a.id, 'done', { worker: { ...a.worker, ...u.info, backend: header.backend, trainedEpochs: header.trainedEpochs } })
    deleteRunCheckpoint(db, a.runId, a.fold)
    if (header.backend) setRunBackend(db, a.runId, header.backend)
  })()
  return { stored: true, runId: a.runId, fold: a.fold }
}

/** An attempt failed; with no retry left the run fails too. */
export function recordFailure(db: Db, credentialId: number, f: { attemptId: number; message: string; final: boolean }): { runId: number; runFailed: boolean } {
  const a = getRemoteAttempt(db, f.attemptId)
  if (!a || a.credentialId !== credentialId) throw new CoreError('not_found', `attempt ${f.attemptId} not found for this worker`)
  endRemoteAttempt(db, a.id, 'failed', { error: f.message })
  if (f.final && runIsLive(db, a.runId)) {
    finishRun(db, a.runId, 'failed', { error: `fold ${a.fold + 1}: ${f.message}` })
    endRunAttempts(db, a.runId, 'failed')
    return { runId: a.runId, runFailed: true }
  }
  return { runId: a.runId, runFailed: false }
}
