// The model behind a slide's calls, as review needs it: its classes (the
// gallery shows a group for each, and the differential a row for each that
// is counted) and the review's default Unidentified threshold its card chose
// from measured figures. The model is the one that made most of the slide's
// latest predictions; a slide not classified yet looks to the default model.
import { WBC_CLASSES } from '../../shared/cells'
import type { Db } from '../store/db'
import { getDefaultModel, getModel, type ModelRow, type PredictionRow } from '../store/models'

/** The stored model whose calls the slide shows (most of its latest predictions), else the default model. */
export function slideModel(db: Db, predictions: ReadonlyMap<number, Pick<PredictionRow, 'modelId'>>): ModelRow | undefined {
  const votes = new Map<number, number>()
  for (const p of predictions.values()) votes.set(p.modelId, (votes.get(p.modelId) ?? 0) + 1)
  let best: number | undefined
  for (const [id, n] of votes) if (best === undefined || n > votes.get(best)! || (n === votes.get(best) && id < best)) best = id
  return (best !== undefined ? getModel(db, best) : undefined) ?? getDefaultModel(db)
}

/** The classes a model calls, in output order (the five when there is no model). */
export function classesOfModel(m: Pick<ModelRow, 'classes'> | undefined): readonly string[] {
  return m?.classes?.length ? m.classes : WBC_CLASSES
}

/**
 * The review default a model's calibration chose (a call under it is
 * Unidentified), or undefined for a model calibrated before the choice was
 * measured, or not calibrated.
 */
export function reviewThresholdOfModel(m: Pick<ModelRow, 'calibration'> | undefined): number | undefined {
  const t = (m?.calibration as { review?: { confidenceThreshold?: unknown } } | null | undefined)?.review?.confidenceThreshold
  return typeof t === 'number' && t >= 0 && t <= 1 ? t : undefined
}
