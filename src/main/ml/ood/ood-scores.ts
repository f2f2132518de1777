// Routing cells that are none of the five WBC types (immature granulocytes,
// erythroblasts, platelets, smudges ...) to "Unidentified". Three scores, each
// higher for a cell less like the training WBCs:
//   msp          1 - max softmax probability (the plain confidence);
//   energy       -logsumexp(logits) (Liu et al. 2020), from the same forward pass;
//   mahalanobis  min over classes of the Mahalanobis distance of the
//                penultimate features to the class mean, shared covariance
//                (Lee et al. 2018), fitted on training cells;
//   outlier-exposure  a logistic regression (WBC vs not) on per-channel mean
//                and standard deviation of every convolution's output, fitted
//                on training WBCs and a share of known non-WBC objects
//                (outlier exposure, Hendrycks et al. 2019); it is measured on
//                non-WBC objects it was not fitted on, but only of the kinds
//                it was shown.
// A model's calibration picks the score and the threshold; cells scoring above
// it are Unidentified. The threshold is chosen on one half of the held-out
// cells and the rates are reported on the other half.
import type { UnidentifiedRouting } from '../../../shared/models'
import { covarianceMatrix } from '../../stats/linalg'
import { seededShuffle } from '../../stats/random'
import type { ReviewRouting } from './review-routing'

export type OodScoreKind = 'msp' | 'energy' | 'mahalanobis' | 'outlier-exposure'
export const OOD_SCORE_KINDS: readonly OodScoreKind[] = ['msp', 'energy', 'mahalanobis', 'outlier-exposure']

/**
 * Class means and the Cholesky factor L of the shared covariance (Σ = L Lᵀ):
 * the squared Mahalanobis distance is |L⁻¹x - L⁻¹μ|², one triangular solve per
 * cell (a Cholesky factorisation costs a fraction of an eigen-decomposition
 * at 1024 features).
 */
export interface MahalanobisStats {
  dim: number
  classes: number
  /** dim x dim, row-major, lower triangle used. */
  cholesky: Float64Array
  /** classes x dim: L⁻¹ μ_c. */
  whitenedMeans: Float64Array
}

/**
 * Fits the shared-covariance Gaussian of penultimate features per class.
 * Covariance is shrunk towards its mean variance (shrinkage share) so dead
 * ReLU units and few cells per class keep it positive definite.
 */
export function fitMahalanobis(
  features: Float32Array,
  labels: ArrayLike<number>,
  classes: number,
  dim: number,
  opts: { shrinkage?: number; maxRows?: number } = {}
): MahalanobisStats {
  const n = labels.length
  if (features.length !== n * dim) throw new RangeError('features and labels differ in count')
  const means = Array.from({ length: classes }, () => new Float64Array(dim))
  const counts = new Array<number>(classes).fill(0)
  for (let i = 0; i < n; i++) {
    const c = labels[i]
    counts[c]++
    const m = means[c]
    for (let j = 0; j < dim; j++) m[j] += features[i * dim + j]
  }
  means.forEach((m, c) => {
    if (counts[c] === 0) throw new Error(`no training cells of class ${c} to fit the feature statistics`)
    for (let j = 0; j < dim; j++) m[j] /= counts[c]
  })
  // Class-centred rows; their covariance around 0 is the shared covariance.
  const rows: Float64Array[] = []
  const take = Math.min(n, opts.maxRows ?? 6000)
  for (let i = 0; i < take; i++) {
    const src = Math.floor((i * n) / take)
    const m = means[labels[src]]
    rows.push(Float64Array.from({ length: dim }, (_, j) => features[src * dim + j] - m[j]))
  }
  const cov = covarianceMatrix(rows, new Float64Array(dim))
  let meanVar = 0
  for (let j = 0; j < dim; j++) meanVar += cov[j][j]
  meanVar = meanVar / dim || 1
  const s = opts.shrinkage ?? 0.05
  const A = new Float64Array(dim * dim)
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j <= i; j++) A[i * dim + j] = cov[i][j] * (1 - s)
    A[i * dim + i] += s * meanVar + 1e-9
  }
  const L = cholesky(A, dim)
  const whitenedMeans = new Float64Array(classes * dim)
  for (let c = 0; c < classes; c++) forwardSolve(L, dim, means[c], 0, whitenedMeans, c * dim)
  return { dim, classes, cholesky: L, whitenedMeans }
}

