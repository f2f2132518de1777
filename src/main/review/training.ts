// Reviewed cells as training labels: the current label of each cell where a
// reviewer or expert set it (the store's current_labels already prefers them
// over imported and model labels). "Unidentified" is not a class and is left
// out, so a fine-tuning run can take these rows as they are.
import type { Db } from '../store/db'
import { stmt } from '../store/statements'
import { UNIDENTIFIED_LABEL } from './labels'

export interface TrainingLabel {
  imageId: number
  class: string
  source: 'reviewer' | 'expert'
  who: string
  at: string
}

export function reviewedTrainingLabels(db: Db, opts: { slideId?: number } = {}): TrainingLabel[] {
  const bySlide = opts.slideId !== undefined
  return stmt<unknown[], TrainingLabel>(
    db,
    `SELECT c.image_id AS imageId, c.class, c.source, c.who, c.at
     FROM current_labels c JOIN images i ON i.id = c.image_id
     WHERE c.source IN ('reviewer', 'expert') AND c.class <> ?${bySlide ? ' AND i.slide_id = ?' : ''}
     ORDER BY c.image_id`
  ).all(...(bySlide ? [UNIDENTIFIED_LABEL, opts.slideId] : [UNIDENTIFIED_LABEL]))
}
