// Sign-off and reopening. A slide is signed by a name, a date-time and what
// the signature means; it is refused while any cell is Unidentified or the
// slide is signed already. Signing turns every model call still standing into
// a reviewer label (the specialist has looked at it and let it stand), so a
// signed slide no longer depends on the threshold or on later model runs, and
// all its cells become training labels. Reopening needs a reason and is
// itself an entry of the sign-off log.
import { UNIDENTIFIED, type SignOffResult } from '../../shared/review'
import type { Db } from '../store/db'
import { nowIso } from '../store/db'
import { appendLabel } from '../store/labels'
import { appendReviewAction, appendReviewChange, appendSignOff, latestSignOff, type SignOffRow } from '../store/review'
import { setSlideStatus } from '../store/slides'
import { ReviewError } from './errors'
import { classifySlideCells } from './gallery'
import { isCounted } from './labels'
import { requireSlide } from './state'

export interface SignRequest {
  slideId: number
  who: string
  /** What the signature means, e.g. "Reviewed and approved". */
  meaning: string
  /** Default: now. */
  at?: string
}

export function signSlide(db: Db, req: SignRequest): SignOffResult {
  const who = req.who.trim()
  const meaning = req.meaning.trim()
  if (!who) throw new ReviewError('invalid_input', 'a sign-off needs the name of who signs')
  if (!meaning) throw new ReviewError('invalid_input', 'a sign-off needs its meaning (e.g. "Reviewed and approved")')
  return db.transaction((): SignOffResult => {
    const slide = requireSlide(db, req.slideId)
    const last = latestSignOff(db, slide.id)
    if (last?.status === 'signed') throw new ReviewError('conflict', `slide ${slide.sampleId} is already signed by ${last.who} at ${last.at}`)
    const cells = classifySlideCells(db, slide.id)
    if (cells.length === 0) throw new ReviewError('conflict', `slide ${slide.sampleId} has no cells to sign`)
    const unidentified = cells.filter((c) => c.group === UNIDENTIFIED).length
    if (unidentified) {
      throw new ReviewError('conflict', `slide ${slide.sampleId} still has ${unidentified} Unidentified cell${unidentified === 1 ? '' : 's'}; classify them before signing`)
    }
    const at = req.at ?? nowIso()
    const standing = cells.filter((c) => c.basis === 'model')
    if (standing.length) {
      const why = 'model call accepted at sign-off'
      const actionId = appendReviewAction(db, { slideId: slide.id, kind: 'accept', who, why, at })
      for (const c of standing) {
        const labelId = appendLabel(db, { imageId: c.id, class: c.prediction!.label, source: 'reviewer', who, why, at })
        appendReviewChange(db, { actionId, imageId: c.id, labelId, oldClass: c.group, newClass: c.group })
      }
    }
    const counts: Record<string, number> = {}
    for (const c of cells) counts[c.group] = (counts[c.group] ?? 0) + 1
    appendSignOff(db, { slideId: slide.id, status: 'signed', who, at, meaning, counts })
    setSlideStatus(db, slide.id, 'signed')
    const totalCounted = Object.entries(counts).reduce((n, [label, k]) => n + (isCounted(label) ? k : 0), 0)
    return { slideId: slide.id, signedBy: who, signedAt: at, meaning, totalCounted, accepted: standing.length }
  }).immediate()
}

export function reopenSlide(db: Db, req: { slideId: number; who: string; reason: string; at?: string }): SignOffRow {
  const who = req.who.trim()
  const reason = req.reason.trim()
  if (!who) throw new ReviewError('invalid_input', 'say who reopens the slide')
  if (!reason) throw new ReviewError('invalid_input', 'reopening a signed slide needs a reason')
  return db.transaction((): SignOffRow => {
    const slide = requireSlide(db, req.slideId)
    if (latestSignOff(db, slide.id)?.status !== 'signed') throw new ReviewError('conflict', `slide ${slide.sampleId} is not signed`)
    const at = req.at ?? nowIso()
    appendSignOff(db, { slideId: slide.id, status: 'reopened', who, at, reason })
    setSlideStatus(db, slide.id, 'in_review')
    return latestSignOff(db, slide.id)!
  }).immediate()
}
