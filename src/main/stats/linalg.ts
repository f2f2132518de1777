// Symmetric eigen-decomposition for the synthetic-cell quality checks (the
// Fréchet distance needs a matrix square root of covariance matrices). W-Net's
// penultimate layer has 1024 features, too many for Jacobi sweeps in
// JavaScript, so this is Householder tridiagonalisation followed by the
// implicit QL algorithm (tred2/tql2, after the public-domain JAMA package).
// Measured: a 1024-feature Fréchet distance over two sets of 1200 cells takes
// about 20 s on one core, so callers run it off the UI thread. With fewer
// cells than features (the quality report's 50 per set) it is computed in the
// sample space instead (`frechetDistanceLowRank`): 0.09 s for 50 cells.

export interface SymmetricEigen {
  /** Eigenvalues, ascending. */
  values: Float64Array
  /** vectors[j] is the unit eigenvector of values[j]. */
  vectors: Float64Array[]
}

/** Eigenvalues and eigenvectors of a real symmetric matrix (only the lower triangle is read). */
export function symmetricEigen(matrix: readonly (ArrayLike<number>)[]): SymmetricEigen {
  const n = matrix.length
  const V: Float64Array[] = []
  for (let i = 0; i < n; i++) {
    const row = matrix[i] as ArrayLike<number>
    if (row.length !== n) throw new RangeError('matrix must be square')
    V.push(Float64Array.from(row))
  }
  if (n === 0) return { values: new Float64Array(0), vectors: [] }
  const d = new Float64Array(n)
  const e = new Float64Array(n)
  tred2(V, d, e)
  // The QL rotations act on pairs of eigenvector columns; keeping the vectors
  // as rows (V transposed) makes those updates walk contiguous memory.
  const W: Float64Array[] = []
  for (let j = 0; j < n; j++) {
    const w = new Float64Array(n)
    for (let k = 0; k < n; k++) w[k] = (V[k] as Float64Array)[j] as number
    W.push(w)
  }
  tql2(W, d, e)
  const order = Array.from(d.keys()).sort((a, b) => (d[a] as number) - (d[b] as number))
  return { values: Float64Array.from(order, (i) => d[i] as number), vectors: order.map((i) => W[i] as Float64Array) }
}

function tred2(V: Float64Array[], d: Float64Array, e: Float64Array): void {
  const n = d.length
  const last = V[n - 1] as Float64Array
  for (let j = 0; j < n; j++) d[j] = last[j] as number
  for (let i = n - 1; i > 0; i--) {
    let scale = 0
    let h = 0
    for (let k = 0; k < i; k++) scale += Math.abs(d[k] as number)
    const Vi = V[i] as Float64Array
    if (scale === 0) {
      e[i] = d[i - 1] as number
      for (let j = 0; j < i; j++) {
        d[j] = (V[i - 1] as Float64Array)[j] as number
        Vi[j] = 0
        ;(V[j] as Float64Array)[i] = 0
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = (d[k] as number) / scale
        h += (d[k] as number) * (d[k] as number)
      }
      let f = d[i - 1] as number
      let g = Math.sqrt(h)
      if (f > 0) g = -g
      e[i] = scale * g
      h -= f * g
      d[i - 1] = f - g
      for (let j = 0; j < i; j++) e[j] = 0
      for (let j = 0; j < i; j++) {
        f = d[j] as number
        const Vj = V[j] as Float64Array
        Vj[i] = f
        g = (e[j] as number) + (Vj[j] as number) * f
        for (let k = j + 1; k <= i - 1; k++) {
          const Vkj = (V[k] as Float64Array)[j] as number
          g += Vkj * (d[k] as number)
          e[k] = (e[k] as number) + Vkj * f
        }
        e[j] = g
      }
      f = 0
      for (let j = 0; j < i; j++) {
        e[j] = (e[j] as number) / h
        f += (e[j] as number) * (d[j] as number)
      }
      const hh = f / (h + h)
      for (let j = 0; j < i; j++) e[j] = (e[j] as number) - hh * (d[j] as number)
      for (let j = 0; j < i; j++) {
        f = d[j] as number
        g = e[j] as number
        for (let k = j; k <= i - 1; k++) {
          const Vk = V[k] as Float64Array
          Vk[j] = (Vk[j] as number) - (f * (e[k] as number) + g * (d[k] as number))
        }
        d[j] = (V[i - 1] as Float64Array)[j] as number
        Vi[j] = 0
      }
    }
    d[i] = h
  }
  for (let i = 0; i < n - 1; i++) {
    const Vi = V[i] as Float64Array
    last[i] = Vi[i] as number
    Vi[i] = 1
    const h = d[i + 1] as number
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = ((V[k] as Float64Array)[i + 1] as number) / h
      for (let j = 0; j <= i; j++) {
        let g = 0
        for (let k = 0; k <= i; k++) g += ((V[k] as Float64Array)[i + 1] as number) * ((V[k] as Float64Array)[j] as number)
        for (let k = 0; k <= i; k++) {
          const Vk = V[k] as Float64Array
          Vk[j] = (Vk[j] as number) - g * (d[k] as number)
        }
      }
    }
    for (let k = 0; k <= i; k++) (V[k] as Float64Array)[i + 1] = 0
  }
  for (let j = 0; j < n; j++) {
    d[j] = last[j] as number
    last[j] = 0
  }
  last[n - 1] = 1
  e[0] = 0
}

