// One copy of a model that computes gradients and predictions for part of a
// batch. Training keeps the canonical weights and Adam moments in flat
// Float32Arrays (shared between worker threads); a replica loads the weights
// before each step and writes its gradients into a flat array with the same
// layout. The same class runs inside a worker thread or in-process.
import * as tf from '@tensorflow/tfjs'
import { buildModel, lossOf, type ModelSpec } from '../model/architectures/index'
import { fillBatch } from '../data/cell-set'
import { jsMatMul } from './kernels/matmul'

export interface WeightEntry {
  name: string
  shape: number[]
  offset: number
  size: number
  trainable: boolean
}

export interface WeightLayout {
  entries: WeightEntry[]
  /** Total floats (all weights, trainable or not). */
  total: number
  /** [start, end) ranges of trainable floats. */
  trainableRanges: [number, number][]
}

export function layoutOf(model: tf.LayersModel): WeightLayout {
  const trainable = new Set(model.trainableWeights.map((w) => w.originalName))
  let offset = 0
  const entries = model.weights.map((w) => {
    const shape = w.shape.map((d) => d ?? 1)
    const size = shape.reduce((a, b) => a * b, 1)
    const e = { name: w.originalName, shape, offset, size, trainable: trainable.has(w.originalName) }
    offset += size
    return e
  })
  const trainableRanges: [number, number][] = []
  for (const e of entries) {
    if (!e.trainable) continue
    const last = trainableRanges[trainableRanges.length - 1]
    if (last && last[1] === e.offset) last[1] = e.offset + e.size
    else trainableRanges.push([e.offset, e.offset + e.size])
  }
  return { entries, total: offset, trainableRanges }
}

/** Copy a model's current weights into one flat array (layout order). */
export function flattenWeights(model: tf.LayersModel, out?: Float32Array): Float32Array {
  const layout = layoutOf(model)
  const flat = out ?? new Float32Array(layout.total)
  model.weights.forEach((w, i) => flat.set(w.read().dataSync() as Float32Array, layout.entries[i].offset))
  return flat
}

/** Load a flat array (layout order) into a model's weights. */
export function loadFlatWeights(model: tf.LayersModel, flat: Float32Array): void {
  const layout = layoutOf(model)
  // The cpu backend keeps a reference to the array it is given: copy unless on wasm (which copies to its heap).
  const copy = tf.getBackend() !== 'wasm'
  tf.tidy(() => {
    model.weights.forEach((w, i) => {
      const e = layout.entries[i]
      const part = flat.subarray(e.offset, e.offset + e.size)
      w.write(tf.tensor(copy ? part.slice() : part, e.shape, 'float32'))
    })
  })
}

/**
 * Dense layers whose kernel is big enough that streaming it dominates a
 * training step (W-Net's 16384x1024). For these, training never copies the
 * kernel into the replica nor materialises its gradient: the forward product
 * and the input gradient read the shared weights directly, and the kernel's
 * gradient, sum_r x_r^T dy_r over the batch rows, is left as its two factors
 * (the layer's input rows and output-gradient rows) for the Adam step to
 * expand on the fly. That removes ~0.5 GB of memory traffic per worker and
 * step, but the JavaScript products and the expansion cost more CPU than they
 * save on the development machines (batch 8, 2 workers: 0.087 vs 0.060
 * CPU-s per image), so training uses it only when asked (TrainOptions.lowRank).
 */
export const LOW_RANK_MIN_KERNEL = 1 << 22

export interface LowRankLayer {
  /** Index of the kernel in the layout. */
  entry: number
  /** Kernel offset in the flat weights, input and output sizes. */
  offset: number
  K: number
  N: number
  layerName: string
}

export function lowRankLayers(model: tf.LayersModel, layout: WeightLayout = layoutOf(model), minKernel = LOW_RANK_MIN_KERNEL): LowRankLayer[] {
  const out: LowRankLayer[] = []
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Dense') continue
    const kernel = layer.trainableWeights.find((w) => w.originalName.endsWith('/kernel'))
    if (!kernel || kernel.shape.length !== 2) continue
    const [K, N] = kernel.shape as number[]
    if (K * N < minKernel) continue
    const entry = layout.entries.findIndex((e) => e.name === kernel.originalName)
    if (entry < 0 || !layout.entries[entry].trainable) continue
    out.push({ entry, offset: layout.entries[entry].offset, K, N, layerName: layer.name })
  }
  return out
}

