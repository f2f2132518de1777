// The reference intervals a result is judged against: the default adult
// table (its published source named), the check that a lab's own table is
// unambiguous, and the choice of the interval for one patient's sex and age.
import type { AppliedRange, ReferenceInterval, ReferenceTable } from '../../shared/ranges'

const adult = (
  cls: string,
  measure: ReferenceInterval['measure'],
  low: number,
  high: number,
  critical: { low?: number; high?: number } = {}
): ReferenceInterval => ({
  class: cls,
  measure,
  sex: null,
  ageFromYears: 18,
  ageToYears: null,
  low,
  high,
  criticalLow: critical.low ?? null,
  criticalHigh: critical.high ?? null
})

/**
 * Adult intervals from Dacie and Lewis Practical Haematology (Bain, Bates,
 * Laffan eds., 12th ed., Elsevier 2017, ch. 2 "Reference ranges and normal
 * values", haematological values for normal adults): WBC 4.0-10.0 x10^9/L;
 * neutrophils 2.0-7.0 (40-80%), lymphocytes 1.0-3.0 (20-40%), monocytes
 * 0.2-1.0 (2-10%), eosinophils 0.02-0.5 (1-6%), basophils 0.02-0.1 (<1-2%,
 * entered as 0-2). The one critical limit is an absolute neutrophil count
 * under 0.5 x10^9/L, the grade 4 neutropenia of the NCI's CTCAE v5.0. A lab
 * replaces all of it with its own verified intervals (`wbc ranges set`).
 */
export const DEFAULT_REFERENCE_TABLE: ReferenceTable = {
  name: 'Adult default (Dacie and Lewis)',
  source:
    'Dacie and Lewis Practical Haematology, 12th ed. (Bain BJ, Bates I, Laffan MA, eds.; Elsevier, 2017), chapter 2, reference ranges for normal adults; critical neutrophil count < 0.5 x10^9/L: NCI CTCAE v5.0 grade 4 neutropenia',
  intervals: [
    adult('wbc', 'absolute', 4.0, 10.0),
    adult('neutrophil', 'percent', 40, 80),
    adult('neutrophil', 'absolute', 2.0, 7.0, { low: 0.5 }),
    adult('lymphocyte', 'percent', 20, 40),
    adult('lymphocyte', 'absolute', 1.0, 3.0),
    adult('monocyte', 'percent', 2, 10),
    adult('monocyte', 'absolute', 0.2, 1.0),
    adult('eosinophil', 'percent', 1, 6),
    adult('eosinophil', 'absolute', 0.02, 0.5),
    adult('basophil', 'percent', 0, 2),
    adult('basophil', 'absolute', 0.02, 0.1)
  ]
}

/** Why a table cannot be used: inverted limits, or two intervals that could both apply to one patient. Empty when it is fine. */
export function referenceTableProblems(intervals: readonly ReferenceInterval[]): string[] {
  const problems: string[] = []
  const name = (r: ReferenceInterval) =>
    `${r.class} ${r.measure} ${r.sex ?? 'any sex'} ${r.ageFromYears}-${r.ageToYears ?? ''} y`
  intervals.forEach((r, i) => {
    if (r.ageToYears !== null && r.ageToYears <= r.ageFromYears) problems.push(`row ${i + 1} (${name(r)}): the age band is empty`)
    if (r.low !== null && r.high !== null && r.low > r.high) problems.push(`row ${i + 1} (${name(r)}): low is above high`)
    if (r.criticalLow !== null && r.low !== null && r.criticalLow > r.low) problems.push(`row ${i + 1} (${name(r)}): the critical low is above the low limit`)
    if (r.criticalHigh !== null && r.high !== null && r.criticalHigh < r.high) problems.push(`row ${i + 1} (${name(r)}): the critical high is below the high limit`)
    if (r.low === null && r.high === null && r.criticalLow === null && r.criticalHigh === null) problems.push(`row ${i + 1} (${name(r)}): no limit given`)
    for (let j = 0; j < i; j++) {
      const o = intervals[j]!
      if (o.class !== r.class || o.measure !== r.measure || o.sex !== r.sex) continue
      const overlap = r.ageFromYears < (o.ageToYears ?? Infinity) && o.ageFromYears < (r.ageToYears ?? Infinity)
      if (overlap) problems.push(`rows ${j + 1} and ${i + 1} (${name(r)}): age bands overlap, so either could apply`)
    }
  })
  return problems
}

/** Age in whole and part years between a birth date and a moment (null when either is unknown or the order is reversed). */
export function ageInYears(birthDate: string | null, at: string | null): number | null {
  if (!birthDate || !at) return null
  const born = Date.parse(`${birthDate}T00:00:00Z`)
  const then = Date.parse(at)
  if (Number.isNaN(born) || Number.isNaN(then) || then < born) return null
  return (then - born) / (365.2425 * 24 * 3600 * 1000)
}

/** An unknown age is read as an adult's: the band that holds 18 years. */
export const ASSUMED_ADULT_AGE = 18

/**
 * The interval for this class and measure, sex and age: an interval for the
 * patient's own sex wins over one for both sexes; a patient of unknown or
 * other sex gets only intervals for both sexes.
 */
export function selectInterval(
  intervals: readonly ReferenceInterval[],
  cls: string,
  measure: ReferenceInterval['measure'],
  sex: string | null,
  ageYears: number | null
): ReferenceInterval | null {
  const age = ageYears ?? ASSUMED_ADULT_AGE
  const fits = intervals.filter(
    (r) => r.class === cls && r.measure === measure && r.ageFromYears <= age && (r.ageToYears === null || age < r.ageToYears)
  )
  return fits.find((r) => r.sex !== null && r.sex === sex) ?? fits.find((r) => r.sex === null) ?? null
}

function num(n: number): string {
  return String(Number(n.toFixed(3)))
}

export function appliedRange(r: ReferenceInterval): AppliedRange {
  const text =
    r.low !== null && r.high !== null ? `${num(r.low)}-${num(r.high)}` : r.high !== null ? `<=${num(r.high)}` : r.low !== null ? `>=${num(r.low)}` : ''
  return { low: r.low, high: r.high, criticalLow: r.criticalLow, criticalHigh: r.criticalHigh, text }
}