/** Implicit QL on the tridiagonal (d, e); W holds the eigenvectors as rows. */
function tql2(W: Float64Array[], d: Float64Array, e: Float64Array): void {
  const n = d.length
  for (let i = 1; i < n; i++) e[i - 1] = e[i] as number
  e[n - 1] = 0
  let f = 0
  let tst1 = 0
  const eps = 2 ** -52
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l] as number) + Math.abs(e[l] as number))
    let m = l
    while (m < n) {
      if (Math.abs(e[m] as number) <= eps * tst1) break
      m++
    }
    if (m > l) {
      let iterations = 0
      do {
        if (++iterations > 300) throw new Error('symmetric eigen-decomposition did not converge')
        let g = d[l] as number
        let p = ((d[l + 1] as number) - g) / (2 * (e[l] as number))
        let r = Math.hypot(p, 1)
        if (p < 0) r = -r
        d[l] = (e[l] as number) / (p + r)
        d[l + 1] = (e[l] as number) * (p + r)
        const dl1 = d[l + 1] as number
        let h = g - (d[l] as number)
        for (let i = l + 2; i < n; i++) d[i] = (d[i] as number) - h
        f += h
        p = d[m] as number
        let c = 1
        let c2 = c
        let c3 = c
        const el1 = e[l + 1] as number
        let s = 0
        let s2 = 0
        for (let i = m - 1; i >= l; i--) {
          c3 = c2
          c2 = c
          s2 = s
          g = c * (e[i] as number)
          h = c * p
          r = Math.hypot(p, e[i] as number)
          e[i + 1] = s * r
          s = (e[i] as number) / r
          c = p / r
          p = c * (d[i] as number) - s * g
          d[i + 1] = h + s * (c * g + s * (d[i] as number))
          const a = W[i] as Float64Array
          const b = W[i + 1] as Float64Array
          for (let k = 0; k < n; k++) {
            const hk = b[k] as number
            const ak = a[k] as number
            b[k] = s * ak + c * hk
            a[k] = c * ak - s * hk
          }
        }
        p = (-s * s2 * c3 * el1 * (e[l] as number)) / dl1
        e[l] = s * p
        d[l] = c * p
      } while (Math.abs(e[l] as number) > eps * tst1)
    }
    d[l] = (d[l] as number) + f
    e[l] = 0
  }
}

/** Column means of a set of feature vectors (rows). */
export function meanVector(rows: readonly (ArrayLike<number>)[]): Float64Array {
  if (rows.length === 0) throw new RangeError('need at least one vector')
  const dim = (rows[0] as ArrayLike<number>).length
  const mean = new Float64Array(dim)
  for (const row of rows) {
    if (row.length !== dim) throw new RangeError('vectors differ in length')
    for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) + (row[j] as number)
  }
  for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) / rows.length
  return mean
}

/** Sample covariance (denominator n - 1, as numpy.cov and the reference FID code). */
export function covarianceMatrix(rows: readonly (ArrayLike<number>)[], mean = meanVector(rows)): Float64Array[] {
  if (rows.length < 2) throw new RangeError('covariance needs at least two vectors')
  const dim = mean.length
  const centred = rows.map((row) => Float64Array.from({ length: dim }, (_, j) => (row[j] as number) - (mean[j] as number)))
  const cov: Float64Array[] = Array.from({ length: dim }, () => new Float64Array(dim))
  for (const x of centred) {
    for (let i = 0; i < dim; i++) {
      const xi = x[i] as number
      if (xi === 0) continue
      const ci = cov[i] as Float64Array
      for (let j = 0; j <= i; j++) ci[j] = (ci[j] as number) + xi * (x[j] as number)
    }
  }
  const scale = 1 / (rows.length - 1)
  for (let i = 0; i < dim; i++) {
    const ci = cov[i] as Float64Array
    for (let j = 0; j <= i; j++) {
      const v = (ci[j] as number) * scale
      ci[j] = v
      ;(cov[j] as Float64Array)[i] = v
    }
  }
  return cov
}

