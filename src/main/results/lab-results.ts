// A differential turned into lab results for one patient: each class's % and
// (with the WBC count) absolute count against the interval for the patient's
// sex and age, the NRBC-corrected WBC count, and the non-leukocyte objects
// per 100 WBC. The review screen, the PDF, HL7 and FHIR all read this one object.
import { UNIDENTIFIED } from '../../shared/review'
import type { AppliedRange, FlaggedValue, LabResults, ReferenceInterval, ReferenceTable } from '../../shared/ranges'
import { absoluteCount, nrbcCorrectedWbc, perHundredWbc, roundAbsolute, roundPercent } from './absolute'
import { flagFor } from './flags'
import { ageInYears, appliedRange, selectInterval } from './reference-intervals'

/** The label erythroblasts (nucleated red cells) are stored under. */
export const NRBC_LABEL = 'erythroblast'

export interface LabResultsInput {
  counted: { label: string; count: number; percent: number }[]
  notCounted: { label: string; count: number }[]
  totalCounted: number
  patient: { sex: string | null; birthDate: string | null }
  /** The analyser's WBC count, x10^9/L. */
  wbcCount: number | null
  /** The lab's analyser already excludes NRBC from its WBC count: never correct it again. */
  wbcCorrectedByAnalyser: boolean
  /** When the age is reckoned: collection time, else the report's time. */
  at: string | null
  table: ReferenceTable
}

export function labResults(input: LabResultsInput): LabResults {
  const ageYears = ageInYears(input.patient.birthDate, input.at)
  const sex = input.patient.sex
  const pick = (cls: string, measure: ReferenceInterval['measure']): AppliedRange | null => {
    const r = selectInterval(input.table.intervals, cls, measure, sex, ageYears)
    return r ? appliedRange(r) : null
  }
  const flagged = (value: number, range: AppliedRange | null): FlaggedValue => ({ value, range, flag: flagFor(value, range) })

  const nrbc = input.notCounted.find((n) => n.label === NRBC_LABEL)?.count ?? 0
  const nrbcPer100 = perHundredWbc(nrbc, input.totalCounted)
  let wbc: LabResults['wbc'] = null
  if (input.wbcCount !== null) {
    // Correcting a count the analyser already corrected would subtract the NRBC twice.
    const corrected =
      !input.wbcCorrectedByAnalyser && nrbc > 0 && nrbcPer100 !== null ? roundAbsolute(nrbcCorrectedWbc(input.wbcCount, nrbcPer100)) : null
    const used = corrected ?? input.wbcCount
    const range = pick('wbc', 'absolute')
    wbc = { measured: input.wbcCount, corrected, correctedByAnalyser: input.wbcCorrectedByAnalyser, used, range, flag: flagFor(used, range) }
  }

  return {
    wbc,
    lines: input.counted.map((l) => ({
      label: l.label,
      percent: flagged(roundPercent(l.percent), pick(l.label, 'percent')),
      absolute: wbc && input.totalCounted > 0 ? flagged(roundAbsolute(absoluteCount(l.percent, wbc.used)), pick(l.label, 'absolute')) : null
    })),
    perHundredWbc: input.notCounted
      .filter((n) => n.label !== UNIDENTIFIED && n.count > 0)
      .flatMap((n) => {
        const per100 = perHundredWbc(n.count, input.totalCounted)
        if (per100 === null) return []
        const value = roundPercent(per100)
        const range = pick(n.label, 'percent')
        return [{ label: n.label, count: n.count, per100: value, range, flag: flagFor(value, range) }]
      }),
    basis: {
      sex: (sex as LabResults['basis']['sex']) ?? null,
      ageYears: ageYears === null ? null : Math.floor(ageYears * 10) / 10,
      assumedAdult: ageYears === null,
      table: input.table.name,
      source: input.table.source
    }
  }
}
