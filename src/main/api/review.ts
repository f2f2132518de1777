// The contract's review methods over the review service (services/review.ts)
// and the review core (src/main/review): parse, call, return. Refusals are
// CoreErrors, which the dispatcher maps with their code (api/errors.ts).
// Every change that committed is announced as slide.changed (with the
// slide's revision now), so other stations showing the slide reload.
import type { ClassifyReport, Method, SlideChange } from '../../shared/api'
import type { Caller } from '../../shared/people'
import { confirmPassword } from '../people'
import {
  acceptModelCalls, addComment, exportSlide, reclassifyCells, reopenSlide,
  slideComments, slideDifferential, slideGallery, toSignOffEvent, undoLastReclassification
} from '../review'
import { actorOf as by, reviewHistory, signSlideAs, slideReviewSettings } from '../services/review'
import { getSlide, getSlideBySampleId } from '../store/slides'
import type { Handlers } from './dispatch'
import type { ApiContext } from './handlers'
import { announceQueued } from './lis'

type ReviewMethod = Extract<Method, `review.${string}`>

/** Tells every station a slide changed (after the change committed), with its revision now. */
function announceSlide(ctx: Pick<ApiContext, 'db' | 'events'>, slideId: number | null, change: SlideChange, caller: Caller | null): void {
  const revision = slideId === null ? null : (getSlide(ctx.db, slideId)?.revision ?? null)
  ctx.events?.emit?.('slide.changed', { slideId, revision, change, by: caller?.name ?? null, userId: caller?.userId ?? null })
}

export function reviewHandlers(ctx: Pick<ApiContext, 'db' | 'events' | 'outbox'>): Pick<Handlers, ReviewMethod> {
  const db = () => ctx.db
  /** Runs a change and, once it committed (a refusal throws past this), announces it. */
  const changing = <T>(slideId: number | null, change: SlideChange, caller: Caller, fn: () => T): T => {
    const out = fn()
    announceSlide(ctx, slideId, change, caller)
    return out
  }
  return {
    'review.gallery': ({ slideId, order }) => slideGallery(db(), slideId, { order }),
    'review.reclassify': ({ slideId, cellIds, label, why, revision }, { caller }) =>
      changing(slideId, 'reclassify', caller, () => reclassifyCells(db(), { slideId, cellIds, label, why, revision, ...by(caller) })),
    'review.accept': ({ slideId, cellIds, revision }, { caller }) =>
      changing(slideId, 'accept', caller, () => acceptModelCalls(db(), { slideId, cellIds, revision, ...by(caller) })),
    'review.undo': ({ slideId, revision }, { caller }) => changing(slideId, 'undo', caller, () => undoLastReclassification(db(), { slideId, revision, ...by(caller) })),
    'review.history': ({ slideId, cellId }) => reviewHistory(db(), slideId !== undefined ? { slideId } : { cellId: cellId! }),
    'review.differential': ({ slideId }) => slideDifferential(db(), slideId),
    'review.settings': ({ slideId, ...change }, { caller }) => {
      const changes = Object.values(change).some((v) => v !== undefined)
      const settings = slideReviewSettings(db(), slideId, change, caller)
      if (changes) announceSlide(ctx, slideId, 'settings', caller)
      return settings
    },
    'review.sign': async ({ slideId, meaning, password, revision }, { caller }) => {
      // The signature is the signed-in verifier, their password asked again, and the meaning (21 CFR 11.200).
      const signer = await confirmPassword(db(), caller, password)
      return changing(slideId, 'sign', caller, () => {
        const { signed, queued } = signSlideAs(db(), { name: signer.name, userId: signer.id, roles: caller.roles }, { slideId, meaning, revision })
        if (queued) announceQueued(ctx, [queued])
        return signed
      })
    },
    'review.reopen': ({ slideId, reason, revision }, { caller }) =>
      changing(slideId, 'reopen', caller, () => toSignOffEvent(reopenSlide(db(), { slideId, reason, revision, ...by(caller) }))),
    'review.comment': ({ slideId, cellId, text }, { caller }) => changing(slideId, 'comment', caller, () => addComment(db(), { slideId, cellId, text, ...by(caller) })),
    'review.comments': ({ slideId }) => slideComments(db(), slideId),
    'review.export': ({ slideId, format, lab }) => exportSlide(db(), slideId, format, lab ? { lab } : {})
  }
}

/**
 * A classification job stores predictions through its own connection: when it
 * ends (done, cancelled or failed: what it stored stays), the slide it worked
 * on is announced like any other change. Returns the unsubscribe.
 */
export function announceClassifications(ctx: Pick<ApiContext, 'db' | 'events'>): () => void {
  return ctx.events.subscribe((event) => {
    if (event.name !== 'job.finished' || event.payload.kind !== 'classify') return
    const report = event.payload.result as ClassifyReport | null
    const slideId = report?.slideId ?? getSlideBySampleId(ctx.db, event.payload.title)?.id
    if (slideId !== undefined) announceSlide(ctx, slideId, 'classify', null)
  })
}
