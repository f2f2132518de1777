// Choosing the detector threshold and the review's confidence threshold
// together (src/main/ml/ood/review-routing.ts): on synthetic scores whose
// answer is known, the pair keeps the calibration half's WBCs within the
// limit, and the report half's figures are what the rule gives on it.
import { describe, expect, it } from 'vitest'
import { chooseReviewRouting } from '../../../../src/main/ml/ood/review-routing'
import { SeededRng } from '../../../../src/main/stats/random'

function data(nW: number, nO: number, ownClass = false) {
  const rng = new SeededRng(7)
  // WBCs: low detector scores, high confidence; non-WBC: high scores or low confidence, half each.
  const wbc = Float64Array.from({ length: nW }, () => rng.next() * 0.5)
  const other = Float64Array.from({ length: nO }, (_, i) => (i % 2 ? 0.4 + rng.next() * 0.6 : rng.next() * 0.5))
  const wbcConfidence = Float64Array.from({ length: nW }, () => 0.7 + rng.next() * 0.3)
  const otherConfidence = Float64Array.from({ length: nO }, (_, i) => (i % 2 ? 0.9 : 0.3 + rng.next() * 0.4))
  return {
    scores: [{ kind: 'mahalanobis' as const, wbc, other }],
    wbcConfidence,
    otherConfidence,
    otherOwnClass: Uint8Array.from({ length: nO }, () => (ownClass ? 1 : 0)),
    otherClasses: Array.from({ length: nO }, (_, i) => (i % 3 ? 'platelet' : 'ig')),
    seed: 3
  }
}

/** The rule itself, to recheck a chosen pair on any subset. */
function routed(score: number, confidence: number, d: number, t: number) {
  return score > d || confidence < t
}

describe('the review operating point', () => {
  it('keeps the WBCs within the limit where chosen, and reports the other half honestly', () => {
    const x = data(400, 200)
    const r = chooseReviewRouting({ ...x, maxWbcRate: 0.05, minOtherRate: 0.9 })
    expect(r.calibrationHalf.wbcRouted).toBeLessThanOrEqual(0.05)
    expect(r.confidenceThreshold).toBeGreaterThan(0)
    // Both mechanisms are needed here: the detector catches the high-score half, the threshold the low-confidence half.
    expect(r.otherKeptOut).toBeGreaterThan(0.8)
    expect(r.wbcCells).toBe(200)
    expect(r.otherCells).toBe(100)
    // Recount the whole set with the chosen pair: every WBC flagged is on one of the halves; the totals bound the halves.
    const all = Array.from(x.wbcConfidence, (c, i) => routed(x.scores[0]!.wbc[i]!, c, r.detectorThreshold, r.confidenceThreshold)).filter(Boolean).length
    expect(all).toBe(Math.round(r.wbcRouted * 200 + r.calibrationHalf.wbcRouted * 200))
    expect(r.met).toBe(r.wbcRouted <= 0.05 && r.otherKeptOut >= 0.9)
  })

  it('a tighter limit never routes more WBCs and never keeps out more objects on the calibration half', () => {
    const x = data(400, 200)
    const loose = chooseReviewRouting({ ...x, maxWbcRate: 0.1 })
    const tight = chooseReviewRouting({ ...x, maxWbcRate: 0.01 })
    expect(tight.calibrationHalf.wbcRouted).toBeLessThanOrEqual(0.01)
    expect(tight.calibrationHalf.otherKeptOut).toBeLessThanOrEqual(loose.calibrationHalf.otherKeptOut)
  })

  it('counts an object called as its own class as kept out (the eight-class model), not as Unidentified', () => {
    const without = chooseReviewRouting({ ...data(400, 200, false), maxWbcRate: 0.02 })
    const withOwn = chooseReviewRouting({ ...data(400, 200, true), maxWbcRate: 0.02 })
    expect(without.otherKeptOut).toBeLessThan(1)
    expect(withOwn.otherKeptOut).toBe(1)
    // Nothing is gained by routing: the choice routes as few WBCs as it can, and the objects stay in their own groups.
    expect(withOwn.otherUnidentified).toBeLessThan(withOwn.otherKeptOut)
    expect(withOwn.calibrationHalf.wbcRouted).toBeLessThanOrEqual(without.calibrationHalf.wbcRouted)
    expect(Object.keys(withOwn.otherKeptOutByClass)).toEqual(['ig', 'platelet'])
  })
})
