// The audit history of a cell or a slide: every label a cell gained (imports,
// reviewers, undo, acceptance at sign-off) with the class it showed before,
// who, when and the source; for a slide also its sign-offs and reopenings.
import type { LabelChange, ReviewHistory } from '../../shared/review'
import type { Db } from '../store/db'
import { getImage } from '../store/images'
import { labelChangesOfImage, labelChangesOfSlide, signOffLog, type LabelChangeRow } from '../store/review'
import { ReviewError } from './errors'
import { groupOfLabel } from './labels'
import { requireSlide } from './state'

function toChanges(rows: LabelChangeRow[]): LabelChange[] {
  // Without a review action behind a label (an import), "before" is the cell's previous label.
  const previous = new Map<number, string>()
  return rows.map((r) => {
    const old = r.oldClass ?? previous.get(r.imageId) ?? null
    const now = groupOfLabel(r.class)
    previous.set(r.imageId, now)
    return { labelId: r.labelId, cellId: r.imageId, old, new: now, who: r.who, at: r.at, source: r.source, why: r.why, action: r.actionKind }
  })
}

export function cellHistory(db: Db, cellId: number): ReviewHistory {
  if (!getImage(db, cellId)) throw new ReviewError('not_found', `cell ${cellId} not found`)
  return { changes: toChanges(labelChangesOfImage(db, cellId)), signOffs: [] }
}

export function slideHistory(db: Db, slideId: number): ReviewHistory {
  requireSlide(db, slideId)
  return {
    changes: toChanges(labelChangesOfSlide(db, slideId)),
    signOffs: signOffLog(db, slideId).map((s) => ({ status: s.status, who: s.who, at: s.at, meaning: s.meaning, reason: s.reason }))
  }
}
