// Matrix multiply for training on wasm.
//
// Two slow paths of the stock kernel are avoided:
// - Any transposed operand sends it to a blocked scalar loop (~250 ms for the
//   dense-layer gradients of W-Net). We transpose the *small* operand
//   explicitly, or compute the transposed product (C^T = B A^T) so that the
//   big matrix is streamed as the left operand, and transpose the small result.
// - The XNNPACK path packs the right operand once per tensor id (~180 ms for
//   W-Net's 16384x1024 weight). A training step always sees a fresh weight
//   tensor, so for a few rows against a large, never-seen weight we multiply
//   in plain JavaScript (~50 ms) instead of packing. A weight seen again
//   (inference) goes to XNNPACK, which then keeps its packed copy.
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs'
import { call, f32, free, size, transpose2d, view, type WasmBackendLike } from './wasm-internals'

/** Rows at or below which an unseen large weight is multiplied without packing. */
export const JS_MATMUL_MAX_ROWS = 16
/** Right-operand size (elements) from which packing costs more than it saves. */
export const JS_MATMUL_MIN_WEIGHT = 1 << 18

const seenWeights = new WeakSet<object>()

/** y[M,N] = a[M,K] b[K,N] (+ bias, relu), all row-major. Blocked over K so a slice of b stays in cache for all rows. */
export function jsMatMul(
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  M: number,
  K: number,
  N: number,
  bias?: Float32Array,
  relu = false
): void {
  out.fill(0, 0, M * N)
  const KB = 64
  for (let kb = 0; kb < K; kb += KB) {
    const kEnd = Math.min(K, kb + KB)
    for (let m = 0; m < M; m++) {
      const yo = m * N
      const ao = m * K
      let k = kb
      for (; k + 8 <= kEnd; k += 8) {
        const v0 = a[ao + k], v1 = a[ao + k + 1], v2 = a[ao + k + 2], v3 = a[ao + k + 3]
        const v4 = a[ao + k + 4], v5 = a[ao + k + 5], v6 = a[ao + k + 6], v7 = a[ao + k + 7]
        const w0 = k * N
        for (let n = 0; n < N; n++) {
          const w = w0 + n
          out[yo + n] +=
            v0 * b[w] + v1 * b[w + N] + v2 * b[w + 2 * N] + v3 * b[w + 3 * N] +
            v4 * b[w + 4 * N] + v5 * b[w + 5 * N] + v6 * b[w + 6 * N] + v7 * b[w + 7 * N]
        }
      }
      for (; k < kEnd; k++) {
        const v = a[ao + k]
        const w0 = k * N
        for (let n = 0; n < N; n++) out[yo + n] += v * b[w0 + n]
      }
    }
  }
  if (bias || relu) {
    for (let m = 0; m < M; m++) {
      const yo = m * N
      for (let n = 0; n < N; n++) {
        let v = out[yo + n] + (bias ? bias[bias.length === 1 ? 0 : n] : 0)
        if (relu && v < 0) v = 0
        out[yo + n] = v
      }
    }
  }
}

function useJs(M: number, K: number, N: number, b: TensorInfo): boolean {
  if (M > JS_MATMUL_MAX_ROWS || K * N < JS_MATMUL_MIN_WEIGHT) return false
  if (seenWeights.has(b.dataId)) return false
  seenWeights.add(b.dataId)
  return true
}

/** Untransposed a[M,K] b[K,N] -> [M,N]; the caller owns the result. */
export function plainMatMul(backend: WasmBackendLike, a: TensorInfo, b: TensorInfo, M: number, K: number, N: number): TensorInfo {
  if (useJs(M, K, N, b)) {
    const out = backend.makeOutput([M, N], 'float32')
    jsMatMul(f32(backend, a), f32(backend, b), f32(backend, out), M, K, N)
    return out
  }
  const out = call('BatchMatMul', backend, { a: view(a, [1, M, K]), b: view(b, [1, K, N]) }, { transposeA: false, transposeB: false })
  return view(out, [M, N])
}

/** a (optionally transposed) times b (optionally transposed), 2-D, without the scalar path. */
export function matMul2d(
  backend: WasmBackendLike,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean
): TensorInfo {
  const [aR, aC] = a.shape.slice(-2)
  const [bR, bC] = b.shape.slice(-2)
  const M = transposeA ? aC : aR
  const K = transposeA ? aR : aC
  const N = transposeB ? bR : bC
  if (!transposeA && !transposeB) return plainMatMul(backend, a, b, M, K, N)
  if (transposeA && !transposeB) {
    // A^T B: transposing A costs M*K; the alternative (B^T A)^T costs more.
    const at = transpose2d(backend, a, K, M)
    const out = plainMatMul(backend, at, b, M, K, N)
    free(backend, at)
    return out
  }
  if (!transposeA && transposeB) {
    // A B^T: either transpose B (N*K, then pack it) or compute (B A^T)^T
    // (transpose A, stream B, transpose the M*N result).
    if (2 * N * K > 2 * M * K + M * N) {
      const at = transpose2d(backend, a, M, K)
      const z = plainMatMul(backend, b, at, N, K, M)
      free(backend, at)
      const out = transpose2d(backend, z, N, M)
      free(backend, z)
      return out
    }
    const bt = transpose2d(backend, b, N, K)
    const out = plainMatMul(backend, a, bt, M, K, N)
    free(backend, bt)
    return out
  }
  // A^T B^T = (B A)^T
  const z = plainMatMul(backend, b, a, N, K, M)
  const out = transpose2d(backend, z, N, M)
  free(backend, z)
  return out
}

function batchOf(shape: number[]): number {
  return size(shape.slice(0, -2))
}

export function batchMatMulKernel(args: { inputs: NamedTensorInfoMap; attrs?: NamedAttrMap; backend: unknown }): TensorInfo {
  const backend = args.backend as WasmBackendLike
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo }
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean }
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || batchOf(a.shape) !== 1 || batchOf(b.shape) !== 1) {
    return call('BatchMatMul', backend, args.inputs, args.attrs)
  }
  const outer = a.shape.length >= b.shape.length ? a.shape.slice(0, -2) : b.shape.slice(0, -2)
  const out = matMul2d(backend, a, b, transposeA, transposeB)
  return view(out, [...outer, ...out.shape])
}

export function fusedMatMulKernel(args: { inputs: NamedTensorInfoMap; attrs?: NamedAttrMap; backend: unknown }): TensorInfo {
  const backend = args.backend as WasmBackendLike
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>
  const { transposeA, transposeB, activation } = args.attrs as { transposeA: boolean; transposeB: boolean; activation: string }
  const simple = a && b && !transposeA && !transposeB && !preluActivationWeights &&
    (activation === 'linear' || activation === 'relu') && a.dtype === 'float32' &&
    batchOf(a.shape) === 1 && batchOf(b.shape) === 1 && (!bias || bias.shape.length <= 1)
  if (simple) {
    const M = a.shape[a.shape.length - 2]
    const K = a.shape[a.shape.length - 1]
    const N = b.shape[b.shape.length - 1]
    if (useJs(M, K, N, b)) {
      const out = backend.makeOutput([M, N], 'float32')
      jsMatMul(f32(backend, a), f32(backend, b), f32(backend, out), M, K, N, bias ? f32(backend, bias) : undefined, activation === 'relu')
      const outer = a.shape.slice(0, -2)
      return view(out, [...outer, M, N])
    }
  }
  return call('_FusedMatMul', backend, args.inputs, args.attrs)
}
