// One copy of a model that computes gradients and predictions for part of a
// batch. Training keeps the canonical weights and Adam moments in flat
// Float32Arrays (shared between worker threads); a replica loads the weights
// before each step and writes its gradients into a flat array with the same
// layout. The same class runs inside a worker thread or in-process.
import * as tf from '@tensorflow/tfjs'
import { buildModel, lossOf, type ModelSpec } from './architectures/index.js'
import { fillBatch } from './data.js'

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
  private readonly trainableVars: tf.Variable[]
  private loadedVersion = -1

  constructor(spec: ModelSpec) {
    this.spec = spec
    this.model = buildModel(spec)
    this.layout = layoutOf(this.model)
    this.trainableVars = this.model.trainableWeights.map((w) => w.read() as tf.Variable)
  }

  /** Load weights unless this version is already loaded. */
  load(flat: Float32Array, version: number): void {
    if (version === this.loadedVersion) return
    loadFlatWeights(this.model, flat)
    this.loadedVersion = version
  }

  /** Mark loaded weights stale (e.g. after the replica wrote its own state). */
  invalidate(): void {
    this.loadedVersion = -1
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
    grads: Float32Array
  ): StepResult {
    const n = indices.length
    const S = this.spec.inputSize
    const C = this.spec.numClasses
    const xs = fillBatch(pixels, S, indices, new Float32Array(n * S * S * 3), ops)
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
        const o = this.model.apply(x, { training: true }) as tf.Tensor
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
      for (const e of this.layout.entries) {
        if (!e.trainable) continue
        const gt = g[this.varName(e.name)]
        if (!gt) {
          grads.fill(0, e.offset, e.offset + e.size)
          continue
        }
        grads.set(onWasm ? backend.typedArrayFromHeap!(gt) : (gt.dataSync() as Float32Array), e.offset)
      }
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
      fillBatch(pixels, S, idx, buf)
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
