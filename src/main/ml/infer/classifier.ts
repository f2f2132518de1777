// A loaded model ready to classify preprocessed cells in batches: class
// probabilities, and on request the penultimate features and the logits the
// out-of-distribution scores need, all from one forward pass.
import * as tf from '@tensorflow/tfjs'
import { fillBatch } from '../data/cell-set'
import { inputNormalisationOf, type InputNormalisation } from '../data/input-normalisation'
import type { ModelMeta } from '../model/model-files'

export interface ClassifierOutput {
  /** n x C class probabilities (softmax outputs; SVM outputs for hinge models). */
  probabilities: Float32Array
  /** n x F inputs of the output layer, when asked for. */
  features?: Float32Array
  /** n x C pre-softmax outputs, when asked for. */
  logits?: Float32Array
  featureSize: number
  /** n x K per-channel mean and standard deviation of every convolution's output (colour and texture statistics), when asked for. */
  convStats?: Float32Array
  convStatsSize?: number
  /** What ran the forward passes when it was not the calling thread's TensorFlow.js ('onnxruntime', 'wasm' ...): set by the inference pool. */
  engine?: string
  /** Why the pool did not use ONNX Runtime, when it did not (runtime missing, network not expressible). */
  onnxSkipped?: string
}

export class Classifier {
  readonly numClasses: number
  readonly featureSize: number
  private readonly twoHeaded: tf.LayersModel
  private withConv: tf.LayersModel | undefined
  private readonly convOutputs: tf.SymbolicTensor[]
  readonly convStatsSize: number
  private readonly kernel: tf.Tensor2D | undefined
  private readonly bias: tf.Tensor1D | undefined
  /** The model's own input colour normalisation (its metadata; read once, so an unknown one fails at load). */
  readonly inputNormalisation: InputNormalisation

  constructor(
    readonly model: tf.LayersModel,
    readonly meta: ModelMeta
  ) {
    this.inputNormalisation = inputNormalisationOf(meta)
    const last = model.layers[model.layers.length - 1]
    const penultimate = last.input as tf.SymbolicTensor
    this.featureSize = penultimate.shape[penultimate.shape.length - 1] as number
    this.numClasses = model.outputs[0].shape[model.outputs[0].shape.length - 1] as number
    this.twoHeaded = tf.model({ inputs: model.inputs, outputs: [penultimate, model.outputs[0]] })
    this.convOutputs = model.layers.filter((l) => l.getClassName() === 'Conv2D').map((l) => l.output as tf.SymbolicTensor)
    this.convStatsSize = 2 * this.convOutputs.reduce((a, t) => a + (t.shape[t.shape.length - 1] as number), 0)
    if (last.getClassName() === 'Dense') {
      const [k, b] = last.getWeights()
      this.kernel = k as tf.Tensor2D
      this.bias = b as tf.Tensor1D | undefined
    }
  }

  get inputSize(): number {
    return this.meta.inputSize
  }

  get classes(): string[] {
    return this.meta.classes
  }

  /**
   * Classifies cells `indices` (default all) of `pixels` (N x S x S x 3 uint8),
   * `batchSize` at a time.
   */
  predict(pixels: Uint8Array, opts: { indices?: ArrayLike<number>; batchSize?: number; features?: boolean; convStats?: boolean } = {}): ClassifierOutput {
    const S = this.meta.inputSize
    const per = S * S * 3
    const total = pixels.length / per
    if (!Number.isInteger(total)) throw new Error(`pixels are not a whole number of ${S} px cells`)
    const indices = opts.indices ?? Int32Array.from({ length: total }, (_, i) => i)
    const n = indices.length
    const B = Math.max(1, opts.batchSize ?? 64)
    const C = this.numClasses
    const F = this.featureSize
    const probabilities = new Float32Array(n * C)
    const features = opts.features ? new Float32Array(n * F) : undefined
    const logits = opts.features && this.kernel ? new Float32Array(n * C) : undefined
    const K = this.convStatsSize
    const convStats = opts.convStats ? new Float32Array(n * K) : undefined
    if (convStats && !this.withConv) {
      this.withConv = tf.model({ inputs: this.model.inputs, outputs: [this.twoHeaded.outputs[0], this.twoHeaded.outputs[1], ...this.convOutputs] })
    }
    const buf = new Float32Array(Math.min(B, Math.max(1, n)) * per)
    for (let start = 0; start < n; start += B) {
      const count = Math.min(B, n - start)
      const idx = Array.prototype.slice.call(indices, start, start + count) as number[]
      fillBatch(pixels, S, idx, buf, { input: this.inputNormalisation })
      tf.tidy(() => {
        const x = tf.tensor4d(buf.subarray(0, count * per), [count, S, S, 3])
        if (!features && !convStats) {
          probabilities.set((this.model.predict(x) as tf.Tensor).dataSync() as Float32Array, start * C)
          return
        }
        const [h, p, ...convs] = (convStats ? this.withConv! : this.twoHeaded).predict(x) as tf.Tensor[]
        if (convStats) {
          const stats = tf.concat(convs.flatMap((t) => {
            const { mean, variance } = tf.moments(t, [1, 2])
            return [mean, tf.sqrt(variance)]
          }), 1)
          convStats.set(stats.dataSync() as Float32Array, start * K)
        }
        if (!features) {
          probabilities.set(p.dataSync() as Float32Array, start * C)
          return
        }
        probabilities.set(p.dataSync() as Float32Array, start * C)
        features.set(h.dataSync() as Float32Array, start * F)
        if (logits && this.kernel) {
          let z = tf.matMul(h as tf.Tensor2D, this.kernel)
          if (this.bias) z = tf.add(z, this.bias)
          logits.set(z.dataSync() as Float32Array, start * C)
        }
      })
    }
    return { probabilities, features, logits, featureSize: F, convStats, convStatsSize: convStats ? K : undefined }
  }

  dispose(): void {
    this.model.dispose()
  }
}