/** In-place lower Cholesky factor of a symmetric positive definite matrix (lower triangle read). */
function cholesky(A: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    const rj = j * n
    let d = A[rj + j]
    for (let k = 0; k < j; k++) d -= A[rj + k] * A[rj + k]
    if (!(d > 0)) throw new Error('feature covariance is not positive definite')
    const ljj = Math.sqrt(d)
    A[rj + j] = ljj
    for (let i = j + 1; i < n; i++) {
      const ri = i * n
      let v = A[ri + j]
      for (let k = 0; k < j; k++) v -= A[ri + k] * A[rj + k]
      A[ri + j] = v / ljj
    }
    for (let k = j + 1; k < n; k++) A[rj + k] = 0
  }
  return A
}

/** out = L⁻¹ x (forward substitution). */
function forwardSolve(L: Float64Array, n: number, x: ArrayLike<number>, xOff: number, out: Float64Array, outOff: number): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n
    let v = x[xOff + i]
    for (let k = 0; k < i; k++) v -= L[ri + k] * out[outOff + k]
    out[outOff + i] = v / L[ri + i]
  }
}

/** Mahalanobis score per cell: the squared distance to the nearest class mean. */
export function mahalanobisScores(stats: MahalanobisStats, features: Float32Array, n: number): Float64Array {
  const { dim, classes } = stats
  const z = new Float64Array(dim)
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    forwardSolve(stats.cholesky, dim, features, i * dim, z, 0)
    let best = Infinity
    for (let c = 0; c < classes; c++) {
      let d = 0
      const base = c * dim
      for (let r = 0; r < dim; r++) {
        const t = z[r] - stats.whitenedMeans[base + r]
        d += t * t
      }
      if (d < best) best = d
    }
    out[i] = best
  }
  return out
}

export function mspScores(probabilities: Float32Array, n: number, C: number): Float64Array {
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let m = 0
    for (let c = 0; c < C; c++) m = Math.max(m, probabilities[i * C + c])
    out[i] = 1 - m
  }
  return out
}

/** Negative free energy: -T * logsumexp(logits / T). */
export function energyScores(logits: Float32Array, n: number, C: number, temperature = 1): Float64Array {
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let m = -Infinity
    for (let c = 0; c < C; c++) m = Math.max(m, logits[i * C + c] / temperature)
    let s = 0
    for (let c = 0; c < C; c++) s += Math.exp(logits[i * C + c] / temperature - m)
    out[i] = -temperature * (m + Math.log(s))
  }
  return out
}

export function statsToBytes(s: MahalanobisStats): Uint8Array {
  const header = Buffer.from(JSON.stringify({ format: 'wbc-mahalanobis/1', dim: s.dim, classes: s.classes }))
  const len = Buffer.alloc(4)
  len.writeUInt32LE(header.byteLength)
  // The factor is stored as float32 (lower triangle included as a full square for simplicity).
  const f = (a: Float64Array) => Buffer.from(Float32Array.from(a).buffer)
  return Buffer.concat([len, header, f(s.whitenedMeans), f(s.cholesky)])
}

export function statsFromBytes(bytes: Uint8Array): MahalanobisStats {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const n = b.readUInt32LE(0)
  const h = JSON.parse(b.subarray(4, 4 + n).toString('utf8')) as { format?: string; dim: number; classes: number }
  if (h.format !== 'wbc-mahalanobis/1') throw new Error('unknown feature statistics format')
  const body = b.subarray(4 + n)
  const f64 = (from: number, count: number) => {
    const part = body.subarray(from * 4, (from + count) * 4)
    return Float64Array.from(new Float32Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength)))
  }
  return { dim: h.dim, classes: h.classes, whitenedMeans: f64(0, h.classes * h.dim), cholesky: f64(h.classes * h.dim, h.dim * h.dim) }
}

/** A linear WBC-vs-other detector on standardised features. */
export interface LogisticDetector {
  dim: number
  mean: Float64Array
  scale: Float64Array
  weights: Float64Array
  bias: number
}

/**
 * Fits a logistic regression separating `other` rows (label 1) from `wbc`
 * rows (label 0), both classes weighted equally, L2-regularised, full-batch
 * Adam. Features are standardised with the WBC rows' mean and deviation.
 */