/** Shared buffers for one low-rank layer: input rows F (rows x K) and output-gradient rows D (rows x N). */
export interface LowRankFactors {
  F: Float32Array
  D: Float32Array
}

/** out[m, k] = sum_j a[m, j] * b[k, j] (a: M x N, b: K x N row-major): the input gradient dy W^T. */
export function jsMatMulTransB(a: Float32Array, b: Float32Array, out: Float32Array, M: number, K: number, N: number): void {
  for (let k = 0; k < K; k++) {
    const bo = k * N
    for (let m = 0; m < M; m++) {
      const ao = m * N
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0
      let j = 0
      for (; j + 4 <= N; j += 4) {
        s0 += a[ao + j] * b[bo + j]
        s1 += a[ao + j + 1] * b[bo + j + 1]
        s2 += a[ao + j + 2] * b[bo + j + 2]
        s3 += a[ao + j + 3] * b[bo + j + 3]
      }
      for (; j < N; j++) s0 += a[ao + j] * b[bo + j]
      out[m * K + k] = s0 + s1 + s2 + s3
    }
  }
}

/** Per-class sample weights, or none. */
export type ClassWeights = number[] | undefined

export interface StepResult {
  /** Sum over this replica's cells of the (weighted) per-cell loss. */
  lossSum: number
  /** Cells predicted correctly (argmax). */
  correct: number
  count: number
}

export class Replica {
  readonly model: tf.LayersModel
  readonly layout: WeightLayout
  readonly spec: ModelSpec
  private trainableVars: tf.Variable[]
  private loadedVersion = -1
  /** Version loaded without the low-rank kernels (training mode). */
  private partialVersion = -1
  /** Set by useLowRank: the shared weights and factor buffers. */
  private shared?: { w: Float32Array; layers: LowRankLayer[]; factors: LowRankFactors[]; active: boolean; rowOffset: number }
  /** Dropout on in training (tests switch it off to compare paths exactly). */
  dropout = true

  constructor(spec: ModelSpec) {
    this.spec = spec
    this.model = buildModel(spec)
    this.layout = layoutOf(this.model)
    this.trainableVars = this.model.trainableWeights.map((w) => w.read() as tf.Variable)
  }

  /** Load all weights unless this version is already loaded. */
  load(flat: Float32Array, version: number): void {
    if (version === this.loadedVersion) return
    loadFlatWeights(this.model, flat)
    this.loadedVersion = version
    this.partialVersion = version
  }

  /** Load the weights training needs (all but low-rank kernels, which are read from `flat` directly). */
  loadForTraining(flat: Float32Array, version: number): void {
    if (!this.shared) return this.load(flat, version)
    if (version === this.partialVersion || version === this.loadedVersion) return
    const skip = new Set(this.shared.layers.map((l) => l.entry))
    const copy = tf.getBackend() !== 'wasm'
    tf.tidy(() => {
      this.model.weights.forEach((w, i) => {
        if (skip.has(i)) return
        const e = this.layout.entries[i]
        const part = flat.subarray(e.offset, e.offset + e.size)
        w.write(tf.tensor(copy ? part.slice() : part, e.shape, 'float32'))
      })
    })
    this.partialVersion = version
    this.loadedVersion = -1
  }

  /** Mark loaded weights stale (e.g. after the replica wrote its own state). */
  invalidate(): void {
    this.loadedVersion = -1
    this.partialVersion = -1
  }

