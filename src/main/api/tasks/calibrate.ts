// The calibration job: measures how well each out-of-distribution score
// separates non-WBC objects from real WBCs for one model and stores the best
// as its Unidentified routing (src/main/ml/infer/classify-cells calibrateOod), on its own
// store connection inside the job worker. The WBCs are the model's training
// run's held-out cells unless the request names datasets.
import type { CalibrateJobResult } from '../../../shared/models'
import { openStore } from '../../store/index'
import { getModel } from '../../store/models'
import { ApiFailure } from '../errors'
import type { JobParams, TaskContext } from '../job-protocol'

export async function runCalibrateTask(params: JobParams['calibrate'], ctx: TaskContext): Promise<{ result: CalibrateJobResult; cancelled: boolean }> {
  const db = openStore(ctx.dbPath, ctx.nativeBinding ? { nativeBinding: ctx.nativeBinding } : {})
  try {
    const [{ calibrateOod, calibrationCellsOfRun }, { routingOf }] = await Promise.all([import('../../ml/infer/classify-cells'), import('../../ml/ood/ood-scores')])
    const model = getModel(db, params.id)
    if (!model) throw new ApiFailure('not_found', `model ${params.id} not found`)
    let cells
    if (params.fit !== undefined && params.wbc !== undefined) cells = { fit: { dataset: params.fit }, wbc: { dataset: params.wbc } }
    else if (model.runId !== null) cells = calibrationCellsOfRun(db, model.runId)
    else throw new ApiFailure('invalid_input', `model ${params.id} was not trained here: name the dataset of its training cells and one of real WBCs it did not train on`)
    const r = await calibrateOod(db, {
      model: params.id,
      ...cells,
      other: { dataset: params.other },
      targetWbcRate: params.target,
      exposureShare: params.exposure,
      signal: ctx.signal,
      onProgress: ctx.onProgress
    })
    return { result: { modelId: params.id, routing: routingOf(r.calibration)! }, cancelled: false }
  } finally {
    db.close()
  }
}
