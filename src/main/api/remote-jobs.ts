// Which jobs a lab server with a training queue sends to worker machines
// (docs/scale.md): cross-validations. The job runner keeps them as jobs like
// any other (progress events, cancel, jobs.get); this only translates a job's
// request into the queue's call and its report into the job's result.
import type { TrainingJobResult } from '../../shared/models'
import type { LabQueue } from '../queue/lab-queue'
import type { JobParams } from './job-protocol'
import type { RemoteJobs } from './jobs'
import { trainSettingsOf, withRun } from './tasks/train'

export function remoteTrainingJobs(queue: LabQueue): RemoteJobs {
  return {
    handles: (kind) => kind === 'crossval',
    async run(_kind, raw, ctx) {
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