export function fitLogisticDetector(
  wbc: Float32Array,
  nWbc: number,
  other: Float32Array,
  nOther: number,
  dim: number,
  opts: { l2?: number; iterations?: number; learningRate?: number } = {}
): LogisticDetector {
  const mean = new Float64Array(dim)
  const scale = new Float64Array(dim)
  for (let i = 0; i < nWbc; i++) for (let j = 0; j < dim; j++) mean[j] += wbc[i * dim + j] / nWbc
  for (let i = 0; i < nWbc; i++) for (let j = 0; j < dim; j++) scale[j] += (wbc[i * dim + j] - mean[j]) ** 2 / nWbc
  for (let j = 0; j < dim; j++) scale[j] = Math.sqrt(scale[j]) + 1e-6
  const n = nWbc + nOther
  const X = new Float64Array(n * dim)
  const y = new Uint8Array(n)
  const w8 = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const isOther = i >= nWbc
    const src = isOther ? other : wbc
    const r = isOther ? i - nWbc : i
    for (let j = 0; j < dim; j++) X[i * dim + j] = (src[r * dim + j] - mean[j]) / scale[j]
    y[i] = isOther ? 1 : 0
    w8[i] = isOther ? 0.5 / nOther : 0.5 / nWbc
  }
  const l2 = opts.l2 ?? 1e-3
  const lr = opts.learningRate ?? 0.01
  const w = new Float64Array(dim + 1)
  const m = new Float64Array(dim + 1)
  const v = new Float64Array(dim + 1)
  const g = new Float64Array(dim + 1)
  for (let it = 1; it <= (opts.iterations ?? 400); it++) {
    g.fill(0)
    for (let i = 0; i < n; i++) {
      let s = w[dim]
      const base = i * dim
      for (let j = 0; j < dim; j++) s += w[j] * X[base + j]
      const e = (1 / (1 + Math.exp(-s)) - y[i]) * w8[i]
      for (let j = 0; j < dim; j++) g[j] += e * X[base + j]
      g[dim] += e
    }
    for (let j = 0; j <= dim; j++) {
      const gj = g[j] + (j < dim ? l2 * w[j] : 0)
      m[j] = 0.9 * m[j] + 0.1 * gj
      v[j] = 0.999 * v[j] + 0.001 * gj * gj
      w[j] -= (lr * (m[j] / (1 - 0.9 ** it))) / (Math.sqrt(v[j] / (1 - 0.999 ** it)) + 1e-8)
    }
  }
  return { dim, mean, scale, weights: w.slice(0, dim), bias: w[dim] }
}

/** The detector's logit per row (higher: less like a WBC). */
export function logisticScores(d: LogisticDetector, features: Float32Array, n: number): Float64Array {
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let s = d.bias
    for (let j = 0; j < d.dim; j++) s += (d.weights[j] * (features[i * d.dim + j] - d.mean[j])) / d.scale[j]
    out[i] = s
  }
  return out
}

export function detectorToBytes(d: LogisticDetector): Uint8Array {
  return Buffer.from(JSON.stringify({ format: 'wbc-logistic/1', dim: d.dim, bias: d.bias, mean: Array.from(d.mean), scale: Array.from(d.scale), weights: Array.from(d.weights) }))
}

export function detectorFromBytes(bytes: Uint8Array): LogisticDetector {
  const j = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as { format: string; dim: number; bias: number; mean: number[]; scale: number[]; weights: number[] }
  if (j.format !== 'wbc-logistic/1') throw new Error('unknown detector format')
  return { dim: j.dim, bias: j.bias, mean: Float64Array.from(j.mean), scale: Float64Array.from(j.scale), weights: Float64Array.from(j.weights) }
}

/** Share of scores strictly above the threshold (flagged Unidentified). */
export function flaggedShare(scores: ArrayLike<number>, threshold: number): number {
  let k = 0
  for (let i = 0; i < scores.length; i++) if (scores[i] > threshold) k++
  return scores.length ? k / scores.length : 0
}

/** The threshold that flags (at most) `rate` of the given in-distribution scores. */
export function thresholdForRate(scores: ArrayLike<number>, rate: number): number {
  const sorted = Float64Array.from(scores).sort()
  const n = sorted.length
  if (!n) return Infinity
  const keep = Math.min(n - 1, Math.max(0, Math.ceil((1 - rate) * n) - 1))
  return sorted[keep]
}

export interface SeparationRow {
  /** Score threshold; for msp also shown as the confidence 1 - threshold. */
  threshold: number
  /** Share of real WBCs flagged (score above the threshold): WBCs lost to Unidentified. */
  wbcFlagged: number
  /** Share of non-WBC objects flagged: caught. */
  otherFlagged: number
}

export interface ScoreMeasurement {
  score: OodScoreKind
  /** Threshold chosen on the calibration half to flag `targetWbcRate` of its WBCs. */
  threshold: number
  /** Rates on the report half at that threshold. */
  wbcFlagged: number
  otherFlagged: number
  /** Per non-WBC class, share flagged on the report half. */
  otherFlaggedByClass: Record<string, number>
  /** ROC AUC of the score separating report-half non-WBC (positive) from WBC. */
  auc: number
  /** The trade-off across thresholds on the report half. */
  table: SeparationRow[]
}

