// The wasm training kernels against the cpu backend's reference gradients.
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend, tf } from '../../../../src/main/ml/model/tfjs-backend'
import { adamStep, adamStepLowRank, FusedAdam, jsMatMul } from '../../../../src/main/ml/train/kernels/index'
import { im2colTransposed, im2colTransposedPlanar } from '../../../../src/main/ml/train/kernels/conv'
import { relErr } from '../../../helpers/numeric'

function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5
  }
}
function randArray(n: number, seed: number): Float32Array {
  const r = rng(seed)
  return Float32Array.from({ length: n }, () => r())
}

/** Run f on a backend with fresh tensors; return all outputs as arrays. */
async function on(backend: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend)
  return tf.tidy(f).map((t) => {
    const d = t.dataSync() as Float32Array
    t.dispose()
    return d
  })
}

async function compare(f: () => tf.Tensor[], tol = 1e-5): Promise<number[]> {
  const w = await on('wasm', f)
  const c = await on('cpu', f)
  const errs = w.map((x, i) => relErr(x, c[i]))
  for (const e of errs) expect(e).toBeLessThan(tol)
  return errs
}

describe('wasm training kernels', () => {
  beforeAll(async () => {
    const info = await initBackend('wasm')
    expect(info.name).toBe('wasm')
    expect(info.wasmTrainingKernels).toBe(true)
  })

  it('the kernels are registered for wasm', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined()
  })

  const convCases: { name: string; x: [number, number, number, number]; f: [number, number, number, number]; stride: number; pad: 'same' | 'valid' }[] = [
    { name: '3x3 same stride 1', x: [2, 9, 9, 3], f: [3, 3, 3, 4], stride: 1, pad: 'same' },
    { name: '3x3 valid stride 1', x: [2, 8, 7, 2], f: [3, 3, 2, 5], stride: 1, pad: 'valid' },
    { name: '5x5 same stride 2', x: [1, 11, 10, 3], f: [5, 5, 3, 2], stride: 2, pad: 'same' },
    { name: '1x1 same stride 1', x: [3, 4, 4, 6], f: [1, 1, 6, 3], stride: 1, pad: 'same' },
    // Strided input gradients go through matmul + col2im.
    { name: '4x4 same stride 2 (DCGAN discriminator)', x: [3, 8, 8, 3], f: [4, 4, 3, 5], stride: 2, pad: 'same' },
    { name: '3x3 valid stride 2, odd size', x: [2, 9, 7, 2], f: [3, 3, 2, 4], stride: 2, pad: 'valid' }
  ]
  for (const c of convCases) {
    it(`conv2d gradients (input and filter): ${c.name}`, async () => {
      const xs = randArray(c.x.reduce((a, b) => a * b), 1)
      const ws = randArray(c.f.reduce((a, b) => a * b), 2)
      await compare(() => {
        const x = tf.tensor4d(xs, c.x)
        const w = tf.tensor4d(ws, c.f)
        const y = tf.conv2d(x, w, c.stride, c.pad)
        const r = tf.tensor(randArray(y.size, 3), y.shape)
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), r)))
        const [dx, dw] = g([x, w])
        return [y, dx, dw]
      })
    })
  }

  for (const [name, out] of [['2x (the JavaScript kernel)', [6, 10]], ['3x (the stock kernel)', [9, 15]]] as const) {
    it(`nearest-neighbour upsampling gradient ${name}`, async () => {
      // Batch 1: the cpu backend's kernel is wrong for larger batches (dcgan.test.ts checks batch 3 by hand).
      const xs = randArray(1 * 3 * 5 * 2, 41)
      await compare(() => {
        const x = tf.tensor4d(xs, [1, 3, 5, 2])
        const r = tf.tensor(randArray(out[0] * out[1] * 2, 42), [1, out[0], out[1], 2])
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [out[0], out[1]]), r)))
        return [g(x)]
      })
    })
  }

  it('channel-planar im2col equals the gather im2col (same, valid, row stride 2; short rows copied in a loop, rows of 64+ with set())', () => {
    for (const [n, h, w, cin, fh, fw, outH, outW, sh, pt, pl] of [
      [2, 7, 6, 3, 3, 3, 7, 6, 1, 1, 1],
      [1, 6, 8, 2, 3, 2, 4, 7, 1, 0, 0],
      [3, 9, 5, 4, 4, 4, 5, 5, 2, 1, 1],
      [2, 3, 70, 2, 3, 3, 3, 70, 1, 1, 1],
      [1, 2, 66, 1, 1, 3, 2, 64, 1, 0, 0]
    ]) {
      const x = randArray(n * h * w * cin, 31)
      const a = new Float32Array(fh * fw * cin * n * outH * outW).fill(NaN)
      const b = new Float32Array(a.length).fill(NaN)
      im2colTransposed(x, a, n, h, w, cin, fh, fw, outH, outW, sh, 1, 1, 1, pt, pl)
      im2colTransposedPlanar(x, b, n, h, w, cin, fh, fw, outH, outW, sh, 1, 1, 1, pt, pl)
      expect(b.some(Number.isNaN)).toBe(false)
      expect(relErr(b, a)).toBe(0)
    }
  })

  for (const c of [
    { name: '2x2 stride 2 valid (W-Net)', x: [2, 8, 8, 3] as [number, number, number, number], size: 2, stride: 2, pad: 'valid' as const },
    { name: '3x3 stride 2 same (AlexNet, ResNet)', x: [1, 9, 7, 4] as [number, number, number, number], size: 3, stride: 2, pad: 'same' as const },
    { name: '3x3 stride 1 same', x: [2, 5, 6, 2] as [number, number, number, number], size: 3, stride: 1, pad: 'same' as const }
  ]) {
    it(`max-pool gradient ${c.name}, with ReLU ties`, async () => {
      const xs = randArray(c.x.reduce((a, b) => a * b), 21)
      await compare(() => {
        // ReLU first: many windows are all zeros, so the tie rule matters.
        const x = tf.relu(tf.tensor4d(xs, c.x))
        const y = tf.maxPool(x, c.size, c.stride, c.pad)
        const r = tf.tensor(randArray(y.size, 22), y.shape)
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.size, c.stride, c.pad), r)))
        return [y, g(x)]
      })
    })
  }

  it('clone shares data safely: the clone outlives its source', async () => {
    await tf.setBackend('wasm')
    const a = tf.tensor1d([1, 2, 3])
    const b = tf.clone(a)
    a.dispose()
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3])
    b.dispose()
  })

  it('dense layer as the layers API builds it (fused bias + relu), forward and gradients', async () => {
    // K*N above the threshold so the unpacked JavaScript path is exercised.
    const M = 3, K = 640, N = 512
    const as = randArray(M * K, 4), bs = randArray(K * N, 5), biases = randArray(N, 6)
    await compare(() => {
      const a = tf.tensor2d(as, [M, K]), b = tf.tensor2d(bs, [K, N]), bias = tf.tensor1d(biases)
      const r = tf.tensor2d(randArray(M * N, 7), [M, N])
      const f = (x: tf.Tensor, w: tf.Tensor, c: tf.Tensor) =>
        tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: c, activation: 'relu' })
      const g = tf.grads((x: tf.Tensor, w: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(x, w, c), r)))
      return [f(a, b, bias), ...g([a, b, bias])]
    })
  })

  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    for (const [M, K, N] of [[4, 6, 5], [2, 700, 400], [40, 30, 20]]) {
      it(`matMul transposeA=${ta} transposeB=${tb} ${M}x${K}x${N}, with gradients`, async () => {
        const as = randArray(M * K, 8), bs = randArray(K * N, 9)
        await compare(() => {
          const a = tf.tensor2d(as, ta ? [K, M] : [M, K])
          const b = tf.tensor2d(bs, tb ? [N, K] : [K, N])
          const r = tf.tensor2d(randArray(M * N, 10), [M, N])
          const g = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, w, ta, tb), r)))
          return [tf.matMul(a, b, ta, tb), ...g([a, b])]
        })
      })
    }
  }

  it('a weight multiplied again goes to the packed path and gives the same answer', async () => {
    await tf.setBackend('wasm')
    const a = tf.tensor2d(randArray(2 * 640, 11), [2, 640])
    const b = tf.tensor2d(randArray(640 * 512, 12), [640, 512])
    const first = tf.matMul(a, b).dataSync() // unpacked JS path
    const second = tf.matMul(a, b).dataSync() // XNNPACK, weight now packed
    expect(relErr(first, second)).toBeLessThan(1e-5)
    tf.dispose([a, b])
  })

  it('jsMatMul matches a naive product with bias and relu', () => {
    const M = 3, K = 13, N = 7
    const a = randArray(M * K, 13), b = randArray(K * N, 14), bias = randArray(N, 15)
    const out = new Float32Array(M * N)
    jsMatMul(a, b, out, M, K, N, bias, true)
    const ref = new Float32Array(M * N)
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let s = bias[n]
        for (let k = 0; k < K; k++) s += a[m * K + k] * b[k * N + n]
        ref[m * N + n] = Math.max(0, s)
      }
    expect(relErr(out, ref)).toBeLessThan(1e-6)
  })

  it('low-rank Adam (gradient F^T D expanded per kernel row) equals Adam on the explicit gradient', () => {
    const rows = 5, K = 12, N = 7, offset = 3
    // Kernel rows with 0, 1, 2 and more non-zero inputs, as ReLU and dropout leave them.
    const F = randArray(rows * K, 30).map((v, i) => ((i % K) % 4 === 0 ? 0 : (i % K) % 4 === 1 && Math.floor(i / K) > 0 ? 0 : (i % K) % 4 === 2 && Math.floor(i / K) > 1 ? 0 : v))
    const D = randArray(rows * N, 31)
    const P = offset + K * N + 2
    const g = new Float32Array(P)
    for (let k = 0; k < K; k++)
      for (let j = 0; j < N; j++) {
        let sum = 0
        for (let r = 0; r < rows; r++) sum += F[r * K + k] * D[r * N + j]
        g[offset + k * N + j] = sum
      }
    const settings = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }
    const w1 = randArray(P, 32), m1 = randArray(P, 33).map(Math.abs), v1 = randArray(P, 34).map(Math.abs)
    const w2 = w1.slice(), m2 = m1.slice(), v2 = v1.slice()
    adamStep(w1, m1, v1, g, 3, settings, offset, offset + K * N)
    // In two shards of kernel rows, as two workers do.
    adamStepLowRank(w2, m2, v2, F, D, rows, K, N, offset, 0, 5, 3, settings)
    adamStepLowRank(w2, m2, v2, F, D, rows, K, N, offset, 5, K, 3, settings)
    expect(relErr(w2, w1)).toBeLessThan(1e-6)
    expect(relErr(m2, m1)).toBeLessThan(1e-6)
    expect(relErr(v2, v1)).toBeLessThan(1e-6)
    expect(w2[0]).toBe(w1[0]) // outside the kernel: untouched
  })

  it('fused Adam follows tf.train.adam on the cpu backend', async () => {
    await tf.setBackend('cpu')
    const init = randArray(50, 16)
    const grads = [randArray(50, 17), randArray(50, 18), randArray(50, 19)]
    const settings = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }
    const ref = tf.variable(tf.tensor1d(init), true, 'adam_ref')
    const opt = tf.train.adam(settings.learningRate, settings.beta1, settings.beta2, settings.epsilon)
    for (const g of grads) opt.applyGradients({ adam_ref: tf.tensor1d(g) } as never)
    const expected = ref.dataSync()

    // Plain-array form, gradients split in two summed halves (the two-worker path).
    const w = init.slice(), m = new Float32Array(50), v = new Float32Array(50)
    grads.forEach((g, i) => adamStep(w, m, v, [g.map((x) => x * 0.25), g.map((x) => x * 0.75)], i + 1, settings))
    expect(relErr(w, expected)).toBeLessThan(1e-5)

    // Optimizer form, on wasm.
    await tf.setBackend('wasm')
    const fv = tf.variable(tf.tensor1d(init), true, 'adam_fused')
    const fused = new FusedAdam(settings)
    for (const g of grads) fused.applyGradients({ adam_fused: tf.tensor1d(g) })
    expect(relErr(fv.dataSync(), expected)).toBeLessThan(1e-5)
    // Adam moves every weight by about lr per step early on: the check is not vacuous.
    expect(relErr(init, expected)).toBeGreaterThan(1e-3)
    fv.dispose()
    ref.dispose()
  })
})
