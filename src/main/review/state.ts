// Where a slide stands in review: signed or not (its latest sign-off event),
// and the status column's workflow imported -> classified -> in_review -> signed.
import type { Db } from '../store/db'
import { latestSignOff } from '../store/review'
import { getSlide, setSlideStatus, type SlideRow } from '../store/slides'
import { ReviewError } from './errors'

export function requireSlide(db: Db, slideId: number): SlideRow {
  const slide = getSlide(db, slideId)
  if (!slide) throw new ReviewError('not_found', `slide ${slideId} not found`)
  return slide
}

export function isSigned(db: Db, slideId: number): boolean {
  return latestSignOff(db, slideId)?.status === 'signed'
}

/** Refuses any change to a signed slide: it is read-only until reopened. */
export function assertEditable(db: Db, slideId: number): void {
  const last = latestSignOff(db, slideId)
  if (last?.status === 'signed') {
    throw new ReviewError('conflict', `slide ${slideId} was signed by ${last.who} at ${last.at}; reopen it (with a reason) to change it`)
  }
}

/**
 * Refuses a change made against a view of the slide older than its current
 * revision: another station (or a job, or the command line) changed it since
 * the reviewer looked, so what they decided on is not what is there now.
 * Nothing is changed; the station reloads and the reviewer decides again.
 * Without an expected revision (the command line, which acts on the current
 * state) nothing is checked.
 */
export function assertRevision(slide: SlideRow, expected: number | undefined): void {
  if (expected === undefined || expected === slide.revision) return
  throw new ReviewError(
    'stale',
    `slide ${slide.sampleId} was changed by someone else since you loaded it (revision ${expected}, now ${slide.revision}); nothing was changed: look again and redo it if it still applies`
  )
}

/** A reviewer's first change moves an imported or classified slide into review. */
export function markInReview(db: Db, slide: SlideRow): void {
  if (slide.status === 'imported' || slide.status === 'classified') setSlideStatus(db, slide.id, 'in_review')
}
