// Number and label formatting shared by the exports, so a percentage reads the
// same in the CSV, the HL7 message, the FHIR bundle and the printed report.
import { cellLabelTitle } from '../../../shared/cells'

/** Percentages to one decimal, the precision of Rümke's table. */
export function formatPercent(value: number): string {
  return value.toFixed(1)
}

/** Rounds as formatPercent does, as a number (for FHIR valueQuantity). */
export function roundPercent(value: number): number {
  return Math.round(value * 10) / 10
}

/** A label as it reads in a report: capitalised, abbreviations in capitals ("IG"). */
export function capitalise(label: string): string {
  return cellLabelTitle(label)
}

/** Absolute counts (x10^9/L) to two decimals, the precision of the analyser's differential. */
export function formatAbsolute(value: number): string {
  return value.toFixed(2)
}
