// What a training, cross-validation (or transfer, adaptation) job says to the
// ML core, and what it hands back: the job's request as the core's options,
// progress relayed with the run's id, and the core's report as the job's
// result. One translation for both places such a job runs: the job worker on
// this machine (./train, ./crossval) and a worker machine through the lab's
// queue (../remote-jobs), so the two can't answer differently.
import { DROPOUT_OFF_LR_FACTOR, type TrainingJobResult } from '../../../shared/models'
import type { Progress } from '../../../shared/progress'
import type { TrainSettings } from '../../ml/train/trainer'
import type { TrainRunOptions, TrainRunReport } from '../../ml/train/training-run'
import type { CrossvalOptions, CrossvalReport } from '../../ml/train/cross-validation'
import type { JobParams, TrainingParams } from '../job-protocol'

/** Progress with the run id the job works on, once the core has created or found it. */
export function withRun(ctx: { onProgress: (progress: Progress) => void }): { onRun: (runId: number) => void; onProgress: (p: Progress) => void } {
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

/** A training job's request as the core's training-run options (the caller adds signal and progress). */
export function trainRequestOf(params: JobParams['train']): TrainRunOptions {
  return {
    dataset: params.dataset,
    architecture: params.architecture,
    inputSize: params.inputSize,
    seed: params.seed,
    settings: trainSettingsOf(params),
    validationShare: params.validationShare,
    setDefault: params.setDefault,
    ...(params.name ? { name: params.name } : {})
  }
}

/** A cross-validation job's request as the core's cross-validation options (the caller adds signal and progress). */
export function crossvalRequestOf(params: JobParams['crossval']): CrossvalOptions {
  return {
    dataset: params.dataset,
    architecture: params.architecture,
    inputSize: params.inputSize,
    k: params.folds,
    seed: params.seed,
    settings: trainSettingsOf(params),
    ...(params.name ? { name: params.name } : {})
  }
}

/**
 * A training run's or a cross-validation's report as the job's result: the
 * held-out validation of a training run, the pooled report of a
 * cross-validation (its accuracy only when finite), none for a cancelled one.
 */
export function trainingJobResultOf(report: TrainRunReport | CrossvalReport): { result: TrainingJobResult; cancelled: boolean } {
  const done = report.status === 'done'
  if ('overall' in report) {
    return {
      result: {
        runId: report.runId,
        status: report.status,
        modelId: null,
        accuracy: done && Number.isFinite(report.overall.accuracy) ? report.overall.accuracy : null,
        macroF1: done ? report.overall.macro.f1 : null
      },
      cancelled: !done
    }
  }
  const v = report.validation
  return {
    result: { runId: report.runId, status: report.status, modelId: report.modelId, accuracy: v?.accuracy ?? null, macroF1: v?.macro.f1 ?? null },
    cancelled: !done
  }
}
