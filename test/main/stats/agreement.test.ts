// Inter-reader agreement against published worked examples.
import { describe, expect, it } from 'vitest'
import { cohenKappa, fleissKappa } from '../../../src/main/stats'

const repeat = <T>(x: T, n: number): T[] => Array.from({ length: n }, () => x)

describe('agreement', () => {
  it("Cohen's kappa: 50 items, 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no gives 0.4 (po 0.7, pe 0.5)", () => {
    const pairs = [...repeat(['yes', 'yes'] as const, 20), ...repeat(['yes', 'no'] as const, 5), ...repeat(['no', 'yes'] as const, 10), ...repeat(['no', 'no'] as const, 15)]
    const k = cohenKappa(pairs)
    expect(k.observed).toBeCloseTo(0.7, 12)
    expect(k.expected).toBeCloseTo(0.5, 12)
    expect(k.kappa).toBeCloseTo(0.4, 12)
    expect(cohenKappa([]).kappa).toBeNull()
    expect(cohenKappa([['a', 'a'], ['a', 'a']]).kappa).toBeNull()
  })

  it("Fleiss' kappa: Fleiss (1971) as worked on Wikipedia, 10 items, 14 raters, 5 categories: 0.210", () => {
    // Counts per item for categories 1..5.
    const table = [
      [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]
    ]
    const ratings = table.map((row) => row.flatMap((n, c) => repeat(`c${c + 1}`, n)))
    const k = fleissKappa(ratings)
    expect(k.observed).toBeCloseTo(0.378, 3)
    expect(k.expected).toBeCloseTo(0.213, 3)
    expect(k.kappa).toBeCloseTo(0.21, 2)
    // Two raters: Fleiss' kappa is Scott's pi, not Cohen's kappa; perfect agreement is 1 either way.
    expect(fleissKappa([['a', 'a'], ['b', 'b'], ['a', 'a']]).kappa).toBeCloseTo(1, 12)
    expect(() => fleissKappa([['a', 'b'], ['a']])).toThrow()
  })
})
