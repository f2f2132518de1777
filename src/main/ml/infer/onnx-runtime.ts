// Running a W-Net-family model on ONNX Runtime (onnxruntime-node's CPU
// provider): the graph ../model/onnx-export.ts writes, loaded into a session
// whose predict() returns what the tfjs Classifier's does. onnxruntime-node
// is an optionalDependency: where it does not load, `loadOnnxRuntime` says
// why and the caller keeps tfjs.
import { createRequire } from 'node:module'
import type * as tf from '@tensorflow/tfjs'
import type * as Ort from 'onnxruntime-node'
import { fillBatch } from '../data/cell-set'
import { inputNormalisationOf, type InputNormalisation } from '../data/input-normalisation'
import type { ClassifierOutput } from './classifier'
import type { ModelMeta } from '../model/model-files'
import { modelToOnnx, OnnxUnsupported, ONNX_INPUT, ONNX_OUTPUTS, type OnnxGraphInfo, type OnnxKernels } from '../model/onnx-export'

// Not named `require`: the electron-vite ESM bundle injects its own `require` shim.
const requireHere = createRequire(import.meta.url)

let runtime: { ort?: typeof Ort; reason?: string } | undefined

/** onnxruntime-node, or why it is not available (not installed, no binary for this platform). */
export function loadOnnxRuntime(): { ort?: typeof Ort; reason?: string } {
  // Read every time (not cached with the module): a process may switch engines between pools (scripts/bench-classify.ts).
  if (process.env.WBC_INFERENCE_ENGINE === 'tfjs') return { reason: 'WBC_INFERENCE_ENGINE=tfjs' }
  if (runtime) return runtime
  try {
    runtime = { ort: requireHere('onnxruntime-node') as typeof Ort }
  } catch (err) {
    runtime = { reason: (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 200) }
  }
  return runtime
}

/**
 * The ONNX graph of `model` when ONNX Runtime can run it here, or why not
 * (runtime missing, network not expressible). Errors other than those throw.
 */
export function tryOnnxGraph(model: tf.LayersModel, opts: { kernels?: OnnxKernels } = {}): { graph?: OnnxGraphInfo; reason?: string } {
  const { ort, reason } = loadOnnxRuntime()
  if (!ort) return { reason }
  try {
    return { graph: modelToOnnx(model, opts) }
  } catch (err) {
    if (err instanceof OnnxUnsupported) return { reason: err.message }
    throw err
  }
}

/** A model loaded into an ONNX Runtime session; predict() returns what Classifier.predict does. */
export class OnnxClassifier {
  readonly engine = 'onnxruntime'

  private constructor(
    private readonly session: Ort.InferenceSession,
    private readonly ort: typeof Ort,
    readonly meta: ModelMeta,
    readonly numClasses: number,
    readonly featureSize: number,
    readonly convStatsSize: number,
    /** The model's own input colour normalisation (its metadata). */
    readonly inputNormalisation: InputNormalisation
  ) {}

  /** Converts and loads `model`; throws OnnxUnsupported for networks the converter does not write. */
  static async create(model: tf.LayersModel, meta: ModelMeta, opts: { threads?: number } = {}): Promise<OnnxClassifier> {
    return OnnxClassifier.fromGraph(modelToOnnx(model), meta, opts)
  }

  /** Loads a graph modelToOnnx wrote (e.g. in another thread: the inference pool's workers never load TensorFlow.js then). */
  static async fromGraph(g: OnnxGraphInfo, meta: ModelMeta, opts: { threads?: number } = {}): Promise<OnnxClassifier> {
    const { ort, reason } = loadOnnxRuntime()
    if (!ort) throw new Error(`onnxruntime-node is not available: ${reason}`)
    const input = inputNormalisationOf(meta)
    if (g.inputSize !== meta.inputSize) throw new OnnxUnsupported(`model input ${g.inputSize} px, metadata ${meta.inputSize} px`)
    const session = await ort.InferenceSession.create(g.bytes, {
      executionProviders: ['cpu'],
      // One thread per session: the inference pool runs one session per core.
      intraOpNumThreads: opts.threads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all'
    })
    return new OnnxClassifier(session, ort, meta, g.numClasses, g.featureSize, g.convStatsSize, input)
  }

  async predict(pixels: Uint8Array, opts: { batchSize?: number; features?: boolean; convStats?: boolean } = {}): Promise<ClassifierOutput> {
    const S = this.meta.inputSize
    const per = S * S * 3
    const n = pixels.length / per
    if (!Number.isInteger(n)) throw new Error(`pixels are not a whole number of ${S} px cells`)
    const B = Math.max(1, opts.batchSize ?? 64)
    const C = this.numClasses
    const F = this.featureSize
    const K = this.convStatsSize
    const probabilities = new Float32Array(n * C)
    const features = opts.features ? new Float32Array(n * F) : undefined
    const logits = opts.features ? new Float32Array(n * C) : undefined
    const convStats = opts.convStats ? new Float32Array(n * K) : undefined
    const fetches: string[] = [ONNX_OUTPUTS.probabilities]
    if (opts.features) fetches.push(ONNX_OUTPUTS.features, ONNX_OUTPUTS.logits)
    if (opts.convStats) fetches.push(ONNX_OUTPUTS.convStats)
    const buf = new Float32Array(Math.min(B, Math.max(1, n)) * per)
    for (let start = 0; start < n; start += B) {
      const count = Math.min(B, n - start)
      fillBatch(pixels, S, Array.from({ length: count }, (_, i) => start + i), buf, { input: this.inputNormalisation })
      const input = new this.ort.Tensor('float32', buf.subarray(0, count * per), [count, S, S, 3])
      const out = await this.session.run({ [ONNX_INPUT]: input }, fetches)
      probabilities.set(out[ONNX_OUTPUTS.probabilities].data as Float32Array, start * C)
      if (features) features.set(out[ONNX_OUTPUTS.features].data as Float32Array, start * F)
      if (logits) logits.set(out[ONNX_OUTPUTS.logits].data as Float32Array, start * C)
      if (convStats) convStats.set(out[ONNX_OUTPUTS.convStats].data as Float32Array, start * K)
      for (const t of Object.values(out)) t.dispose()
    }
    return { probabilities, features, logits, featureSize: F, convStats, convStatsSize: convStats ? K : undefined }
  }

  dispose(): void {
    void this.session.release()
  }
}
