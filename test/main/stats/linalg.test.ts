import { describe, it, expect } from 'vitest'
import {
  cosineSimilarity,
  covarianceMatrix,
  frechetDistance,
  frechetDistanceLowRank,
  frechetDistanceOfSets,
  gaussianSummary,
  meanCosineSimilarity,
  mulberry32,
  symmetricEigen,
  symmetricSqrt
} from '../../../src/main/stats'

// Reference values from NumPy 2.4 / SciPy 1.17 (numpy.linalg.eigvalsh;
// FID as in the reference implementation: scipy.linalg.sqrtm(c1 @ c2), np.cov),
// cross-checked with mpmath at 40 digits; computed outside this code base.
const EIGENVALUES_NUMPY = [
  -0.6207341733064304, 0.6643795326307953, 0.8634567622120681, 2.5821456552226594, 4.15407810116761, 6.2394105976817125,
  7.823179686321745
]
const X = Array.from({ length: 40 }, (_, i) => Array.from({ length: 6 }, (_, j) => Math.sin(1.3 * i + 0.7 * j * j)))
const Y = Array.from({ length: 35 }, (_, i) => Array.from({ length: 6 }, (_, j) => Math.cos(0.9 * i * j + 0.3 * j) + 0.1 * j))

function matmul(a: ArrayLike<number>[], b: ArrayLike<number>[]): number[][] {
  return a.map((row) => Array.from({ length: b.length }, (_, j) => Array.from(row).reduce((s, x, k) => s + x * ((b[k] as ArrayLike<number>)[j] as number), 0)))
}

describe('symmetric eigen-decomposition', () => {
  const n = 7
  const A = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => Math.cos(i * j + 1) + (i === j ? i : 0)))

  it('matches NumPy eigvalsh', () => {
    const { values } = symmetricEigen(A)
    EIGENVALUES_NUMPY.forEach((v, i) => expect(values[i]).toBeCloseTo(v, 12))
  })

  it('returns orthonormal vectors with A v = λ v', () => {
    const { values, vectors } = symmetricEigen(A)
    vectors.forEach((v, k) => {
      const Av = A.map((row) => row.reduce((s, x, j) => s + x * (v[j] as number), 0))
      Av.forEach((x, i) => expect(x).toBeCloseTo((values[k] as number) * (v[i] as number), 11))
      vectors.forEach((w, l) => {
        const dot = v.reduce((s, x, i) => s + x * (w[i] as number), 0)
        expect(dot).toBeCloseTo(k === l ? 1 : 0, 12)
      })
    })
  })

  it('handles diagonal, 1x1 and rank-deficient matrices', () => {
    expect(Array.from(symmetricEigen([[3, 0], [0, -1]]).values)).toEqual([-1, 3])
    expect(Array.from(symmetricEigen([[2]]).values)).toEqual([2])
    const rank1 = [[1, 2, 3], [2, 4, 6], [3, 6, 9]]
    const values = symmetricEigen(rank1).values
    expect(values[0]).toBeCloseTo(0, 12)
    expect(values[1]).toBeCloseTo(0, 12)
    expect(values[2]).toBeCloseTo(14, 12)
  })

  it('square root squares back to the matrix', () => {
    const C = covarianceMatrix(X)
    const R = symmetricSqrt(C)
    matmul(R, R).forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo((C[i] as Float64Array)[j] as number, 12)))
  })

  it('decomposes a 256-dimensional covariance accurately', () => {
    const random = mulberry32(11)
    const rows = Array.from({ length: 300 }, () => Array.from({ length: 256 }, () => random() - 0.5))
    const C = covarianceMatrix(rows)
    const { values, vectors } = symmetricEigen(C)
    let trace = 0
    for (let i = 0; i < 256; i++) trace += (C[i] as Float64Array)[i] as number
    expect(values.reduce((s, v) => s + v, 0)).toBeCloseTo(trace, 10)
    const v = vectors[200] as Float64Array
    const Cv = C.map((row) => row.reduce((s, x, j) => s + x * (v[j] as number), 0))
    Cv.forEach((x, i) => expect(x).toBeCloseTo((values[200] as number) * (v[i] as number), 10))
  })
})

