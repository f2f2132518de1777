// The review settings in force for a slide: the slide's own, else the global
// ones, else the defaults. Settings are an append-only log (who changed the
// threshold, and when, stays visible).
import type { ReviewSettings, TargetCount } from '../../shared/review'
import type { Db } from '../store/db'
import { appendReviewSettings, slideCellCount, storedReviewSettings } from '../store/review'
import { reviewThresholdOfModel, slideModel } from './slide-model'
import { getSlide } from '../store/slides'
import { ReviewError } from './errors'
import { assertEditable } from './state'

/**
 * The defaults when nothing else decides. The Unidentified threshold in force
 * is the slide's own, else the lab's (global), else the one the card of the
 * slide's model chose from measured figures (slide-model.ts), else this 0.8,
 * for models calibrated before that choice existed.
 */
export const DEFAULT_REVIEW_SETTINGS: ReviewSettings = {
  unidentifiedThreshold: 0.8,
  targetCount: 100,
  target200From200Cells: false,
  secondVerification: false,
  // As before the setting existed: the workstation corrects the WBC count for the NRBC it sees.
  wbcCorrectedByAnalyser: false
}

/** Settings only the lab as a whole has (set with no slide). */
const LAB_ONLY: readonly { key: 'target200From200Cells' | 'wbcCorrectedByAnalyser'; what: string }[] = [
  { key: 'target200From200Cells', what: 'the 200-cell target rule' },
  { key: 'wbcCorrectedByAnalyser', what: "whether the analyser's WBC count is already corrected for NRBC" }
]

/** Whether the lab's analyser reports a WBC count already corrected for NRBC, as set at `asOf` (default: now). */
export function wbcCorrectedByAnalyser(db: Db, asOf?: string): boolean {
  return storedReviewSettings(db, null, asOf).wbcCorrectedByAnalyser ?? DEFAULT_REVIEW_SETTINGS.wbcCorrectedByAnalyser!
}

export function reviewSettings(db: Db, slideId: number | null): ReviewSettings {
  const global = storedReviewSettings(db, null)
  const own = slideId === null ? { unidentifiedThreshold: null, targetCount: null, secondVerification: null } : storedReviewSettings(db, slideId)
  const by200 = global.target200From200Cells ?? false
  // The lab's 200-cell rule sits between the slide's own target and the global one:
  // a slide that names its target keeps it; a big slide otherwise counts to 200.
  const bigSlide = slideId !== null && by200 && slideCellCount(db, slideId) >= 200
  const fromModel = own.unidentifiedThreshold ?? global.unidentifiedThreshold ?? null
  const modelThreshold = fromModel === null ? reviewThresholdOfModel(slideModel(db, slideId)) : undefined
  return {
    unidentifiedThreshold: own.unidentifiedThreshold ?? global.unidentifiedThreshold ?? modelThreshold ?? DEFAULT_REVIEW_SETTINGS.unidentifiedThreshold,
    unidentifiedThresholdFrom: own.unidentifiedThreshold !== null ? 'slide' : global.unidentifiedThreshold !== null ? 'lab' : modelThreshold !== undefined ? 'model' : 'default',
    targetCount: (own.targetCount ?? (bigSlide ? 200 : (global.targetCount ?? DEFAULT_REVIEW_SETTINGS.targetCount))) as TargetCount,
    target200From200Cells: by200,
    secondVerification: own.secondVerification ?? global.secondVerification ?? DEFAULT_REVIEW_SETTINGS.secondVerification,
    wbcCorrectedByAnalyser: global.wbcCorrectedByAnalyser ?? DEFAULT_REVIEW_SETTINGS.wbcCorrectedByAnalyser!
  }
}

/**
 * Changes the settings of one slide (refused while it is signed) or, with
 * slideId null, the global ones. A global change never moves a signed slide:
 * its cells all carry reviewer labels from the sign-off on.
 */
export function setReviewSettings(
  db: Db,
  change: {
    slideId: number | null
    unidentifiedThreshold?: number
    targetCount?: TargetCount
    target200From200Cells?: boolean
    secondVerification?: boolean
    wbcCorrectedByAnalyser?: boolean
    who: string
    userId?: number | null
  }
): ReviewSettings {
  for (const { key, what } of LAB_ONLY) {
    if (change[key] !== undefined && change.slideId !== null) throw new ReviewError('invalid_input', `${what} is a lab setting: change it with no slide (global)`)
  }
  if (change.unidentifiedThreshold !== undefined && !(change.unidentifiedThreshold >= 0 && change.unidentifiedThreshold <= 1)) {
    throw new ReviewError('invalid_input', 'the Unidentified threshold is a confidence between 0 and 1')
  }
  if (change.targetCount !== undefined && change.targetCount !== 100 && change.targetCount !== 200) {
    throw new ReviewError('invalid_input', 'the target count is 100 or 200 cells')
  }
  return db.transaction(() => {
    if (change.slideId !== null) {
      if (!getSlide(db, change.slideId)) throw new ReviewError('not_found', `slide ${change.slideId} not found`)
      assertEditable(db, change.slideId)
    }
    appendReviewSettings(db, { ...change })
    return reviewSettings(db, change.slideId)
  }).immediate()
}
