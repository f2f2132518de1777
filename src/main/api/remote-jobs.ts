// Which jobs a lab server with a training queue sends to worker machines
// (docs/scale.md): cross-validations and training runs. The job runner keeps them as jobs like
// any other (progress events, cancel, jobs.get); this only hands a job's
// request to the queue and its report back as the job's result, with the
// same translation the local job worker uses (./tasks/training-job).
import type { LabQueue } from '../queue/lab-queue'
import type { JobParams } from './job-protocol'
import type { RemoteJobs } from './jobs'
import { crossvalRequestOf, trainRequestOf, trainingJobResultOf, withRun } from './tasks/training-job'

export function remoteTrainingJobs(queue: LabQueue): RemoteJobs {
  return {
    handles: (kind) => kind === 'crossval' || kind === 'train',
    async run(kind, raw, ctx) {
      const relay = withRun(ctx)
      const hooks = { signal: ctx.signal, onRun: relay.onRun, onProgress: relay.onProgress }
      const report =
        kind === 'train'
          ? await queue.train({ ...trainRequestOf(raw as JobParams['train']), ...hooks })
          : await queue.crossval({ ...crossvalRequestOf(raw as JobParams['crossval']), ...hooks })
      return { ...trainingJobResultOf(report), backend: report.backend }
    }
  }
}
