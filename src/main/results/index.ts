// A differential as lab results: absolute counts from the WBC count, the
// NRBC-corrected WBC count, non-leukocyte objects per 100 WBC, reference
// intervals by sex and age band (a configurable table; the default adult one
// names its source) and H / L / HH / LL flags.
export { absoluteCount, nrbcCorrectedWbc, perHundredWbc, roundAbsolute, roundPercent } from './absolute'
export { FLAG_WORDS, flagFor } from './flags'
export { labResults, NRBC_LABEL, type LabResultsInput } from './lab-results'
export {
  ageInYears, appliedRange, ASSUMED_ADULT_AGE, DEFAULT_REFERENCE_TABLE, referenceTableProblems, selectInterval
} from './reference-intervals'
export { referenceTable, resetReferenceTable, setReferenceTable } from './tables'
