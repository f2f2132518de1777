import { describe, it, expect } from 'vitest'
import {
  clopperPearson,
  differentialCount,
  inverseRegularizedIncompleteBeta,
  logGamma,
  regularizedIncompleteBeta
} from '../../../src/main/stats'
import { WBC_CLASSES } from '../../../src/shared/cells'

// Reference values from SciPy 1.17 (scipy.stats.beta.ppf / scipy.special.betainc /
// gammaln), computed outside this code base:
//   lo = beta.ppf(0.025, x, n-x+1); hi = beta.ppf(0.975, x+1, n-x)
const CLOPPER_PEARSON_SCIPY: [number, number, number, number][] = [
  [50, 100, 0.39832112950330095, 0.601678870496699],
  [0, 100, 0, 0.03621669264517641],
  [5, 200, 0.008166166190842513, 0.05737435112684586],
  [1, 10, 0.0025285785444617848, 0.4450161170281954],
  [100, 100, 0.9637833073548235, 1],
  [3, 50, 0.01254858783533406, 0.16548194660377288],
  [20, 200, 0.0621593662540661, 0.1502127878677558],
  [97, 100, 0.91482394702572, 0.9937700284616936],
  [2, 5, 0.052744950526316906, 0.8533672003653268],
  [1, 1000, 2.531748749129404e-5, 0.005558924279826672]
]

const BETAINC_SCIPY: [number, number, number, number][] = [
  [0.3, 2, 5, 0.5798250000000003],
  [0.5, 0.5, 0.5, 0.5],
  [0.01, 0.2, 3, 0.5237545708662276],
  [0.62, 500, 300, 0.383003521826823],
  [0.999, 3, 1.5, 0.9998618163126521],
  [0.2, 0.001, 2, 0.9991905700234541]
]

describe('log-gamma and the regularised incomplete beta', () => {
  it('matches SciPy gammaln', () => {
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 12)
    expect(logGamma(3.5)).toBeCloseTo(1.2009736023470743, 12)
    expect(logGamma(171.3) / 708.1149470389971).toBeCloseTo(1, 13)
    // Γ(n) = (n-1)! exactly for small n
    expect(Math.exp(logGamma(6))).toBeCloseTo(120, 9)
  })

  it.each(BETAINC_SCIPY)('I_%f(%f, %f) matches SciPy betainc', (x, a, b, expected) => {
    expect(regularizedIncompleteBeta(x, a, b)).toBeCloseTo(expected, 11)
  })

  it('agrees with the closed form of beta(1, b): 1 - (1-x)^b', () => {
    for (const [x, b] of [[0.1, 3], [0.7, 0.4], [0.95, 12]] as const) {
      expect(regularizedIncompleteBeta(x, 1, b)).toBeCloseTo(1 - (1 - x) ** b, 13)
    }
  })

  it('inverts itself', () => {
    for (const [p, a, b] of [[0.025, 5, 196], [0.975, 51, 50], [1e-6, 0.5, 0.5], [0.5, 300, 2]] as const) {
      const x = inverseRegularizedIncompleteBeta(p, a, b)
      expect(regularizedIncompleteBeta(x, a, b)).toBeCloseTo(p, 12)
    }
  })

  it('rejects parameters outside the domain', () => {
    expect(() => regularizedIncompleteBeta(1.5, 1, 1)).toThrow(RangeError)
    expect(() => regularizedIncompleteBeta(0.5, 0, 1)).toThrow(RangeError)
  })
})

describe('Clopper-Pearson interval', () => {
  it.each(CLOPPER_PEARSON_SCIPY)('%i of %i matches SciPy', (x, n, low, high) => {
    const ci = clopperPearson(x, n)
    expect(ci.low).toBeCloseTo(low, 10)
    expect(ci.high).toBeCloseTo(high, 10)
  })

  it("reproduces Rümke's table at one decimal", () => {
    const pct = (x: number, n: number) => {
      const ci = clopperPearson(x, n)
      return [Number((100 * ci.low).toFixed(1)), Number((100 * ci.high).toFixed(1))]
    }
    expect(pct(50, 100)).toEqual([39.8, 60.2])
    expect(pct(0, 100)).toEqual([0, 3.6])
  })

  it('has the closed form at the edges: 0 of n -> upper 1 - (α/2)^(1/n)', () => {
    expect(clopperPearson(0, 37).high).toBeCloseTo(1 - 0.025 ** (1 / 37), 12)
    expect(clopperPearson(37, 37).low).toBeCloseTo(0.025 ** (1 / 37), 12)
  })

  it('widens with confidence and handles zero cells counted', () => {
    const ci95 = clopperPearson(10, 100, 0.95)
    const ci99 = clopperPearson(10, 100, 0.99)
    expect(ci99.low).toBeLessThan(ci95.low)
    expect(ci99.high).toBeGreaterThan(ci95.high)
    expect(clopperPearson(0, 0)).toEqual({ low: 0, high: 1 })
    expect(() => clopperPearson(5, 4)).toThrow(RangeError)
    expect(() => clopperPearson(1.5, 4)).toThrow(RangeError)
  })
})

describe('differential count', () => {
  it('turns counts into percentages with CIs, the five always present in model order', () => {
    const diff = differentialCount({ lymphocyte: 30, neutrophil: 60, smudge: 5, monocyte: 5 }, { order: WBC_CLASSES })
    expect(diff.total).toBe(100)
    expect(diff.lines.map((l) => l.label)).toEqual([...WBC_CLASSES, 'smudge'])
    const basophil = diff.lines.find((l) => l.label === 'basophil')
    expect(basophil).toMatchObject({ count: 0, percent: 0, ciLow: 0 })
    expect(basophil?.ciHigh).toBeCloseTo(3.621669264517641, 8)
    const neutrophil = diff.lines[0]
    expect(neutrophil?.percent).toBe(60)
    expect(neutrophil?.ciLow).toBeLessThan(60)
    expect(neutrophil?.ciHigh).toBeGreaterThan(60)
    expect(diff.lines.reduce((s, l) => s + l.percent, 0)).toBeCloseTo(100, 10)
  })

  it('reports 0% with the full [0, 100] interval when nothing was counted', () => {
    const diff = differentialCount({}, { order: WBC_CLASSES })
    expect(diff.total).toBe(0)
    expect(diff.lines.every((l) => l.percent === 0 && l.ciLow === 0 && l.ciHigh === 100)).toBe(true)
  })
})