/** Mann-Whitney AUC: probability a random positive scores above a random negative. */
export function scoreAuc(pos: ArrayLike<number>, neg: ArrayLike<number>): number {
  const all = [...Array.from(pos, (v) => ({ v, p: 1 })), ...Array.from(neg, (v) => ({ v, p: 0 }))].sort((a, b) => a.v - b.v)
  let rankSum = 0
  for (let i = 0; i < all.length; ) {
    let j = i
    while (j < all.length && all[j].v === all[i].v) j++
    const avg = (i + j + 1) / 2
    for (let t = i; t < j; t++) if (all[t].p) rankSum += avg
    i = j
  }
  const np = pos.length
  const nn = neg.length
  return np && nn ? (rankSum - (np * (np + 1)) / 2) / (np * nn) : NaN
}

/**
 * Splits both sets in two (seeded), picks the threshold on the first half
 * that flags targetWbcRate of its WBCs, and measures both rates on the second.
 */
export function measureSeparation(
  score: OodScoreKind,
  wbc: Float64Array,
  other: Float64Array,
  otherClasses: readonly string[],
  opts: { targetWbcRate?: number; seed?: number; tableRates?: number[] } = {}
): ScoreMeasurement {
  const rate = opts.targetWbcRate ?? 0.05
  const seed = opts.seed ?? 1
  const halves = (n: number) => {
    const order = seededShuffle(Array.from({ length: n }, (_, i) => i), seed)
    return { a: order.slice(0, Math.floor(n / 2)), b: order.slice(Math.floor(n / 2)) }
  }
  const w = halves(wbc.length)
  const o = halves(other.length)
  const pick = (s: Float64Array, idx: number[]) => Float64Array.from(idx, (i) => s[i])
  const threshold = thresholdForRate(pick(wbc, w.a), rate)
  const wbcB = pick(wbc, w.b)
  const otherB = pick(other, o.b)
  const byClass: Record<string, number> = {}
  for (const cls of new Set(otherClasses)) {
    const idx = o.b.filter((i) => otherClasses[i] === cls)
    byClass[cls] = flaggedShare(pick(other, idx), threshold)
  }
  const table = (opts.tableRates ?? [0.01, 0.02, 0.05, 0.1, 0.2, 0.3]).map((r) => {
    const t = thresholdForRate(pick(wbc, w.a), r)
    return { threshold: t, wbcFlagged: flaggedShare(wbcB, t), otherFlagged: flaggedShare(otherB, t) }
  })
  return { score, threshold, wbcFlagged: flaggedShare(wbcB, threshold), otherFlagged: flaggedShare(otherB, threshold), otherFlaggedByClass: byClass, auc: scoreAuc(otherB, wbcB), table }
}

/** What a model's calibration stores (models.calibration_json). */
/** The summary of a calibration the workstation shows (model lists, the calibration job's result); null for none. */
export function routingOf(cal: OodCalibration | null | undefined): UnidentifiedRouting | null {
  if (!cal || typeof cal !== 'object' || !Array.isArray(cal.measured)) return null
  const chosen = cal.measured.find((m) => m.score === cal.score)
  if (!chosen) return null
  return {
    score: cal.score,
    threshold: cal.threshold,
    nonWbcFlagged: chosen.otherFlagged,
    wbcFlagged: chosen.wbcFlagged,
    targetWbcRate: cal.targetWbcRate,
    wbcCells: cal.wbcCells,
    otherCells: cal.otherCells,
    calibratedAt: cal.createdAt,
    review: cal.review
      ? {
          confidenceThreshold: cal.review.confidenceThreshold,
          wbcRouted: cal.review.wbcRouted,
          otherKeptOut: cal.review.otherKeptOut,
          maxWbcRate: cal.review.maxWbcRate,
          minOtherRate: cal.review.minOtherRate,
          met: cal.review.met
        }
      : null
  }
}

export interface OodCalibration {
  score: OodScoreKind
  threshold: number
  targetWbcRate: number
  /** Rates measured on the report halves, per score, for the model card. */
  measured: ScoreMeasurement[]
  wbcCells: number
  /** Non-WBC objects the rates were measured on (not those the detector was fitted on). */
  otherCells: number
  /** Non-WBC objects shown to the outlier-exposure detector (0 when it was not fitted). */
  exposureCells: number
  fitCells: number
  createdAt: string
  /**
   * The detector and the review's default confidence threshold chosen
   * together, with both figures as the reviewer sees them (review-routing.ts);
   * absent in calibrations made before it existed.
   */
  review?: ReviewRouting
}
