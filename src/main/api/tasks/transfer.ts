// The transfer-learning job: the ML core's transfer experiment
// (src/main/ml/train/transfer) on its own store connection inside the job worker:
// the base model's network cross-validated from scratch, then fine-tuned
// from the model on the same folds. Progress carries the run id of the arm
// being trained, so the UI can open its live report.
import type { TransferJobResult } from '../../../shared/models'
import { headlineMetrics } from '../../stats/headline'
import { openStore } from '../../store/index'
import type { JobParams, TaskContext } from '../job-protocol'
import { trainSettingsOf, withRun } from './training-job'

export async function runTransferTask(params: JobParams['transfer'], ctx: TaskContext): Promise<{ result: TransferJobResult; cancelled: boolean }> {
  const db = openStore(ctx.dbPath, ctx.nativeBinding ? { nativeBinding: ctx.nativeBinding } : {})
  try {
    const { transferExperiment } = await import('../../ml/train/transfer')
    const relay = withRun(ctx)
    const settings = trainSettingsOf(params)
    const report = await transferExperiment(db, {
      baseModel: params.baseModelId,
      dataset: params.dataset,
      modes: params.modes,
      k: params.folds,
      seed: params.seed,
      settings,
      ...(params.fineTuneLearningRate !== undefined ? { fineTuneSettings: { learningRate: params.fineTuneLearningRate } } : {}),
      signal: ctx.signal,
      onRun: (_label, runId) => relay.onRun(runId),
      onProgress: relay.onProgress
    })
    const arm = (label: string, r: { runId: number; status: string; overall: unknown }) => ({
      label,
      runId: r.runId,
      ...(r.status === 'done' ? headlineMetrics({ overall: r.overall }) : { accuracy: null, macroF1: null })
    })
    return {
      result: {
        status: report.status,
        scratchRunId: report.scratch.runId,
        arms: [arm('scratch', report.scratch), ...report.fineTuned.map((f) => arm(`fine-tune ${f.mode}`, f.report))]
      },
      cancelled: report.status !== 'done'
    }
  } finally {
    db.close()
  }
}
