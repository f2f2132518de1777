// Exact binomial confidence intervals for differential counts. A specialist
// who counts 100 cells and finds 5 basophils does not know the patient has 5%:
// Rümke's table gives the range the true share plausibly lies in, and it is
// the Clopper-Pearson interval computed here from the beta distribution.

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; ~15 significant digits). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs x > 0, got ${x}`)
  if (x < 0.5) {
    // Reflection keeps the series in its accurate range.
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  }
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7
  ]
  const z = x - 1
  let sum = c[0] as number
  for (let i = 1; i < 9; i++) sum += (c[i] as number) / (z + i)
  const t = z + 7.5
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum)
}

/** Continued fraction of I_x(a, b), evaluated with the modified Lentz method. */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300
  const epsilon = 1e-16
  const qab = a + b
  const qap = a + 1
  const qam = a - 1
  let c = 1
  let d = 1 - (qab * x) / qap
  if (Math.abs(d) < tiny) d = tiny
  d = 1 / d
  let h = d
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2))
    d = 1 + aa * d
    if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    h *= d * c
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2))
    d = 1 + aa * d
    if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < epsilon) return h
  }
  throw new Error(`incomplete beta continued fraction did not converge (x=${x}, a=${a}, b=${b})`)
}

/** Regularised incomplete beta function I_x(a, b), the beta(a, b) CDF at x. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`beta parameters must be > 0 (a=${a}, b=${b})`)
  if (!(x >= 0 && x <= 1)) throw new RangeError(`x must lie in [0, 1], got ${x}`)
  if (x === 0) return 0
  if (x === 1) return 1
  const logFront = a * Math.log(x) + b * Math.log1p(-x) - (logGamma(a) + logGamma(b) - logGamma(a + b))
  // The fraction converges fast only on the side of the mean; use the
  // symmetry I_x(a, b) = 1 - I_{1-x}(b, a) on the other.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b
}

/**
 * Inverse of I_x(a, b) in x: the p-quantile of beta(a, b). Bisection, because
 * the CDF is monotone and bisection cannot diverge near 0 or 1 where Newton
 * steps overshoot; 200 halvings reach the limit of double precision.
 */
export function inverseRegularizedIncompleteBeta(p: number, a: number, b: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must lie in [0, 1], got ${p}`)
  if (p === 0) return 0
  if (p === 1) return 1
  let low = 0
  let high = 1
  for (let i = 0; i < 200; i++) {
    const mid = (low + high) / 2
    if (mid === low || mid === high) break
    if (regularizedIncompleteBeta(mid, a, b) < p) low = mid
    else high = mid
  }
  return (low + high) / 2
}

export interface ProportionInterval {
  /** Lower bound, as a proportion in [0, 1]. */
  low: number
  /** Upper bound, as a proportion in [0, 1]. */
  high: number
}

/**
 * Clopper-Pearson ("exact") two-sided interval for `successes` out of
 * `trials`. It never falls below the nominal coverage, which is why Rümke's
 * table for differential counts uses it. Zero trials give the whole [0, 1].
 */
export function clopperPearson(successes: number, trials: number, confidence = 0.95): ProportionInterval {
  if (!Number.isInteger(successes) || !Number.isInteger(trials) || successes < 0 || trials < 0 || successes > trials) {
    throw new RangeError(`need integers 0 <= successes <= trials (got ${successes} of ${trials})`)
  }
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must lie in (0, 1), got ${confidence}`)
  if (trials === 0) return { low: 0, high: 1 }
  const alpha = 1 - confidence
  const low = successes === 0 ? 0 : inverseRegularizedIncompleteBeta(alpha / 2, successes, trials - successes + 1)
  const high = successes === trials ? 1 : inverseRegularizedIncompleteBeta(1 - alpha / 2, successes + 1, trials - successes)
  return { low, high }
}

/** One line of a differential count: a class, its count, its share and the share's CI, in percent. */
export interface DifferentialLine {
  label: string
  count: number
  percent: number
  ciLow: number
  ciHigh: number
}

export interface Differential {
  /** Cells counted: the denominator of every percentage. */
  total: number
  confidence: number
  lines: DifferentialLine[]
}

/**
 * Counts per class -> percentage and exact CI per class. Every listed class
 * shares one denominator (the total counted). Lines follow `order` when given
 * (e.g. WBC_CLASSES, so the five appear even at zero), then any other label in
 * the order it first appears.
 */
export function differentialCount(
  counts: Readonly<Record<string, number>>,
  options: { confidence?: number; order?: readonly string[] } = {}
): Differential {
  const confidence = options.confidence ?? 0.95
  const labels = [...(options.order ?? [])]
  for (const label of Object.keys(counts)) if (!labels.includes(label)) labels.push(label)
  const total = labels.reduce((sum, label) => sum + (counts[label] ?? 0), 0)
  const lines = labels.map((label) => {
    const count = counts[label] ?? 0
    const interval = clopperPearson(count, total, confidence)
    return {
      label,
      count,
      percent: total === 0 ? 0 : (100 * count) / total,
      ciLow: 100 * interval.low,
      ciHigh: 100 * interval.high
    }
  })
  return { total, confidence, lines }
}
