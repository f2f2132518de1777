// The training job: the ML core's resumable training run (src/main/ml/train/training-run)
// on its own store connection inside the job worker. The core spreads the
// batches over its own worker threads; this thread only relays progress (with
// the run's id, so the UI can open the run's live report) and honours cancel.
import { DROPOUT_OFF_LR_FACTOR, type TrainingJobResult } from '../../../shared/models'
import type { Progress } from '../../../shared/progress'
import { openStore } from '../../store/index'
import type { TrainSettings } from '../../ml/train/trainer'
import type { JobParams, TaskContext, TrainingParams } from '../job-protocol'

/** Progress with the run id the job works on, once the core has created or found it. */
export function withRun(ctx: TaskContext): { onRun: (runId: number) => void; onProgress: (p: Progress) => void } {
  let runId: number | null = null
  return {
    onRun: (id) => {
      runId = id
      ctx.onProgress({ task: 'train', done: 0, total: 0, message: `run ${id}: loading cells`, metrics: { runId: id } })
    },
    onProgress: (p) => ctx.onProgress(runId === null ? p : { ...p, metrics: { ...p.metrics, runId } })
  }
}

/** The core's dropout-off setting from a job's request (lr factor as the CLI's default). */
export function dropoutOffOf(p: { dropoutOffEpochs: number }): { dropoutOff?: { epochs: number; lrFactor: number } } {
  return p.dropoutOffEpochs > 0 ? { dropoutOff: { epochs: p.dropoutOffEpochs, lrFactor: DROPOUT_OFF_LR_FACTOR } } : {}
}

/** The core's training settings from a training or cross-validation job's request. */
export function trainSettingsOf(p: Omit<TrainingParams, 'architecture' | 'inputSize' | 'dataset'>): Partial<TrainSettings> {
  return {
    epochs: p.epochs,
    batchSize: p.batchSize,
    learningRate: p.learningRate,
    schedule: { kind: p.schedule },
    balance: p.balance,
    augment: p.augment,
    ...dropoutOffOf(p)
  }
}

export async function runTrainTask(params: JobParams['train'], ctx: TaskContext): Promise<{ result: TrainingJobResult; cancelled: boolean }> {
  const db = openStore(ctx.dbPath, ctx.nativeBinding ? { nativeBinding: ctx.nativeBinding } : {})
  try {
    // Loaded here, not at the worker's start: an import job never pays for TensorFlow.js.
    const { trainRun } = await import('../../ml/train/training-run')
    const relay = withRun(ctx)
    const report = await trainRun(db, {
      dataset: params.dataset,
      architecture: params.architecture,
      inputSize: params.inputSize,
      seed: params.seed,
      settings: trainSettingsOf(params),
      validationShare: params.validationShare,
      setDefault: params.setDefault,
      ...(params.name ? { name: params.name } : {}),
      signal: ctx.signal,
      onRun: relay.onRun,
      onProgress: relay.onProgress
    })
    return {
      result: {
        runId: report.runId,
        status: report.status,
        modelId: report.modelId,
        accuracy: report.validation?.accuracy ?? null,
        macroF1: report.validation?.macro.f1 ?? null
      },
      cancelled: report.status === 'cancelled'
    }
  } finally {
    db.close()
  }
}
