// The training job: the ML core's resumable training run (src/main/ml/train/training-run)
// on its own store connection inside the job worker. The core spreads the
// batches over its own worker threads; this thread only relays progress (with
// the run's id, so the UI can open the run's live report) and honours cancel.
import type { TrainingJobResult } from '../../../shared/models'
import { openStore } from '../../store/index'
import type { JobParams, TaskContext } from '../job-protocol'
import { trainRequestOf, trainingJobResultOf, withRun } from './training-job'

export async function runTrainTask(params: JobParams['train'], ctx: TaskContext): Promise<{ result: TrainingJobResult; cancelled: boolean }> {
  const db = openStore(ctx.dbPath, ctx.nativeBinding ? { nativeBinding: ctx.nativeBinding } : {})
  try {
    // Loaded here, not at the worker's start: an import job never pays for TensorFlow.js.
    const { trainRun } = await import('../../ml/train/training-run')
    const relay = withRun(ctx)
    const report = await trainRun(db, { ...trainRequestOf(params), signal: ctx.signal, onRun: relay.onRun, onProgress: relay.onProgress })
    return trainingJobResultOf(report)
  } finally {
    db.close()
  }
}
