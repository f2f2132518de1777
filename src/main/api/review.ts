// The contract's review methods over the review core (src/main/review).
// Kept beside handlers.ts so the review rows read as one block; the core's
// refusals (ReviewError) become contract errors with the same code.
import type { Method } from '../../shared/api'
import type { Caller } from '../../shared/people'
import { confirmPassword } from '../people'
import {
  acceptModelCalls, addComment, cellHistory, exportSlide, reclassifyCells, reopenSlide, ReviewError, reviewSettings, setReviewSettings,
  slideComments, slideDifferential, slideGallery, slideHistory, toSignOffEvent, undoLastReclassification
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

/** What the review core records of the acting user: the name beside the id. */
const by = (caller: Caller) => ({ who: caller.name, userId: caller.userId })

function rethrow(err: unknown): never {
  if (err instanceof ReviewError || err instanceof LisError) throw new ApiFailure(err.code, err.message)
  throw err
}

export function reviewHandlers(ctx: Pick<ApiContext, 'db' | 'events' | 'outbox'>): Pick<Handlers, ReviewMethod> {
  const db = () => ctx.db
  return {
    'review.gallery': ({ slideId, order }) => refusals(() => slideGallery(db(), slideId, { order })),
    'review.reclassify': ({ slideId, cellIds, label, why }, { caller }) =>
      refusals(() => reclassifyCells(db(), { slideId, cellIds, label, why, ...by(caller) })),
    'review.accept': ({ slideId, cellIds }, { caller }) => refusals(() => acceptModelCalls(db(), { slideId, cellIds, ...by(caller) })),
    'review.undo': ({ slideId }, { caller }) => refusals(() => undoLastReclassification(db(), { slideId, ...by(caller) })),
    'review.history': ({ slideId, cellId }) => refusals(() => (slideId !== undefined ? slideHistory(db(), slideId) : cellHistory(db(), cellId!))),
    'review.differential': ({ slideId }) => refusals(() => slideDifferential(db(), slideId)),
    'review.settings': ({ slideId, unidentifiedThreshold, targetCount, target200From200Cells, secondVerification }, { caller }) =>
      refusals(() => {
        if (unidentifiedThreshold === undefined && targetCount === undefined && target200From200Cells === undefined && secondVerification === undefined) {
          if (slideId !== null && !getSlide(db(), slideId)) throw new ApiFailure('not_found', `slide ${slideId} not found`)
          return reviewSettings(db(), slideId)
        }
        return setReviewSettings(db(), { slideId, unidentifiedThreshold, targetCount, target200From200Cells, secondVerification, ...by(caller) })
      }),
    'review.sign': async ({ slideId, meaning, password }, { caller }) => {
      // The signature is the signed-in verifier, their password asked again, and the meaning (21 CFR 11.200).
      const signer = await confirmPassword(db(), caller, password)
      return refusals(() => {
        // With sending at sign-off turned on, the final report is queued in the signature's own transaction.
        const { signed, queued } = signAndQueue(db(), { slideId, meaning, who: signer.name, userId: signer.id })
        if (queued) announceQueued(ctx, [queued])
        return signed
      })
    },
    'review.reopen': ({ slideId, reason }, { caller }) => refusals(() => toSignOffEvent(reopenSlide(db(), { slideId, reason, ...by(caller) }))),
    'review.comment': ({ slideId, cellId, text }, { caller }) => refusals(() => addComment(db(), { slideId, cellId, text, ...by(caller) })),
    'review.comments': ({ slideId }) => refusals(() => slideComments(db(), slideId)),
    'review.export': ({ slideId, format, lab }) => refusals(() => exportSlide(db(), slideId, format, lab ? { lab } : {}))
  }
}
