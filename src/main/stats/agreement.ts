// Agreement between two methods that measure the same thing on the same
// samples (Bland & Altman, Lancet 1986): the mean difference (bias) and the
// 95% limits of agreement, bias +- 1.96 SD of the differences. Used to compare
// the workstation's differential with a manual one, as CLSI H20-A2 asks.

export interface BlandAltman {
  /** Samples compared. */
  n: number
  /** Mean of (test - reference). */
  bias: number
  /** Sample standard deviation of the differences (n - 1); null under 2 samples. */
  sd: number | null
  /** bias - 1.96 SD and bias + 1.96 SD; null under 2 samples. */
  lower: number | null
  upper: number | null
}

/** Bias and 95% limits of agreement of paired differences (test - reference). */
export function blandAltman(differences: readonly number[]): BlandAltman {
  const n = differences.length
  if (n === 0) return { n, bias: NaN, sd: null, lower: null, upper: null }
  const bias = differences.reduce((a, b) => a + b, 0) / n
  if (n < 2) return { n, bias, sd: null, lower: null, upper: null }
  const sd = Math.sqrt(differences.reduce((a, d) => a + (d - bias) ** 2, 0) / (n - 1))
  return { n, bias, sd, lower: bias - 1.96 * sd, upper: bias + 1.96 * sd }
}
