// Inference on both cores: a small pool of worker threads (inference-worker.ts),
// started once and kept warm, each holding the model (run by ONNX Runtime
// where it can be, else TensorFlow.js); a batch of cells is split between
// them. Idle workers do not keep the process alive.
//
// Workers start through ../../workers.ts, from TypeScript sources or from the
// bundle's infer-worker.js.
import type { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import { spawnWorker, workerEntryUrl } from '../../workers'
import type { ClassifierOutput } from './classifier'
import type { ModelArtifactsBytes, ModelMeta } from '../model/model-files'
import type { OnnxGraphInfo } from '../model/onnx-export'
import type { LoadReply } from './inference-worker'

function startInferWorker(): Worker {
  return spawnWorker(workerEntryUrl('infer-worker'))
}

class PoolWorker {
  private next = 1
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  /** Loaded models by key, with why ONNX Runtime was passed over when it was. */
  readonly loaded = new Map<string, { onnxSkipped?: string }>()
  failure: Error | undefined

  constructor(readonly worker: Worker) {
    worker.unref()
    worker.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      const p = this.pending.get(m.id)
      if (!p) return
      this.pending.delete(m.id)
      if (!this.pending.size) worker.unref()
      if (m.ok) p.resolve(m.value)
      else p.reject(new Error(`inference worker: ${m.error}`))
    })
    const fail = (err: Error) => {
      this.failure ??= err
      for (const p of this.pending.values()) p.reject(err)
      this.pending.clear()
    }
    worker.on('error', (e) => fail(new Error(`inference worker failed: ${e.message}`)))
    worker.on('exit', (code) => fail(new Error(`inference worker exited (code ${code})`)))
  }

  call<T>(msg: object, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure)
    const id = this.next++
    this.worker.ref()
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.worker.postMessage({ ...msg, id }, transfer)
    })
  }
}

let pool: PoolWorker[] = []

/** Default worker count: one per core, at most 4. */
export function defaultInferenceWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()))
}

async function ensurePool(size: number): Promise<PoolWorker[]> {
  pool = pool.filter((w) => !w.failure)
  while (pool.length < size) pool.push(new PoolWorker(startInferWorker()))
  return pool.slice(0, size)
}

/**
 * The model as an ONNX graph written by the caller (who has it loaded), or
 * undefined to send the tfjs artifacts and let each worker choose its engine.
 */
export type OnnxSource = () => { graph: OnnxGraphInfo; meta: ModelMeta } | undefined

/** Loads the model into `workers` pool threads (once per key). */
export async function warmInference(key: string, artifacts: () => ModelArtifactsBytes, workers = defaultInferenceWorkers(), onnx?: OnnxSource): Promise<void> {
  const ws = await ensurePool(workers)
  const missing = ws.filter((w) => !w.loaded.has(key))
  if (!missing.length) return
  const graph = onnx?.()
  const model = graph ? { onnx: graph } : { artifacts: artifacts() }
  await Promise.all(
    missing.map(async (w) => {
      const reply = await w.call<LoadReply>({ type: 'load', key, ...model })
      w.loaded.set(key, { onnxSkipped: reply.onnxSkipped })
    })
  )
}

/**
 * Classifies N cells (pixels N x S x S x 3) split over the pool's workers.
 * Outputs are concatenated in cell order.
 */
export async function predictInPool(
  key: string,
  artifacts: () => ModelArtifactsBytes,
  pixels: Uint8Array,
  perCell: number,
  numClasses: number,
  opts: { workers?: number; batchSize?: number; features?: boolean; convStats?: boolean; onnx?: OnnxSource } = {}
): Promise<ClassifierOutput> {
  const n = pixels.length / perCell
  const workers = Math.max(1, Math.min(opts.workers ?? defaultInferenceWorkers(), n))
  await warmInference(key, artifacts, workers, opts.onnx)
  const ws = pool.slice(0, workers)
  const counts = Array.from({ length: workers }, (_, k) => Math.floor(n / workers) + (k < n % workers ? 1 : 0))
  let start = 0
  // Pixels in shared memory go to the workers as views (no copy); others as a copy each worker owns.
  const shared = pixels.buffer instanceof SharedArrayBuffer
  const parts = await Promise.all(
    ws.map((w, k) => {
      const [from, to] = [start * perCell, (start + counts[k]) * perCell]
      const slice = shared ? pixels.subarray(from, to) : pixels.slice(from, to)
      start += counts[k]
      return w.call<ClassifierOutput>(
        { type: 'predict', key, pixels: slice, batchSize: opts.batchSize ?? 64, features: opts.features ?? false, convStats: opts.convStats ?? false },
        shared ? [] : [slice.buffer as ArrayBuffer]
      )
    })
  )
  const featureSize = parts[0].featureSize
  const engines = [...new Set(parts.map((p) => p.engine ?? 'unknown'))]
  const skipped = ws.map((w) => w.loaded.get(key)?.onnxSkipped).find(Boolean)
  const out: ClassifierOutput = { probabilities: new Float32Array(n * numClasses), featureSize, engine: engines.join('+'), ...(skipped ? { onnxSkipped: skipped } : {}) }
  if (opts.features) {
    out.features = new Float32Array(n * featureSize)
    if (parts[0].logits) out.logits = new Float32Array(n * numClasses)
  }
  const K = parts[0].convStatsSize ?? 0
  if (opts.convStats) {
    out.convStats = new Float32Array(n * K)
    out.convStatsSize = K
  }
  let off = 0
  parts.forEach((p, k) => {
    if (out.convStats && p.convStats) out.convStats.set(p.convStats, off * K)
    out.probabilities.set(p.probabilities, off * numClasses)
    if (out.features && p.features) out.features.set(p.features, off * featureSize)
    if (out.logits && p.logits) out.logits.set(p.logits, off * numClasses)
    off += counts[k]
  })
  return out
}

/** Unloads from the pool's workers every model whose key `keep` rejects (the warm inference service holds one model). */
export async function retainPoolModels(keep: (key: string) => boolean): Promise<void> {
  await Promise.all(
    pool
      .filter((w) => !w.failure)
      .flatMap((w) =>
        [...w.loaded.keys()].filter((k) => !keep(k)).map(async (k) => {
          w.loaded.delete(k)
          await w.call({ type: 'unload', key: k })
        })
      )
  )
}

/** Stops the pool's workers (tests; the app on quit). */
export async function closeInferencePool(): Promise<void> {
  const ws = pool
  pool = []
  await Promise.all(ws.map((w) => w.worker.terminate()))
}