function multiply(a: readonly Float64Array[], b: readonly Float64Array[]): Float64Array[] {
  const n = a.length
  const m = (b[0] as Float64Array).length
  return a.map((ai) => {
    const out = new Float64Array(m)
    for (let k = 0; k < n; k++) {
      const aik = ai[k] as number
      if (aik === 0) continue
      const bk = b[k] as Float64Array
      for (let j = 0; j < m; j++) out[j] = (out[j] as number) + aik * (bk[j] as number)
    }
    return out
  })
}

/** Square root of a symmetric positive semi-definite matrix; tiny negative eigenvalues (rounding) count as 0. */
export function symmetricSqrt(matrix: readonly (ArrayLike<number>)[]): Float64Array[] {
  const { values, vectors } = symmetricEigen(matrix)
  const n = values.length
  const out: Float64Array[] = Array.from({ length: n }, () => new Float64Array(n))
  for (let k = 0; k < n; k++) {
    const root = Math.sqrt(Math.max(0, values[k] as number))
    if (root === 0) continue
    const v = vectors[k] as Float64Array
    for (let i = 0; i < n; i++) {
      const vi = root * (v[i] as number)
      const oi = out[i] as Float64Array
      for (let j = 0; j < n; j++) oi[j] = (oi[j] as number) + vi * (v[j] as number)
    }
  }
  return out
}

/** A set of feature vectors summarised as a Gaussian (mean, covariance). */
export interface GaussianSummary {
  mean: Float64Array
  covariance: Float64Array[]
}

export function gaussianSummary(rows: readonly (ArrayLike<number>)[]): GaussianSummary {
  const mean = meanVector(rows)
  return { mean, covariance: covarianceMatrix(rows, mean) }
}

/**
 * Fréchet distance (squared, as FID reports it) between two Gaussians:
 * |m1 - m2|² + tr(C1) + tr(C2) - 2 tr((C1 C2)^½). The trace term is computed
 * as tr((√C1 C2 √C1)^½), which is symmetric, so it stays real and stable
 * where C1 C2 itself is not symmetric.
 */
export function frechetDistance(a: GaussianSummary, b: GaussianSummary): number {
  const dim = a.mean.length
  if (b.mean.length !== dim) throw new RangeError('feature dimensions differ')
  let meanTerm = 0
  for (let i = 0; i < dim; i++) meanTerm += ((a.mean[i] as number) - (b.mean[i] as number)) ** 2
  let traces = 0
  for (let i = 0; i < dim; i++) traces += ((a.covariance[i] as Float64Array)[i] as number) + ((b.covariance[i] as Float64Array)[i] as number)
  const rootA = symmetricSqrt(a.covariance)
  const middle = multiply(multiply(rootA, b.covariance), rootA)
  const { values } = symmetricEigen(middle)
  let traceRoot = 0
  for (const v of values) traceRoot += Math.sqrt(Math.max(0, v))
  return Math.max(0, meanTerm + traces - 2 * traceRoot)
}

/**
 * Fréchet distance between two sets of feature vectors (rows). With fewer
 * cells than features (the quality report: 50 cells per set, 1024 W-Net
 * features) it is computed in the sample space (`frechetDistanceLowRank`),
 * which is the same quantity at a tiny fraction of the cost; otherwise from
 * the covariance matrices.
 */
export function frechetDistanceOfSets(real: readonly (ArrayLike<number>)[], generated: readonly (ArrayLike<number>)[]): number {
  const dim = real[0]?.length ?? 0
  if (Math.min(real.length, generated.length) < dim) return frechetDistanceLowRank(real, generated)
  return frechetDistance(gaussianSummary(real), gaussianSummary(generated))
}

function centredRows(rows: readonly (ArrayLike<number>)[], mean: Float64Array): Float64Array[] {
  const dim = mean.length
  return rows.map((row) => {
    if (row.length !== dim) throw new RangeError('feature dimensions differ')
    return Float64Array.from({ length: dim }, (_, j) => (row[j] as number) - (mean[j] as number))
  })
}

/**
 * The Fréchet distance of `frechetDistance` (sample covariances, n - 1),
 * without forming a d x d matrix. With A (n1 x d) and B (n2 x d) the centred
 * sets, C1 = AᵀA / (n1 - 1) and C2 = BᵀB / (n2 - 1), so C1 C2 = Aᵀ(A BᵀB) / k
 * with k = (n1 - 1)(n2 - 1); XY and YX have the same non-zero eigenvalues, so
 * those of C1 C2 are those of (A BᵀB) Aᵀ / k = M Mᵀ / k with M = A Bᵀ
 * (n1 x n2), and tr((C1 C2)^½) is the sum of M's singular values over
 * √((n1 - 1)(n2 - 1)), and tr(C1) = |A|² / (n1 - 1). Exact, not an
 * approximation: cost n1·n2·d for M plus an eigen-decomposition of the
 * smaller of M Mᵀ and MᵀM, instead of several d x d decompositions
 * (1024 features, 50 cells: milliseconds instead of tens of seconds).
 */
