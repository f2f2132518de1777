// The work a training thread does, independent of how it is reached: a
// worker thread (training-worker.ts) or the calling thread (workers: 0). Buffers are
// SharedArrayBuffers owned by the trainer; this side only reads the weights
// and writes its gradient slot and its shard of the Adam update.
import { initBackend, type BackendPreference } from '../model/tfjs-backend'
import type { ModelSpec } from '../model/architectures/index'
import { adamStep, adamStepLowRank, type AdamSettings } from './kernels/adam'
import { Replica, type LowRankLayer, type StepResult } from './replica'

export interface HostInit {
  spec: ModelSpec
  backend: BackendPreference
  index: number
  weights: SharedArrayBuffer | ArrayBuffer
  m: SharedArrayBuffer | ArrayBuffer
  v: SharedArrayBuffer | ArrayBuffer
  grads: (SharedArrayBuffer | ArrayBuffer)[]
  pixels: Uint8Array
  labels: Int32Array
  /** Factor buffers (F rows x K, D rows x N) of the low-rank dense layers, in lowRankLayers() order. */
  lowRank?: { F: SharedArrayBuffer | ArrayBuffer; D: SharedArrayBuffer | ArrayBuffer }[]
  lowRankMinKernel?: number
}

/** This worker's share of a low-rank layer's Adam step: kernel rows [kStart, kEnd), `rows` batch rows in the factors. */
export interface LowRankShard {
  layer: number
  kStart: number
  kEnd: number
  rows: number
}

export type HostRequest =
  | { type: 'grad'; version: number; indices: Int32Array; ops?: Uint8Array; sampleWeights?: Float32Array; normaliser: number; rowOffset: number; dropout?: boolean; dropoutSeed?: number; jitter?: Float32Array }
  | { type: 'apply'; t: number; adam: AdamSettings; ranges: [number, number][]; lowRank: LowRankShard[]; writeNonTrainable: boolean }
  | { type: 'predict'; version: number; indices: Int32Array }
  | { type: 'timings' }

export type HostReply = StepResult | { done: true } | { scores: Float32Array } | { timings: Record<string, number> }

export class TrainingHost {
  private replica!: Replica
  private w!: Float32Array
  private m!: Float32Array
  private v!: Float32Array
  private grads!: Float32Array[]
  private init!: HostInit
  private lowRank: { layer: LowRankLayer; F: Float32Array; D: Float32Array }[] = []
  backendName = ''

  async start(init: HostInit): Promise<string> {
    this.init = init
    const info = await initBackend(init.backend)
    this.backendName = info.name
    this.replica = new Replica(init.spec)
    this.w = new Float32Array(init.weights)
    this.m = new Float32Array(init.m)
    this.v = new Float32Array(init.v)
    this.grads = init.grads.map((g) => new Float32Array(g))
    if (this.replica.layout.total !== this.w.length) {
      throw new Error(`weight layout mismatch: model has ${this.replica.layout.total}, buffer ${this.w.length}`)
    }
    if (init.lowRank?.length) {
      const factors = init.lowRank.map((f) => ({ F: new Float32Array(f.F), D: new Float32Array(f.D) }))
      const layers = this.replica.useLowRank(this.w, factors, init.lowRankMinKernel)
      this.lowRank = layers.map((layer, i) => ({ layer, ...factors[i] }))
    }
    return info.name
  }

  /** Milliseconds spent per phase (load/grad/apply/predict), for benchmarks. */
  readonly timings: Record<string, number> = { load: 0, grad: 0, apply: 0, predict: 0 }

  handle(req: HostRequest): HostReply {
    const t0 = performance.now()
    try {
      return this.dispatch(req)
    } finally {
      if (req.type !== 'timings') this.timings[req.type] += performance.now() - t0
    }
  }

  private dispatch(req: HostRequest): HostReply {
    switch (req.type) {
      case 'grad': {
        const t0 = performance.now()
        if (req.dropout !== undefined) this.replica.dropout = req.dropout
        this.replica.loadForTraining(this.w, req.version)
        this.timings.load += performance.now() - t0
        this.timings.grad -= performance.now() - t0
        return this.replica.gradients(
          this.init.pixels, this.init.labels, req.indices, req.ops, req.sampleWeights, req.normaliser, this.grads[this.init.index], req.rowOffset, req.dropoutSeed, req.jitter
        )
      }
      case 'apply':
        for (const [start, end] of req.ranges) adamStep(this.w, this.m, this.v, this.grads, req.t, req.adam, start, end)
        for (const sh of req.lowRank) {
          const { layer, F, D } = this.lowRank[sh.layer]
          adamStepLowRank(this.w, this.m, this.v, F, D, sh.rows, layer.K, layer.N, layer.offset, sh.kStart, sh.kEnd, req.t, req.adam)
        }
        if (req.writeNonTrainable) this.replica.writeNonTrainable(this.w)
        return { done: true }
      case 'predict':
        this.replica.load(this.w, req.version)
        return { scores: this.replica.predict(this.init.pixels, req.indices) }
      case 'timings':
        return { timings: { ...this.timings } }
    }
  }

  dispose(): void {
    this.replica?.dispose()
  }
}