describe('Fréchet distance and cosine similarity', () => {
  it('matches the SciPy reference FID', () => {
    expect(frechetDistanceOfSets(X, Y)).toBeCloseTo(3.8466617525506175, 6)
  })

  it('handles rank-deficient covariances (fewer cells than features)', () => {
    expect(frechetDistanceOfSets(X.slice(0, 4), Y.slice(0, 5))).toBeCloseTo(4.994942181135935, 6)
  })

  it('computes the same distance in the sample space as from the covariances (fewer cells than features)', () => {
    const random = mulberry32(5)
    const set = (n: number, dim: number, shift: number) => Array.from({ length: n }, () => Array.from({ length: dim }, (_, j) => random() + (j % 3 === 0 ? shift : 0)))
    for (const [n1, n2, dim] of [[12, 15, 40], [15, 12, 40], [30, 30, 200], [3, 2, 8]] as const) {
      const a = set(n1, dim, 0)
      const b = set(n2, dim, 0.3)
      const full = frechetDistance(gaussianSummary(a), gaussianSummary(b))
      const low = frechetDistanceLowRank(a, b)
      // the covariance path takes square roots of ~1e-16 eigenvalues (the null
      // space), which leaves it ~1e-8 off; the figures are reported to 2 digits
      expect(Math.abs(low - full) / full).toBeLessThan(1e-6)
      expect(frechetDistanceOfSets(a, b)).toBe(low)
    }
    // with more cells than features both ways agree too; the covariance path is used
    expect(frechetDistanceLowRank(X, Y)).toBeCloseTo(3.8466617525506175, 6)
    expect(frechetDistanceLowRank(X.slice(0, 4), Y.slice(0, 5))).toBeCloseTo(4.994942181135935, 6)
  })

  it('is zero for a set against itself and symmetric', () => {
    expect(frechetDistanceOfSets(X, X)).toBeCloseTo(0, 9)
    // sqrt of near-zero eigenvalues amplifies rounding to ~1e-8; FID is reported to far fewer digits
    expect(frechetDistanceOfSets(Y, X)).toBeCloseTo(frechetDistanceOfSets(X, Y), 6)
  })

  it('reduces to the closed form for 1-D Gaussians: (m1-m2)² + (s1-s2)²', () => {
    const a = { mean: Float64Array.of(1), covariance: [Float64Array.of(4)] }
    const b = { mean: Float64Array.of(4), covariance: [Float64Array.of(9)] }
    expect(frechetDistance(a, b)).toBeCloseTo(9 + 1, 12)
    expect(gaussianSummary([[1], [3]]).covariance[0]?.[0]).toBe(2)
  })

  it('cosine similarity matches NumPy and handles zero vectors', () => {
    expect(cosineSimilarity([1, 2, 3], [-2, 0.5, 4])).toBeCloseTo(0.6533052580081485, 14)
    expect(cosineSimilarity([0, 0], [1, 1])).toBe(0)
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(RangeError)
  })

  it('mean cosine: distinct pairs within a set, all pairs across sets', () => {
    const set = [[1, 0], [0, 1], [1, 1]]
    const within = (0 + Math.SQRT1_2 + Math.SQRT1_2) / 3
    expect(meanCosineSimilarity(set)).toBeCloseTo(within, 14)
    expect(meanCosineSimilarity([[1, 0]], [[1, 0], [0, 1]])).toBeCloseTo(0.5, 14)
  })

  it('mean cosine equals the pair-by-pair mean on random sets, zero vectors included', () => {
    const random = mulberry32(9)
    const set = (n: number) => Array.from({ length: n }, (_, i) => (i === 2 ? new Array(30).fill(0) : Array.from({ length: 30 }, () => random() - 0.3)))
    const a = set(9)
    const b = set(7)
    let within = 0
    for (let i = 0; i < a.length; i++) for (let j = i + 1; j < a.length; j++) within += cosineSimilarity(a[i]!, a[j]!)
    let across = 0
    for (const x of a) for (const y of b) across += cosineSimilarity(x, y)
    expect(meanCosineSimilarity(a)).toBeCloseTo(within / 36, 12)
    expect(meanCosineSimilarity(a, b)).toBeCloseTo(across / 63, 12)
    expect(() => meanCosineSimilarity([[1, 2]])).toThrow(RangeError)
    expect(() => meanCosineSimilarity([[1, 2]], [[1, 2, 3]])).toThrow(RangeError)
  })
})
