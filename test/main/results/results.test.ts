// Lab results of a differential: the interval chosen for a patient's sex and
// age band, the flags, absolute counts and the NRBC-corrected WBC count,
// worked by hand (figures in the comments) rather than by the code under test.
import { describe, expect, it } from 'vitest'
import type { ReferenceInterval } from '../../../src/shared/ranges'
import {
  absoluteCount, ageInYears, DEFAULT_REFERENCE_TABLE, flagFor, labResults, nrbcCorrectedWbc, perHundredWbc, referenceTableProblems, selectInterval
} from '../../../src/main/results'

const row = (over: Partial<ReferenceInterval>): ReferenceInterval => ({
  class: 'neutrophil', measure: 'percent', sex: null, ageFromYears: 18, ageToYears: null, low: 40, high: 80, criticalLow: null, criticalHigh: null, ...over
})

// A lab table with sex- and age-specific rows (figures invented for the test, not a reference).
const TABLE: ReferenceInterval[] = [
  row({ ageFromYears: 0, ageToYears: 1, low: 20, high: 60 }),
  row({ ageFromYears: 1, ageToYears: 18, low: 30, high: 70 }),
  row({ ageFromYears: 18, ageToYears: null, low: 40, high: 80 }),
  row({ sex: 'F', ageFromYears: 18, ageToYears: 50, low: 42, high: 78 }),
  row({ measure: 'absolute', low: 2, high: 7, criticalLow: 0.5 })
]

describe('reference interval selection', () => {
  it('picks the age band holding the age, from inclusive to exclusive', () => {
    expect(selectInterval(TABLE, 'neutrophil', 'percent', 'M', 0.5)!.low).toBe(20)
    expect(selectInterval(TABLE, 'neutrophil', 'percent', 'M', 1)!.low).toBe(30)
    expect(selectInterval(TABLE, 'neutrophil', 'percent', 'M', 17.99)!.low).toBe(30)
    expect(selectInterval(TABLE, 'neutrophil', 'percent', 'M', 18)!.low).toBe(40)
  })
  it("prefers the patient's own sex, falls back to both sexes, and gives unknown sex only the both-sexes row", () => {
    expect(selectInterval(TABLE, 'neutrophil', 'percent', 'F', 30)!.low).toBe(42)
    expect(selectInterval(TABLE, 'neutrophil', 'percent', 'F', 50)!.low).toBe(40) // the F band ends at 50
    expect(selectInterval(TABLE, 'neutrophil', 'percent', 'M', 30)!.low).toBe(40)
    expect(selectInterval(TABLE, 'neutrophil', 'percent', 'U', 30)!.low).toBe(40)
    expect(selectInterval(TABLE, 'neutrophil', 'percent', null, 30)!.low).toBe(40)
  })
  it('reads an unknown age as an adult, and has nothing for a class the table lacks', () => {
    expect(selectInterval(TABLE, 'neutrophil', 'percent', null, null)!.low).toBe(40)
    expect(selectInterval(TABLE, 'monocyte', 'percent', null, 30)).toBeNull()
  })
  it('reckons age from birth date to collection', () => {
    expect(ageInYears('2000-03-02', '2026-03-02T08:00:00Z')).toBeCloseTo(26, 1)
    expect(ageInYears('2026-01-01', '2026-03-02T00:00:00Z')! * 12).toBeCloseTo(2, 0)
    expect(ageInYears(null, '2026-03-02T00:00:00Z')).toBeNull()
    expect(ageInYears('2027-01-01', '2026-03-02T00:00:00Z')).toBeNull()
  })
  it('refuses a table where two rows could both apply, or limits are inverted', () => {
    expect(referenceTableProblems(TABLE)).toEqual([])
    expect(referenceTableProblems(DEFAULT_REFERENCE_TABLE.intervals)).toEqual([])
    expect(referenceTableProblems([...TABLE, row({ ageFromYears: 10, ageToYears: 20 })]).join()).toMatch(/overlap/)
    expect(referenceTableProblems([row({ low: 9, high: 3 })]).join()).toMatch(/low is above high/)
    expect(referenceTableProblems([row({ low: 2, criticalLow: 3 })]).join()).toMatch(/critical low/)
  })
})

describe('flags', () => {
  const range = { low: 2, high: 7, criticalLow: 0.5, criticalHigh: 30, text: '2-7' }
  it('gives L/H outside the interval, LL/HH beyond the critical limits, none inside or on a limit', () => {
    expect(flagFor(2, range)).toBeNull()
    expect(flagFor(7, range)).toBeNull()
    expect(flagFor(1.99, range)).toBe('L')
    expect(flagFor(0.49, range)).toBe('LL')
    expect(flagFor(0.5, range)).toBe('L')
    expect(flagFor(7.01, range)).toBe('H')
    expect(flagFor(30.01, range)).toBe('HH')
    expect(flagFor(99, null)).toBeNull()
  })
})

