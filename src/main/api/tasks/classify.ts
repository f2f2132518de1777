// The classify job: the slides service's classification (its rules: a
// signed slide is refused, an imported one becomes 'classified') on the
// job's own store connection inside the job worker, so loading a model and
// running it over a slide never blocks the UI's thread.
import type { ClassifyReport } from '../../../shared/api'
import { openStore } from '../../store/index'
import { classifySlide } from '../../services/slides'
import type { JobParams, TaskContext } from '../job-protocol'

export async function runClassifyTask(params: JobParams['classify'], ctx: TaskContext): Promise<{ result: ClassifyReport; cancelled: boolean; engine: string }> {
  const db = openStore(ctx.dbPath, ctx.nativeBinding ? { nativeBinding: ctx.nativeBinding } : {})
  try {
    const r = await classifySlide(db, params.slideId, { model: params.modelId, signal: ctx.signal, onProgress: ctx.onProgress })
    return { result: r.report, cancelled: false, engine: r.result.backend }
  } finally {
    db.close()
  }
}
