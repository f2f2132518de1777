// The audit history of a cell or a slide: every label a cell gained (imports,
// reviewers, undo, acceptance at sign-off) with the class it showed before,
// who, when and the source, beside what the model suggested for the cell;
// for a slide also its sign-offs and reopenings.
import type { LabelChange, ReviewHistory } from '../../shared/review'
import type { Db } from '../store/db'
import { getImage } from '../store/images'
import { listPredictions, type PredictionRow } from '../store/models'
import { labelChangesOfImage, labelChangesOfSlide, signOffLog, type LabelChangeRow } from '../store/review'
import { ReviewError } from './errors'
import { groupOfLabel } from './labels'
import { requireSlide } from './state'
import { toSignOffEvent } from './signoff'

function toChanges(db: Db, rows: LabelChangeRow[]): LabelChange[] {
  // Without a review action behind a label (an import), "before" is the cell's previous label.
  const previous = new Map<number, string>()
  const predictions = new Map<number, PredictionRow[]>()
  for (const p of listPredictions(db, { imageIds: [...new Set(rows.map((r) => r.imageId))] })) {
    predictions.set(p.imageId, [...(predictions.get(p.imageId) ?? []), p])
  }
  return rows.map((r) => {
    const old = r.oldClass ?? previous.get(r.imageId) ?? null
    const now = groupOfLabel(r.class)
    previous.set(r.imageId, now)
    return {
      labelId: r.labelId, cellId: r.imageId, old, new: now, who: r.who, at: r.at, source: r.source, why: r.why, action: r.actionKind,
      modelCall: suggestionAt(predictions.get(r.imageId) ?? [], r.at)
    }
  })
}

/**
 * What the model suggested for the cell when the label was given: its newest
 * call made by then (a reviewer sees the change beside the suggestion they
 * followed or overruled). Classifying again replaces a model's row, so a call
 * made later by the same model is all there is; it is then shown as it is now.
 */
function suggestionAt(calls: PredictionRow[], at: string): LabelChange['modelCall'] {
  const newest = (list: PredictionRow[]) => list.reduce<PredictionRow | null>((a, b) => (!a || b.createdAt > a.createdAt || (b.createdAt === a.createdAt && b.id > a.id) ? b : a), null)
  const p = newest(calls.filter((c) => c.createdAt <= at)) ?? newest(calls)
  return p ? { label: p.topClass, confidence: p.confidence } : null
}

export function cellHistory(db: Db, cellId: number): ReviewHistory {
  if (!getImage(db, cellId)) throw new ReviewError('not_found', `cell ${cellId} not found`)
  return { changes: toChanges(db, labelChangesOfImage(db, cellId)), signOffs: [] }
}

export function slideHistory(db: Db, slideId: number): ReviewHistory {
  requireSlide(db, slideId)
  return {
    changes: toChanges(db, labelChangesOfSlide(db, slideId)),
    signOffs: signOffLog(db, slideId).map(toSignOffEvent)
  }
}
