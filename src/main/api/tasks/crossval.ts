// The cross-validation job: the ML core's resumable stratified k-fold run
// (src/main/ml/train/cross-validation) on its own store connection inside the job worker.
import type { TrainingJobResult } from '../../../shared/models'
import { openStore } from '../../store/index'
import type { JobParams, TaskContext } from '../job-protocol'
import { crossvalRequestOf, trainingJobResultOf, withRun } from './training-job'

export async function runCrossvalTask(params: JobParams['crossval'], ctx: TaskContext): Promise<{ result: TrainingJobResult; cancelled: boolean }> {
  const db = openStore(ctx.dbPath, ctx.nativeBinding ? { nativeBinding: ctx.nativeBinding } : {})
  try {
    const { crossValidate } = await import('../../ml/train/cross-validation')
    const relay = withRun(ctx)
    const report = await crossValidate(db, { ...crossvalRequestOf(params), signal: ctx.signal, onRun: relay.onRun, onProgress: relay.onProgress })
    return trainingJobResultOf(report)
  } finally {
    db.close()
  }
}