describe('absolute counts and NRBC correction', () => {
  it('multiplies the share by the WBC count', () => {
    expect(absoluteCount(58, 7.5)).toBeCloseTo(4.35, 10) // 0.58 x 7.5
  })
  it('corrects the WBC for nucleated red cells as WBC x 100 / (100 + NRBC per 100 WBC)', () => {
    expect(nrbcCorrectedWbc(18, 80)).toBeCloseTo(10, 10) // 18 x 100 / 180
    expect(nrbcCorrectedWbc(17.4, 8)).toBeCloseTo(16.111, 3) // 17.4 x 100 / 108
    expect(nrbcCorrectedWbc(5, 0)).toBe(5)
  })
  it('counts objects per 100 leukocytes counted', () => {
    expect(perHundredWbc(8, 200)).toBe(4)
    expect(perHundredWbc(3, 0)).toBeNull()
  })

  it('turns a differential into results: flags per class, absolute counts from the corrected WBC, NRBC per 100 WBC', () => {
    // 200 leukocytes, 20 erythroblasts: 10 per 100 WBC; WBC 11.0 corrected = 11 x 100 / 110 = 10.0.
    const input = {
      counted: [
        { label: 'neutrophil', count: 170, percent: 85 },
        { label: 'eosinophil', count: 0, percent: 0 },
        { label: 'basophil', count: 2, percent: 1 },
        { label: 'lymphocyte', count: 20, percent: 10 },
        { label: 'monocyte', count: 8, percent: 4 }
      ],
      notCounted: [
        { label: 'erythroblast', count: 20 },
        { label: 'smudge', count: 3 },
        { label: 'unidentified', count: 0 }
      ],
      totalCounted: 200,
      patient: { sex: 'F', birthDate: '1950-03-04' },
      wbcCount: 11,
      at: '2026-03-02T08:30:00+01:00',
      table: DEFAULT_REFERENCE_TABLE
    }
    const r = labResults({ ...input, wbcCorrectedByAnalyser: false })
    expect(r.wbc).toMatchObject({ measured: 11, corrected: 10, correctedByAnalyser: false, used: 10, flag: null })
    const by = Object.fromEntries(r.lines.map((l) => [l.label, l]))
    // Neutrophils 85% (ref 40-80: H), 8.50 x10^9/L (ref 2.0-7.0: H).
    expect(by.neutrophil!.percent).toMatchObject({ value: 85, flag: 'H', range: { text: '40-80' } })
    expect(by.neutrophil!.absolute).toMatchObject({ value: 8.5, flag: 'H', range: { text: '2-7' } })
    // Eosinophils 0% (ref 1-6: L), 0 x10^9/L (ref 0.02-0.5: L).
    expect(by.eosinophil!.percent.flag).toBe('L')
    expect(by.eosinophil!.absolute!.flag).toBe('L')
    // Lymphocytes 10% (L), 1.00 x10^9/L (ref 1.0-3.0: on the limit, no flag).
    expect(by.lymphocyte!.percent.flag).toBe('L')
    expect(by.lymphocyte!.absolute).toMatchObject({ value: 1, flag: null })
    expect(by.basophil!.absolute).toMatchObject({ value: 0.1, flag: null })
    expect(r.perHundredWbc).toEqual([
      { label: 'erythroblast', count: 20, per100: 10, flag: null, range: null },
      { label: 'smudge', count: 3, per100: 1.5, flag: null, range: null }
    ])
    expect(r.basis).toMatchObject({ sex: 'F', assumedAdult: false, table: DEFAULT_REFERENCE_TABLE.name })
    expect(r.basis.ageYears).toBeCloseTo(75.9, 1)

    // An analyser that already excludes NRBC from its count: used as it is, the absolute counts from 11.0.
    const asCounted = labResults({ ...input, wbcCorrectedByAnalyser: true })
    expect(asCounted.wbc).toMatchObject({ measured: 11, corrected: null, correctedByAnalyser: true, used: 11 })
    expect(asCounted.lines.find((l) => l.label === 'neutrophil')!.absolute).toMatchObject({ value: 9.35, flag: 'H' })
    // The NRBC are still reported per 100 WBC.
    expect(asCounted.perHundredWbc[0]).toMatchObject({ label: 'erythroblast', per100: 10 })
  })

  it('flags a critically low neutrophil count (< 0.5 x10^9/L) LL, and has no absolute counts without a WBC count', () => {
    const input = {
      counted: [{ label: 'neutrophil', count: 4, percent: 4 }],
      notCounted: [],
      totalCounted: 100,
      patient: { sex: null, birthDate: null },
      at: null,
      table: DEFAULT_REFERENCE_TABLE,
      wbcCorrectedByAnalyser: false
    }
    // 4% of 2.0 = 0.08 x10^9/L.
    expect(labResults({ ...input, wbcCount: 2 }).lines[0]!.absolute).toMatchObject({ value: 0.08, flag: 'LL' })
    const none = labResults({ ...input, wbcCount: null })
    expect(none.wbc).toBeNull()
    expect(none.lines[0]!.absolute).toBeNull()
    expect(none.lines[0]!.percent.flag).toBe('L')
    expect(none.basis.assumedAdult).toBe(true)
  })
})
