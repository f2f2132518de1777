// The closed-session report's arithmetic on hand-made outcomes with known answers.
import { describe, expect, it } from 'vitest'
import { reportFromOutcomes } from '../../../src/main/blind/results'
import type { BlindCellOutcome } from '../../../src/main/store'
import { clopperPearson } from '../../../src/main/stats'

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

  it('reports each reader apart, pools them, and measures their agreement', () => {
    const C = ['lymphocyte', 'monocyte']
    const as = (c: ReturnType<typeof cell>, readerId: number, who: string) => ({ ...c, readerId, who })
    // Four cells; readers 1 and 2 answer all four, reader 3 only the first two.
    const truth = [cell(0, 'real', 'lymphocyte', null, null), cell(1, 'synthetic', 'monocyte', null, null), cell(2, 'real', 'monocyte', null, null), cell(3, 'synthetic', 'lymphocyte', null, null)]
    const answer = (i: number, cls: string, origin: 'real' | 'synthetic') => ({ ...truth[i], answeredClass: cls, answeredOrigin: origin, answeredAt: '2024-01-01T00:00:00.000Z', answers: 1 })
    const two = [
      as(answer(0, 'lymphocyte', 'real'), 1, 'ana'), as(answer(0, 'lymphocyte', 'real'), 2, 'bo'),
      as(answer(1, 'monocyte', 'real'), 1, 'ana'), as(answer(1, 'lymphocyte', 'synthetic'), 2, 'bo'),
      as(answer(2, 'monocyte', 'real'), 1, 'ana'), as(answer(2, 'monocyte', 'real'), 2, 'bo'),
      as(answer(3, 'lymphocyte', 'synthetic'), 1, 'ana'), as(answer(3, 'lymphocyte', 'synthetic'), 2, 'bo')
    ]
    const r = reportFromOutcomes(two, C, true)
    expect(r.readers.map((x) => [x.userId, x.name, x.answered, x.accuracy.all.successes, x.detection!.rate.successes])).toEqual([[1, 'ana', 4, 4, 3], [2, 'bo', 4, 3, 4]])
    expect(r.readers[1].detection!.rate.ci95).toEqual(clopperPearson(4, 4))
    // Pooled: 8 answers, 7 classes right.
    expect(r.accuracy.all).toMatchObject({ successes: 7, trials: 8 })
    expect(r.cells).toHaveLength(8)
    // Class pairs (l,l) (m,l) (m,m) (l,l): po 3/4; ana l 2/4, bo l 3/4 -> pe 0.5*0.75 + 0.5*0.25 = 0.5; kappa 0.5.
    expect(r.agreement).toMatchObject({ method: 'cohen', readers: 2, class: { items: 4, observed: 0.75, expected: 0.5, kappa: 0.5 } })
    expect(r.agreement!.origin!.items).toBe(4)
    // A third reader on two cells: Fleiss over the cells all three answered.
    const three = [...two, as(answer(0, 'lymphocyte', 'real'), 3, 'cy'), as(answer(1, 'monocyte', 'synthetic'), 3, 'cy')]
    const f = reportFromOutcomes(three, C, true).agreement!
    expect(f).toMatchObject({ method: 'fleiss', readers: 3, class: { items: 2 } })
    // Item 1: l,l,l (P=1); item 2: m,l,m (P=1/3): observed 2/3; shares l 4/6, m 2/6: expected 5/9; kappa 0.25.
    expect(f.class.observed).toBeCloseTo(2 / 3, 12)
    expect(f.class.kappa).toBeCloseTo(0.25, 12)
    // One reader: no agreement to measure.
    expect(reportFromOutcomes(two.filter((c) => c.readerId === 1), C, true).agreement).toBeNull()
  })
})
