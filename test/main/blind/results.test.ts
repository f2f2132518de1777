// The closed-session report's arithmetic on hand-made outcomes with known answers.
import { describe, expect, it } from 'vitest'
import { reportFromOutcomes } from '../../../src/main/blind/results'
import type { BlindCellOutcome } from '../../../src/main/store'

function cell(position: number, origin: 'real' | 'synthetic', trueClass: string, answeredClass: string | null, answeredOrigin: 'real' | 'synthetic' | null): BlindCellOutcome {
  return { position, token: `t${position}`, origin, imageId: origin === 'real' ? position + 1 : null, syntheticImageId: origin === 'synthetic' ? position + 1 : null, trueClass, answeredClass, answeredOrigin, who: answeredClass ? 'dr' : null, answeredAt: answeredClass ? '2024-01-01T00:00:00.000Z' : null, answers: answeredClass ? 1 : 0 }
}

describe('blind results', () => {
  it('computes confusion matrices, accuracies, detection with exact 95% CIs, and the CSV', () => {
    const C = ['lymphocyte', 'monocyte']
    // 6 real, 6 generated; the expert calls origin on 10 cells, 5 right.
    const outcomes = [
      cell(0, 'real', 'lymphocyte', 'lymphocyte', 'real'),
      cell(1, 'synthetic', 'lymphocyte', 'lymphocyte', 'real'),
      cell(2, 'real', 'monocyte', 'lymphocyte', 'synthetic'),
      cell(3, 'synthetic', 'monocyte', 'monocyte', 'synthetic'),
      cell(4, 'real', 'lymphocyte', 'lymphocyte', 'real'),
      cell(5, 'synthetic', 'lymphocyte', 'monocyte', 'real'),
      cell(6, 'real', 'monocyte', 'monocyte', 'synthetic'),
      cell(7, 'synthetic', 'monocyte', 'monocyte', 'synthetic'),
      cell(8, 'real', 'lymphocyte', 'lymphocyte', 'real'),
      cell(9, 'synthetic', 'lymphocyte', 'lymphocyte', 'real'),
      cell(10, 'real', 'monocyte', 'monocyte', null),
      cell(11, 'synthetic', 'monocyte', null, null)
    ]
    const r = reportFromOutcomes(outcomes, C, true)
    expect(r.confusion.real).toEqual([[3, 0], [1, 2]])
    expect(r.confusion.generated).toEqual([[2, 1], [0, 2]])
    expect(r.confusion.all).toEqual([[5, 1], [1, 4]])
    expect(r.accuracy.real).toMatchObject({ successes: 5, trials: 6 })
    expect(r.accuracy.generated).toMatchObject({ successes: 4, trials: 5 })
    expect(r.unanswered).toBe(1)
    // Origin right: cells 0, 3, 4, 7, 8 -> 5 of 10; Clopper-Pearson 95% for 5/10 is 0.1871-0.8129.
    expect(r.detection!.rate).toMatchObject({ successes: 5, trials: 10, rate: 0.5 })
    expect(r.detection!.rate.ci95.low).toBeCloseTo(0.1871, 4)
    expect(r.detection!.rate.ci95.high).toBeCloseTo(0.8129, 4)
    expect(r.detection!.generatedCalledGenerated).toMatchObject({ successes: 2, trials: 5 })
    expect(r.detection!.realCalledReal).toMatchObject({ successes: 3, trials: 5 })
    expect(r.perClass.find((p) => p.class === 'monocyte')!.real).toMatchObject({ successes: 2, trials: 3 })
    // 0 of 0: no rate, the whole interval.
    expect(reportFromOutcomes([cell(0, 'real', 'monocyte', null, null)], C, true).detection!.rate).toMatchObject({ rate: null, ci95: { low: 0, high: 1 } })
    expect(reportFromOutcomes(outcomes, C, false).detection).toBeNull()
    const csv = r.csv.trim().split('\n')
    expect(csv).toHaveLength(13)
    expect(csv[3]).toBe('3,t2,real,monocyte,lymphocyte,false,generated,false,dr,2024-01-01T00:00:00.000Z,3,')
    expect(csv[12]).toBe('12,t11,generated,monocyte,,,,,,,,12')
  })

  it('neutralises a name in the CSV that a spreadsheet would run as a formula', () => {
    const c = { ...cell(0, 'real', 'monocyte', 'monocyte', 'real'), who: '=HYPERLINK("http://x")' }
    const csv = reportFromOutcomes([c], ['monocyte', 'lymphocyte'], true).csv.trim().split('\n')
    expect(csv[1]).toBe(`1,t0,real,monocyte,monocyte,true,real,true,"'=HYPERLINK(""http://x"")",2024-01-01T00:00:00.000Z,1,`)
  })
})
