// The classify job: runs the ML core's slide inference (src/main/ml/inference)
// on its own store connection inside the job worker, so loading a model and
// running it over a slide never blocks the UI's thread.
import type { ClassifyReport } from '../../../shared/api'
import { ApiFailure } from '../errors'
import type { JobParams, TaskContext } from '../job-protocol'

export async function runClassifyTask(_params: JobParams['classify'], _ctx: TaskContext): Promise<{ result: ClassifyReport; cancelled: boolean }> {
  // Until the inference module lands, say so rather than invent predictions.
  throw new ApiFailure('unavailable', 'slide classification is not available in this build yet (the inference engine is missing)')
}
