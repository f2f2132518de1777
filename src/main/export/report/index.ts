// Exports of one slide's differential count: CSV, HL7 v2.5.1 ORU^R01, FHIR R4
// and a printable PDF, all built from one DifferentialReport object.
export * from './types'
export * from './loinc'
export { capitalise, formatLabTime, labTimeZone, modelLabel } from './format'
export { differentialToCsv } from './csv'
export { differentialToHl7, escapeHl7, toHl7DateTime, type Hl7Options } from './hl7'
export { differentialToFhir, STATISTIC_CODE_SYSTEM } from './fhir'
export { differentialToPdf } from './pdf'
