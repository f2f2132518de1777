// The classify job: runs the ML core's slide inference (src/main/ml/inference)
// on its own store connection inside the job worker, so loading a model and
// running it over a slide never blocks the UI's thread. A slide that was only
// imported becomes 'classified'; one already in review or signed keeps its status.
import type { ClassifyReport } from '../../../shared/api'
import { classifyCells } from '../../ml/inference'
import { reviewSettings } from '../../review/settings'
import { getModel } from '../../store/models'
import { openStore } from '../../store/index'
import { getSlide, setSlideStatus } from '../../store/slides'
import { ApiFailure } from '../errors'
import type { JobParams, TaskContext } from '../job-protocol'

export async function runClassifyTask(params: JobParams['classify'], ctx: TaskContext): Promise<{ result: ClassifyReport; cancelled: boolean; engine: string }> {
  const db = openStore(ctx.dbPath, ctx.nativeBinding ? { nativeBinding: ctx.nativeBinding } : {})
  try {
    const slide = getSlide(db, params.slideId)
    if (!slide) throw new ApiFailure('not_found', `slide ${params.slideId} not found`)
    if (slide.status === 'signed') throw new ApiFailure('conflict', `slide ${slide.sampleId} is signed: reopen it before classifying it again`)
    ctx.onProgress({ task: 'classify', done: 0, total: 0, unit: 'cell', message: 'loading the model and the cells' })
    let r: Awaited<ReturnType<typeof classifyCells>>
    try {
      r = await classifyCells(db, { slideId: slide.id, model: params.modelId, signal: ctx.signal, onProgress: ctx.onProgress })
    } catch (err) {
      if (ctx.signal.aborted) throw err
      // No model to use is the user's situation to fix, not a fault.
      if (/no default model|no stored model/.test((err as Error).message)) throw new ApiFailure('unavailable', (err as Error).message)
      throw err
    }
    // Re-read: a reviewer may have started on the slide while the model ran.
    if (getSlide(db, slide.id)?.status === 'imported') setSlideStatus(db, slide.id, 'classified')
    const threshold = reviewSettings(db, slide.id).unidentifiedThreshold
    const unidentified = r.predictions.filter((p) => p.unidentified === true || p.confidence < threshold).length
    return {
      result: {
        slideId: slide.id,
        model: { id: r.modelId, name: getModel(db, r.modelId)?.name ?? `model ${r.modelId}` },
        classified: r.cells,
        unidentified,
        seconds: r.seconds.total
      },
      cancelled: false,
      engine: r.backend
    }
  } finally {
    db.close()
  }
}
