// Reviewed cells as training labels: the current label of each cell where a
// reviewer or expert set it (the store's current_labels already prefers them
// over imported and model labels). "Unidentified" is not a class and is left
// out, so a fine-tuning run can take these rows as they are.
import type { Db } from '../store/db'
import { reviewedCurrentLabels, type ReviewedLabel } from '../store/labels'
import { UNIDENTIFIED_LABEL } from './labels'

export type TrainingLabel = ReviewedLabel

export function reviewedTrainingLabels(db: Db, opts: { slideId?: number } = {}): TrainingLabel[] {
  return reviewedCurrentLabels(db, { excludeClass: UNIDENTIFIED_LABEL, slideId: opts.slideId })
}
