// Absolute counts from a differential and the WBC count, the WBC count
// corrected for nucleated red cells, and non-leukocyte objects per 100 WBC.
// Rounding is the reporting precision: % to 0.1, x10^9/L to 0.01.

/** Absolute count in x10^9/L of a class that is `percent` % of the leukocytes. */
export function absoluteCount(percent: number, wbc: number): number {
  return (percent / 100) * wbc
}

/**
 * An analyser counts nucleated red cells as leukocytes; with `nrbcPer100`
 * of them seen per 100 leukocytes the leukocytes alone are
 * WBC x 100 / (100 + NRBC per 100 WBC).
 */
export function nrbcCorrectedWbc(wbc: number, nrbcPer100: number): number {
  if (nrbcPer100 < 0) throw new RangeError('NRBC per 100 WBC cannot be negative')
  return (wbc * 100) / (100 + nrbcPer100)
}

/** Objects seen per 100 leukocytes counted (null when no leukocyte was counted). */
export function perHundredWbc(count: number, leukocytesCounted: number): number | null {
  return leukocytesCounted > 0 ? (count * 100) / leukocytesCounted : null
}

export function roundPercent(x: number): number {
  return Math.round(x * 10) / 10
}

export function roundAbsolute(x: number): number {
  return Math.round(x * 100) / 100
}
