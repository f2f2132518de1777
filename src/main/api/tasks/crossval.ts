// The cross-validation job: the ML core's resumable stratified k-fold run
// (src/main/ml/train/cross-validation) on its own store connection inside the job worker.
import type { TrainingJobResult } from '../../../shared/models'
import { openStore } from '../../store/index'
import type { JobParams, TaskContext } from '../job-protocol'
import { trainSettingsOf, withRun } from './train'

export async function runCrossvalTask(params: JobParams['crossval'], ctx: TaskContext): Promise<{ result: TrainingJobResult; cancelled: boolean }> {
  const db = openStore(ctx.dbPath, ctx.nativeBinding ? { nativeBinding: ctx.nativeBinding } : {})
  try {
    const { crossValidate } = await import('../../ml/train/cross-validation')
    const relay = withRun(ctx)
    const report = await crossValidate(db, {
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
  } finally {
    db.close()
  }
}
