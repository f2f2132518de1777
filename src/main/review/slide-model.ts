// The model behind a slide's calls, as review needs it: its classes (the
// gallery shows a group for each, and the differential a row for each that
// is counted) and the review's default Unidentified threshold its card chose
// from measured figures. The model is the one of the slide's newest
// prediction; a slide not classified yet looks to the default model.
import { WBC_CLASSES } from '../../shared/cells'
import type { Db } from '../store/db'
import { getDefaultModel, getModel, latestPredictionModelOfSlide, type ModelRow } from '../store/models'

/**
 * The stored model whose calls the slide shows (the model of its newest
 * prediction: a slide re-classified with another model shows that model's
 * calls), else the default model. One indexed query: review reads it on
 * every gallery and differential request.
 */
export function slideModel(db: Db, slideId: number | null): ModelRow | undefined {
  const id = slideId === null ? undefined : latestPredictionModelOfSlide(db, slideId)
  return (id !== undefined ? getModel(db, id) : undefined) ?? getDefaultModel(db)
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
