// Reference intervals, critical limits and the flags they give a result:
// what the lab configures (a table of intervals per class, measure, sex and
// age band) and what every layer shows (H / L, HH / LL). Types and constants
// only (no Node, no DOM); the core in src/main/results selects and applies them.
import type { CellLabel } from './cells'

/** A share of the leukocytes counted (%), or an absolute count (x10^9/L). */
export const RANGE_MEASURES = ['percent', 'absolute'] as const
export type RangeMeasure = (typeof RANGE_MEASURES)[number]

/** One reference interval: a class and measure, for one sex (or both) and an age band. */
export interface ReferenceInterval {
  /** A WBC class, another counted label (ig, blast ...), 'erythroblast' (per 100 WBC, measure 'percent'), or 'wbc' (measure 'absolute': the WBC count). */
  class: CellLabel
  measure: RangeMeasure
  /** null: both sexes. */
  sex: 'F' | 'M' | null
  /** Age band in years, from (inclusive) ... */
  ageFromYears: number
  /** ... to (exclusive); null: no upper bound. */
  ageToYears: number | null
  low: number | null
  high: number | null
  /** Results beyond these are critical (LL / HH). */
  criticalLow: number | null
  criticalHigh: number | null
}

export interface ReferenceTable {
  name: string
  /** The published source (or the lab's own study) the intervals come from. */
  source: string
  intervals: ReferenceInterval[]
}

/** A stored table, with who set it and when (the default one has id null). */
export interface ReferenceTableView extends ReferenceTable {
  id: number | null
  who: string | null
  at: string | null
}

/** HL7 v2 table 0078 abnormal flags; FHIR's v3 ObservationInterpretation uses the same codes. */
export type ResultFlag = 'LL' | 'L' | 'H' | 'HH'

/** The interval a result was judged against. */
export interface AppliedRange {
  low: number | null
  high: number | null
  criticalLow: number | null
  criticalHigh: number | null
  /** e.g. "40-80" or "< 2", as printed and sent in OBX-7. */
  text: string
}

/** A measure of one class with its interval and flag (no interval: no flag). */
export interface FlaggedValue {
  value: number
  range: AppliedRange | null
  flag: ResultFlag | null
}

/** The differential as lab results: percentages and absolute counts with ranges and flags, non-WBC classes per 100 WBC. */
export interface LabResults {
  /**
   * The analyser's WBC count (x10^9/L) and, when erythroblasts were counted and
   * the analyser had not already excluded them, the NRBC-corrected count used
   * for absolute counts. `correctedByAnalyser`: the lab says its analyser's
   * count is already corrected for NRBC, so it is used as it is.
   */
  wbc: { measured: number; corrected: number | null; correctedByAnalyser: boolean; used: number; flag: ResultFlag | null; range: AppliedRange | null } | null
  lines: { label: CellLabel; percent: FlaggedValue; absolute: FlaggedValue | null }[]
  /** Non-leukocyte objects counted beside the leukocytes (erythroblasts, smudge cells ...), per 100 leukocytes counted. */
  perHundredWbc: { label: CellLabel; count: number; per100: number; flag: ResultFlag | null; range: AppliedRange | null }[]
  /** Who the intervals were chosen for, and which table. */
  basis: { sex: 'F' | 'M' | 'O' | 'U' | null; ageYears: number | null; assumedAdult: boolean; table: string; source: string }
}
