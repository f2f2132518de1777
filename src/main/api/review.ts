// The contract's review methods over the review service (services/review.ts)
// and the review core (src/main/review): parse, call, return. Refusals are
// CoreErrors, which the dispatcher maps with their code (api/errors.ts).
import type { Method } from '../../shared/api'
import { confirmPassword } from '../people'
import {
  acceptModelCalls, addComment, exportSlide, reclassifyCells, reopenSlide,
  slideComments, slideDifferential, slideGallery, toSignOffEvent, undoLastReclassification
} from '../review'
import { actorOf as by, reviewHistory, signSlideAs, slideReviewSettings } from '../services/review'
import type { Handlers } from './dispatch'
import type { ApiContext } from './handlers'
import { announceQueued } from './lis'

type ReviewMethod = Extract<Method, `review.${string}`>

export function reviewHandlers(ctx: Pick<ApiContext, 'db' | 'events' | 'outbox'>): Pick<Handlers, ReviewMethod> {
  const db = () => ctx.db
  return {
    'review.gallery': ({ slideId, order }) => slideGallery(db(), slideId, { order }),
    'review.reclassify': ({ slideId, cellIds, label, why }, { caller }) => reclassifyCells(db(), { slideId, cellIds, label, why, ...by(caller) }),
    'review.accept': ({ slideId, cellIds }, { caller }) => acceptModelCalls(db(), { slideId, cellIds, ...by(caller) }),
    'review.undo': ({ slideId }, { caller }) => undoLastReclassification(db(), { slideId, ...by(caller) }),
    'review.history': ({ slideId, cellId }) => reviewHistory(db(), slideId !== undefined ? { slideId } : { cellId: cellId! }),
    'review.differential': ({ slideId }) => slideDifferential(db(), slideId),
    'review.settings': ({ slideId, ...change }, { caller }) => slideReviewSettings(db(), slideId, change, caller),
    'review.sign': async ({ slideId, meaning, password }, { caller }) => {
      // The signature is the signed-in verifier, their password asked again, and the meaning (21 CFR 11.200).
      const signer = await confirmPassword(db(), caller, password)
      const { signed, queued } = signSlideAs(db(), { name: signer.name, userId: signer.id, roles: caller.roles }, { slideId, meaning })
      if (queued) announceQueued(ctx, [queued])
      return signed
    },
    'review.reopen': ({ slideId, reason }, { caller }) => toSignOffEvent(reopenSlide(db(), { slideId, reason, ...by(caller) })),
    'review.comment': ({ slideId, cellId, text }, { caller }) => addComment(db(), { slideId, cellId, text, ...by(caller) }),
    'review.comments': ({ slideId }) => slideComments(db(), slideId),
    'review.export': ({ slideId, format, lab }) => exportSlide(db(), slideId, format, lab ? { lab } : {})
  }
}
