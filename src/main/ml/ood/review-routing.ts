// The Unidentified group as the reviewer sees it: a cell lands there when the
// model's out-of-distribution detector flags it OR the model's confidence in
// its call is under the review threshold (src/main/review/gallery.ts). This
// module chooses both together from measured figures: on one half of the
// held-out normal WBCs and of the non-WBC objects, the detector threshold and
// the confidence threshold that keep at most `maxWbcRate` of the WBCs out of
// their class while keeping the most non-WBC objects out of the five WBC
// groups; then it measures both figures on the other halves, which played no
// part in the choice.
//
// "Kept out of the WBC groups" means: in Unidentified, or called as its own
// class when the model has that class. For the five-class model a non-WBC
// object can only be kept out by Unidentified; for the eight-class model an
// erythroblast called "erythroblast" is where it should be (it is reported
// per 100 WBC, not counted), so it counts as kept out, while one called
// "lymphocyte" with confidence is the error this guards against.
import { seededShuffle } from '../../stats/random'
import { thresholdForRate, type OodScoreKind } from './ood-scores'

/** The bar: at most 5% of normal WBCs and at least 90% of non-WBC objects in Unidentified. */
export const REVIEW_TARGET = { maxWbcRate: 0.05, minOtherRate: 0.9 } as const

/** Confidence thresholds tried (a call under it goes to Unidentified). */
const CONFIDENCE_GRID = Array.from({ length: 100 }, (_, i) => i / 100)

export interface RoutingInputs {
  /** Per score: the held-out WBCs' and the non-WBC objects' scores (higher = more out of distribution). */
  scores: { kind: OodScoreKind; wbc: Float64Array; other: Float64Array }[]
  /** The model's confidence in its top call, per WBC and per non-WBC object. */
  wbcConfidence: Float64Array
  otherConfidence: Float64Array
  /** Per non-WBC object: the model called it as its own class (only possible when the model has that class). */
  otherOwnClass: Uint8Array
  otherClasses: readonly string[]
  seed: number
  maxWbcRate?: number
  minOtherRate?: number
}

export interface ReviewRouting {
  /** The detector (out-of-distribution score) and its threshold: a score above it is Unidentified. */
  score: OodScoreKind
  detectorThreshold: number
  /** The share of the calibration half's WBCs the detector threshold was set to flag on its own. */
  detectorWbcTarget: number
  /** The review's default: a call under this confidence is Unidentified. */
  confidenceThreshold: number
  maxWbcRate: number
  minOtherRate: number
  /** Figures on the report halves (not used for the choice). */
  wbcRouted: number
  otherKeptOut: number
  /** Of the non-WBC objects: in Unidentified (the rest of otherKeptOut was called as its own class). */
  otherUnidentified: number
  otherKeptOutByClass: Record<string, number>
  wbcCells: number
  otherCells: number
  /** Both figures met on the report halves. */
  met: boolean
  /** The calibration half's figures for the chosen pair. */
  calibrationHalf: { wbcRouted: number; otherKeptOut: number }
}

function halves(n: number, seed: number): { a: number[]; b: number[] } {
  const order = seededShuffle(Array.from({ length: n }, (_, i) => i), seed)
  return { a: order.slice(0, Math.floor(n / 2)), b: order.slice(Math.floor(n / 2)) }
}

interface Rates {
  wbc: number
  kept: number
  unidentified: number
}

function rates(x: RoutingInputs, s: { wbc: Float64Array; other: Float64Array }, wIdx: number[], oIdx: number[], d: number, t: number): Rates {
  let w = 0
  for (const i of wIdx) if (s.wbc[i] > d || x.wbcConfidence[i] < t) w++
  let kept = 0
  let unid = 0
  for (const i of oIdx) {
    const routed = s.other[i] > d || x.otherConfidence[i] < t
    if (routed) unid++
    if (routed || x.otherOwnClass[i]) kept++
  }
  return { wbc: wIdx.length ? w / wIdx.length : 0, kept: oIdx.length ? kept / oIdx.length : 0, unidentified: oIdx.length ? unid / oIdx.length : 0 }
}

/**
 * Chooses the detector, its threshold and the confidence threshold on the
 * calibration halves; measures them on the report halves (the same seeded
 * halves `measureSeparation` uses).
 */
export function chooseReviewRouting(x: RoutingInputs): ReviewRouting {
  const maxWbc = x.maxWbcRate ?? REVIEW_TARGET.maxWbcRate
  const minOther = x.minOtherRate ?? REVIEW_TARGET.minOtherRate
  const w = halves(x.wbcConfidence.length, x.seed)
  const o = halves(x.otherConfidence.length, x.seed)
  if (!x.scores.length) throw new Error('no out-of-distribution score to choose from')
  let best: { kind: OodScoreKind; s: RoutingInputs['scores'][number]; d: number; target: number; t: number; r: Rates } | undefined
  for (const s of x.scores) {
    const wA = Float64Array.from(w.a, (i) => s.wbc[i])
    // Detector thresholds flagging 0%, 0.25%, ... maxWbc of the calibration half's WBCs. The msp
    // score is 1 - confidence, the review threshold's own measure: it is left to the confidence
    // threshold (a detector threshold of 1 flags nothing), so the review default the reviewer
    // sees is the whole rule rather than 0 beside a hidden second confidence cut.
    const msp = s.kind === 'msp'
    for (let k = 0; k <= (msp ? 0 : Math.round(maxWbc / 0.0025)); k++) {
      const target = k * 0.0025
      const d = msp ? 1 : thresholdForRate(wA, target)
      for (const t of CONFIDENCE_GRID) {
        const r = rates(x, s, w.a, o.a, d, t)
        if (r.wbc > maxWbc) break // a higher confidence threshold only routes more
        const better = !best || r.kept > best.r.kept + 1e-12 || (Math.abs(r.kept - best.r.kept) <= 1e-12 && r.wbc < best.r.wbc - 1e-12)
        if (better) best = { kind: s.kind, s, d, target, t, r }
      }
    }
  }
  if (!best) throw new Error('no threshold keeps the WBCs within the limit')
  const rep = rates(x, best.s, w.b, o.b, best.d, best.t)
  const byClass: Record<string, number> = {}
  for (const cls of [...new Set(x.otherClasses)].sort()) byClass[cls] = rates(x, best.s, [], o.b.filter((i) => x.otherClasses[i] === cls), best.d, best.t).kept
  return {
    score: best.kind,
    detectorThreshold: best.d,
    detectorWbcTarget: best.target,
    confidenceThreshold: best.t,
    maxWbcRate: maxWbc,
    minOtherRate: minOther,
    wbcRouted: rep.wbc,
    otherKeptOut: rep.kept,
    otherUnidentified: rep.unidentified,
    otherKeptOutByClass: byClass,
    wbcCells: w.b.length,
    otherCells: o.b.length,
    met: rep.wbc <= maxWbc && rep.kept >= minOther,
    calibrationHalf: { wbcRouted: best.r.wbc, otherKeptOut: best.r.kept }
  }
}