  /**
   * Train big dense layers in low-rank form against the shared weights `w`
   * (see LOW_RANK_MIN_KERNEL). `factors[i]` receives layer i's rows.
   */
  useLowRank(w: Float32Array, factors: LowRankFactors[], minKernel = LOW_RANK_MIN_KERNEL): LowRankLayer[] {
    const layers = lowRankLayers(this.model, this.layout, minKernel)
    if (layers.length !== factors.length) throw new Error(`expected factor buffers for ${layers.length} low-rank layers, got ${factors.length}`)
    const shared = { w, layers, factors, active: false, rowOffset: 0 }
    this.shared = shared
    layers.forEach((l, i) => {
      // Patch this model instance's Dense layer (tfjs-layers Dense: kernel, bias, activation).
      const layer = this.model.getLayer(l.layerName) as unknown as {
        bias?: { read(): tf.Tensor }
        activation?: { apply(x: tf.Tensor): tf.Tensor }
        call(inputs: tf.Tensor | tf.Tensor[], kwargs: object): tf.Tensor | tf.Tensor[]
      }
      const plainCall = layer.call.bind(layer)
      const kernel = w.subarray(l.offset, l.offset + l.K * l.N)
      const { F, D } = factors[i]
      const matmul = tf.customGrad(((x: tf.Tensor) => {
        const n = x.shape[0] as number
        const xs = x.dataSync() as Float32Array
        F.set(xs, shared.rowOffset * l.K)
        const y = new Float32Array(n * l.N)
        jsMatMul(xs, kernel, y, n, l.K, l.N)
        return {
          value: tf.tensor2d(y, [n, l.N]),
          gradFunc: (dy: tf.Tensor) => {
            const ds = dy.dataSync() as Float32Array
            D.set(ds, shared.rowOffset * l.N)
            const dx = new Float32Array(n * l.K)
            jsMatMulTransB(ds, kernel, dx, n, l.K, l.N)
            return tf.tensor2d(dx, [n, l.K])
          }
        }
      }) as never) as unknown as (x: tf.Tensor) => tf.Tensor
      layer.call = (inputs, kwargs) => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs
        if (!shared.active || x.shape.length !== 2) return plainCall(inputs, kwargs)
        return tf.tidy(() => {
          let y = matmul(x as tf.Tensor)
          if (layer.bias) y = tf.add(y, layer.bias.read())
          return layer.activation ? layer.activation.apply(y) : y
        })
      }
    })
    const skip = new Set(layers.map((l) => l.entry))
    this.trainableVars = this.model.trainableWeights
      .filter((wt) => !skip.has(this.layout.entries.findIndex((e) => e.name === wt.originalName)))
      .map((wt) => wt.read() as tf.Variable)
    return layers
  }

  /**
   * Gradient of sum_i w_i * loss_i / normaliser over the given cells, written
   * into `grads` (layout order; non-trainable entries are left untouched).
   * With normaliser = the full batch size, the gradients of all replicas
   * summed equal the gradient of the batch's mean loss.
   */
  gradients(
    pixels: Uint8Array,
    labels: ArrayLike<number>,
    indices: ArrayLike<number>,
    ops: ArrayLike<number> | undefined,
    sampleWeights: ArrayLike<number> | undefined,
    normaliser: number,
    grads: Float32Array,
    rowOffset = 0,
    dropoutSeed?: number,
    jitter?: Float32Array
  ): StepResult {
    if (dropoutSeed !== undefined) this.seedDropout(dropoutSeed)
    if (this.shared) {
      this.shared.active = true
      this.shared.rowOffset = rowOffset
    }
    try {
      return this.gradientsInner(pixels, labels, indices, ops, sampleWeights, normaliser, grads, jitter)
    } finally {
      if (this.shared) this.shared.active = false
    }
  }

  /**
   * Gives every dropout layer a seed for this step's masks. tfjs draws a
   * dropout mask from `layer.seed` on each call, so a fixed seed would repeat
   * one mask forever; the trainer passes a fresh one per step (derived from
   * the run's seed), which makes runs with the same seed and worker count
   * repeat exactly.
   */
  private seedDropout(seed: number): void {
    this.model.layers.forEach((layer, i) => {
      if (layer.getClassName() === 'Dropout') (layer as unknown as { seed?: number }).seed = (seed + Math.imul(i + 1, 0x9e3779b1)) >>> 0
    })
  }

  private gradientsInner(
    pixels: Uint8Array,
    labels: ArrayLike<number>,
    indices: ArrayLike<number>,
    ops: ArrayLike<number> | undefined,
    sampleWeights: ArrayLike<number> | undefined,
    normaliser: number,
    grads: Float32Array,
    jitter?: Float32Array
  ): StepResult {
    const n = indices.length
    const S = this.spec.inputSize
    const C = this.spec.numClasses
    const xs = fillBatch(pixels, S, indices, new Float32Array(n * S * S * 3), { input: this.spec.inputNormalisation ?? 'none', ops, jitter })
    const y = new Float32Array(n * C)
    const sw = new Float32Array(n)
    for (let i = 0; i < n; i++) {
      y[i * C + labels[indices[i]]] = 1
      sw[i] = sampleWeights ? sampleWeights[i] : 1
    }
    const hinge = lossOf(this.spec.architecture) === 'hinge'
    let out: tf.Tensor | undefined
    let perCell: tf.Tensor | undefined
    const result = tf.tidy(() => {
      const x = tf.tensor4d(xs, [n, S, S, 3])
      const yt = tf.tensor2d(y, [n, C])
      const swt = tf.tensor1d(sw)
      const { value, grads: g } = tf.variableGrads(() => {
        const o = this.model.apply(x, { training: this.dropout }) as tf.Tensor
        out = tf.keep(o)
        let l: tf.Tensor
        if (hinge) {
          // One-vs-rest hinge on the linear outputs: labels in {-1, +1}.
          const signs = tf.sub(tf.mul(yt, 2), 1)
          l = tf.mean(tf.relu(tf.sub(1, tf.mul(signs, o))), -1)
        } else {
          l = tf.neg(tf.sum(tf.mul(yt, tf.log(tf.clipByValue(o, 1e-7, 1 - 1e-7))), -1))
        }
        perCell = tf.keep(l)
        return tf.div(tf.sum(tf.mul(l, swt)), normaliser) as tf.Scalar
      }, this.trainableVars)
      const backend = tf.backend() as unknown as { typedArrayFromHeap?: (t: tf.Tensor) => Float32Array }
      const onWasm = tf.getBackend() === 'wasm' && typeof backend.typedArrayFromHeap === 'function'
      const lowRank = new Set(this.shared?.layers.map((l) => l.entry) ?? [])
      this.layout.entries.forEach((e, i) => {
        if (!e.trainable || lowRank.has(i)) return
        const gt = g[this.varName(e.name)]
        if (!gt) {
          grads.fill(0, e.offset, e.offset + e.size)
          return
        }
        grads.set(onWasm ? backend.typedArrayFromHeap!(gt) : (gt.dataSync() as Float32Array), e.offset)
      })
      return value.dataSync()[0]
    })
    const pred = tf.tidy(() => tf.argMax(out!, -1).dataSync())
    const lossValues = perCell!.dataSync()
    tf.dispose([out!, perCell!])
    let correct = 0
    let lossSum = 0
    for (let i = 0; i < n; i++) {
      if (pred[i] === labels[indices[i]]) correct++
      lossSum += lossValues[i] * sw[i]
    }
    void result
    return { lossSum, correct, count: n }
  }

  /** Non-trainable weights (BatchNorm moving statistics) into `flat`. */
  writeNonTrainable(flat: Float32Array): void {
    this.model.weights.forEach((w, i) => {
      const e = this.layout.entries[i]
      if (!e.trainable) flat.set(w.read().dataSync() as Float32Array, e.offset)
    })
  }

  /** Class scores (softmax probabilities, or SVM outputs) for the given cells, n x C. */
  predict(pixels: Uint8Array, indices: ArrayLike<number>, batchSize = 32): Float32Array {
    const S = this.spec.inputSize
    const C = this.spec.numClasses
    const out = new Float32Array(indices.length * C)
    const per = S * S * 3
    const buf = new Float32Array(batchSize * per)
    for (let start = 0; start < indices.length; start += batchSize) {
      const idx = Array.prototype.slice.call(indices, start, Math.min(indices.length, start + batchSize)) as number[]
      fillBatch(pixels, S, idx, buf, { input: this.spec.inputNormalisation ?? 'none' })
      const scores = tf.tidy(() => {
        const x = tf.tensor4d(buf.subarray(0, idx.length * per), [idx.length, S, S, 3])
        return (this.model.predict(x) as tf.Tensor).dataSync() as Float32Array
      })
      out.set(scores, start * C)
    }
    return out
  }

  private varName(originalName: string): string {
    const w = this.model.trainableWeights.find((v) => v.originalName === originalName)!
    return (w.read() as tf.Variable).name
  }

  dispose(): void {
    this.model.dispose()
  }
}
