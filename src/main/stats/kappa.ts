// Agreement between readers who classified the same cells (blind sessions):
// Cohen's kappa for two readers, Fleiss' kappa for any number (Fleiss 1971),
// each the observed agreement corrected for the agreement expected by chance
// from how often each class was used. 1 is perfect agreement, 0 what chance
// gives. (Agreement of two measurements, Bland-Altman, is ./agreement.)

export interface Kappa {
  kappa: number | null
  /** Observed agreement (share of pairs that agree). */
  observed: number | null
  /** Agreement expected by chance. */
  expected: number | null
  /** Items (cells) the kappa is computed over. */
  items: number
  raters: number
}

/** Cohen's kappa for two readers' answers to the same items (pairs [a, b]). Null when there is nothing to compare, or chance agreement is total. */
export function cohenKappa(pairs: readonly (readonly [string, string])[]): Kappa {
  const n = pairs.length
  if (n === 0) return { kappa: null, observed: null, expected: null, items: 0, raters: 2 }
  const a = new Map<string, number>()
  const b = new Map<string, number>()
  let agree = 0
  for (const [x, y] of pairs) {
    if (x === y) agree++
    a.set(x, (a.get(x) ?? 0) + 1)
    b.set(y, (b.get(y) ?? 0) + 1)
  }
  const observed = agree / n
  let expected = 0
  for (const [k, na] of a) expected += (na / n) * ((b.get(k) ?? 0) / n)
  return { kappa: expected === 1 ? null : (observed - expected) / (1 - expected), observed, expected, items: n, raters: 2 }
}

/**
 * Fleiss' kappa: `ratings[i]` is every reader's answer to item i (the same
 * number of readers for every item). Null when there is nothing to compare,
 * or chance agreement is total.
 */
export function fleissKappa(ratings: readonly (readonly string[])[]): Kappa {
  const N = ratings.length
  const m = N ? ratings[0].length : 0
  if (N === 0 || m < 2) return { kappa: null, observed: null, expected: null, items: N, raters: m }
  if (ratings.some((r) => r.length !== m)) throw new Error('Fleiss kappa needs the same number of ratings for every item')
  const totals = new Map<string, number>()
  let sumP = 0
  for (const item of ratings) {
    const counts = new Map<string, number>()
    for (const c of item) counts.set(c, (counts.get(c) ?? 0) + 1)
    let agreeing = 0
    for (const [c, k] of counts) {
      agreeing += k * (k - 1)
      totals.set(c, (totals.get(c) ?? 0) + k)
    }
    sumP += agreeing / (m * (m - 1))
  }
  const observed = sumP / N
  let expected = 0
  for (const k of totals.values()) expected += (k / (N * m)) ** 2
  return { kappa: expected === 1 ? null : (observed - expected) / (1 - expected), observed, expected, items: N, raters: m }
}
