// Which jobs a lab server with a training queue sends to worker machines
// (docs/scale.md): cross-validations and training runs. The job runner keeps them as jobs like
// any other (progress events, cancel, jobs.get); this only translates a job's
// request into the queue's call and its report into the job's result.
import type { TrainingJobResult } from '../../shared/models'
import type { LabQueue } from '../queue/lab-queue'
import type { JobParams } from './job-protocol'
import type { RemoteJobs } from './jobs'
import type { Progress } from '../../shared/progress'
import { trainSettingsOf, withRun } from './tasks/train'

export function remoteTrainingJobs(queue: LabQueue): RemoteJobs {
  return {
    handles: (kind) => kind === 'crossval' || kind === 'train',
    async run(kind, raw, ctx) {
      if (kind === 'train') return train(queue, raw as JobParams['train'], ctx)
      const params = raw as JobParams['crossval']
      const relay = withRun({ dbPath: '', signal: ctx.signal, onProgress: ctx.onProgress })
      const report = await queue.crossval({
        dataset: params.dataset,
        architecture: params.architecture,
        inputSize: params.inputSize,
        k: params.folds,
        seed: params.seed,
        settings: trainSettingsOf(params),
        ...(params.name ? { name: params.name } : {}),
        signal: ctx.signal,
        onRun: relay.onRun,
        onProgress: relay.onProgress
      })
      const done = report.status === 'done'
      const result: TrainingJobResult = {
        runId: report.runId,
        status: report.status,
        modelId: null,
        accuracy: done && Number.isFinite(report.overall.accuracy) ? report.overall.accuracy : null,
        macroF1: done ? report.overall.macro.f1 : null
      }
      return { result, cancelled: !done, backend: report.backend }
    }
  }
}

async function train(queue: LabQueue, params: JobParams['train'], ctx: { signal: AbortSignal; onProgress(p: Progress): void }) {
  const relay = withRun({ dbPath: '', signal: ctx.signal, onProgress: ctx.onProgress })
  const report = await queue.train({
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
  const v = report.validation
  const result: TrainingJobResult = { runId: report.runId, status: report.status, modelId: report.modelId, accuracy: v ? v.accuracy : null, macroF1: v ? v.macro.f1 : null }
  return { result, cancelled: report.status !== 'done', backend: report.backend }
}