export function frechetDistanceLowRank(a: readonly (ArrayLike<number>)[], b: readonly (ArrayLike<number>)[]): number {
  if (a.length < 2 || b.length < 2) throw new RangeError('covariance needs at least two vectors')
  const ma = meanVector(a)
  const mb = meanVector(b)
  if (ma.length !== mb.length) throw new RangeError('feature dimensions differ')
  const dim = ma.length
  const A = centredRows(a, ma)
  const B = centredRows(b, mb)
  let meanTerm = 0
  for (let i = 0; i < dim; i++) meanTerm += ((ma[i] as number) - (mb[i] as number)) ** 2
  const sumSquares = (rows: Float64Array[]) => rows.reduce((s, r) => s + r.reduce((t, x) => t + x * x, 0), 0)
  const traces = sumSquares(A) / (a.length - 1) + sumSquares(B) / (b.length - 1)
  // M = A Bᵀ, then the Gram matrix of its shorter side.
  const M = A.map((ai) =>
    Float64Array.from(B, (bj) => {
      let dot = 0
      for (let k = 0; k < dim; k++) dot += (ai[k] as number) * (bj[k] as number)
      return dot
    })
  )
  const rows = A.length <= B.length ? M : Array.from(B, (_, j) => Float64Array.from(M, (mi) => mi[j] as number))
  const gram = rows.map((ri) =>
    Float64Array.from(rows, (rj) => {
      let dot = 0
      for (let k = 0; k < ri.length; k++) dot += (ri[k] as number) * (rj[k] as number)
      return dot
    })
  )
  const { values } = symmetricEigen(gram)
  let singular = 0
  for (const v of values) singular += Math.sqrt(Math.max(0, v))
  const traceRoot = singular / Math.sqrt((a.length - 1) * (b.length - 1))
  return Math.max(0, meanTerm + traces - 2 * traceRoot)
}

/** Cosine similarity of two vectors; 0 when either is all zeros (no direction to compare). */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError('vectors differ in length')
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number
    const y = b[i] as number
    dot += x * y
    na += x * x
    nb += y * y
  }
  if (na === 0 || nb === 0) return 0
  return dot / Math.sqrt(na * nb)
}

/**
 * Mean cosine similarity over all pairs (one from each set), or, with one set,
 * over all distinct pairs within it (the paper's real-vs-real baseline,
 * where a cell compared with itself would inflate the mean).
 */
export function meanCosineSimilarity(a: readonly (ArrayLike<number>)[], b?: readonly (ArrayLike<number>)[]): number {
  // The mean of dot products of unit vectors is linear in each set, so it
  // needs only the sum of each set's unit vectors: across sets
  // mean(u_i · v_j) = (Σu · Σv) / (n m); within one set the distinct pairs sum
  // to (|Σu|² - Σ|u_i|²) / 2. O(n·d) instead of O(n²·d): the report's 100
  // real and 100 generated cells at 128 px (49,152 values each) took ~15
  // CPU-s pair by pair. Zero vectors stay zero (similarity 0, as above).
  const dim = a[0]?.length ?? b?.[0]?.length ?? 0
  const unitSum = (rows: readonly (ArrayLike<number>)[]) => {
    const sum = new Float64Array(dim)
    let norms = 0
    for (const row of rows) {
      if (row.length !== dim) throw new RangeError('vectors differ in length')
      let nn = 0
      for (let k = 0; k < dim; k++) nn += (row[k] as number) ** 2
      if (nn === 0) continue
      const inv = 1 / Math.sqrt(nn)
      for (let k = 0; k < dim; k++) sum[k] = (sum[k] as number) + (row[k] as number) * inv
      norms++
    }
    return { sum, norms }
  }
  const dot = (x: Float64Array, y: Float64Array) => {
    let d = 0
    for (let k = 0; k < dim; k++) d += (x[k] as number) * (y[k] as number)
    return d
  }
  const ua = unitSum(a)
  if (b === undefined) {
    const pairs = (a.length * (a.length - 1)) / 2
    if (pairs === 0) throw new RangeError('no pairs to compare')
    // Σ|u_i|² is the number of non-zero rows (each a unit vector).
    return (dot(ua.sum, ua.sum) - ua.norms) / 2 / pairs
  }
  const pairs = a.length * b.length
  if (pairs === 0) throw new RangeError('no pairs to compare')
  return dot(ua.sum, unitSum(b).sum) / pairs
}
