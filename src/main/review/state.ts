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

/** A reviewer's first change moves an imported or classified slide into review. */
export function markInReview(db: Db, slide: SlideRow): void {
  if (slide.status === 'imported' || slide.status === 'classified') setSlideStatus(db, slide.id, 'in_review')
}
