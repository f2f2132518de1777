// The contract's review methods over the review core (src/main/review).
// Kept beside handlers.ts so the review rows read as one block; the core's
// refusals (ReviewError) become contract errors with the same code.
import type { Method } from '../../shared/api'
import {
  acceptModelCalls, addComment, cellHistory, exportSlide, reclassifyCells, reopenSlide, ReviewError, reviewSettings, setReviewSettings,
  slideComments, slideDifferential, slideGallery, slideHistory, undoLastReclassification
} from '../review'
import { getSlide } from '../store/slides'
import type { Handlers } from './dispatch'
import { ApiFailure } from './errors'
import type { ApiContext } from './handlers'
import { announceQueued } from './lis'
import { LisError, signAndQueue } from '../lis'

type ReviewMethod = Extract<Method, `review.${string}`>

function refusals<T>(fn: () => T): T {
  try {
    const out = fn()
    if (out instanceof Promise) return out.catch(rethrow) as T
    return out
  } catch (err) {
    return rethrow(err)
  }
}

function rethrow(err: unknown): never {
  if (err instanceof ReviewError || err instanceof LisError) throw new ApiFailure(err.code, err.message)
  throw err
}

export function reviewHandlers(ctx: Pick<ApiContext, 'db' | 'events' | 'outbox'>): Pick<Handlers, ReviewMethod> {
  const db = () => ctx.db
  return {
    'review.gallery': ({ slideId, order }) => refusals(() => slideGallery(db(), slideId, { order })),
    'review.reclassify': ({ slideId, cellIds, label, who, why }) => refusals(() => reclassifyCells(db(), { slideId, cellIds, label, who, why })),
    'review.accept': ({ slideId, cellIds, who }) => refusals(() => acceptModelCalls(db(), { slideId, cellIds, who })),
    'review.undo': ({ slideId, who }) => refusals(() => undoLastReclassification(db(), { slideId, who })),
    'review.history': ({ slideId, cellId }) => refusals(() => (slideId !== undefined ? slideHistory(db(), slideId) : cellHistory(db(), cellId!))),
    'review.differential': ({ slideId }) => refusals(() => slideDifferential(db(), slideId)),
    'review.settings': ({ slideId, unidentifiedThreshold, targetCount, target200From200Cells, who }) =>
      refusals(() => {
        if (unidentifiedThreshold === undefined && targetCount === undefined && target200From200Cells === undefined) {
          if (slideId !== null && !getSlide(db(), slideId)) throw new ApiFailure('not_found', `slide ${slideId} not found`)
          return reviewSettings(db(), slideId)
        }
        return setReviewSettings(db(), { slideId, unidentifiedThreshold, targetCount, target200From200Cells, who })
      }),
    'review.sign': ({ slideId, who, meaning }) =>
      refusals(() => {
        // With sending at sign-off turned on, the report is queued in the signature's own transaction.
        const { signed, queued } = signAndQueue(db(), { slideId, who, meaning })
        if (queued) announceQueued(ctx, [queued])
        return signed
      }),
    'review.reopen': ({ slideId, who, reason }) =>
      refusals(() => {
        const r = reopenSlide(db(), { slideId, who, reason })
        return { status: r.status, who: r.who, at: r.at, meaning: r.meaning, reason: r.reason }
      }),
    'review.comment': ({ slideId, cellId, who, text }) => refusals(() => addComment(db(), { slideId, cellId, who, text })),
    'review.comments': ({ slideId }) => refusals(() => slideComments(db(), slideId)),
    'review.export': ({ slideId, format, lab }) => refusals(() => exportSlide(db(), slideId, format, lab ? { lab } : {}))
  }
}
