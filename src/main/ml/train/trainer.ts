// Training loop: batches of an in-memory cell set, data-parallel over worker
// threads (each computes the gradient of its share of the batch; the summed
// gradient takes one Adam step, each worker updating its shard of the shared
// parameters), progress with ETA, cancel, and a checkpoint after every epoch
// that a killed run resumes from without redoing finished epochs.
import { mkdir } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import * as tf from '@tensorflow/tfjs'
import { buildModel, type ModelSpec } from '../model/architectures/index'
import type { BackendPreference } from '../model/tfjs-backend'
import { cellCount, type CellSet } from '../data/cell-set'
import { ADAM_DEFAULTS, type AdamSettings } from './kernels/adam'
import { flattenWeights, layoutOf, loadFlatWeights, lowRankLayers, type WeightLayout } from './replica'
import { openPool, type ComputePool } from './training-pool'
import type { HostInit, HostReply } from './training-host'
import { SeededRng } from '../../stats/random'
import { readLatestSnapshot, writeCheckpointSnapshot } from './checkpoint-dir'
import { reportFromConfusion, type ClassificationReport } from '../../stats/metrics'
import { estimateEta, type ProgressListener } from '../../../shared/progress'
import type { TrainingBalance } from '../../../shared/models'
import { drawSiteJitter, siteAugmentActive, SITE_JITTER_VALUES, type SiteAugment } from '../data/site-augment'
import { CancelledError } from '../../errors'

export type LrSchedule =
  | { kind: 'constant' }
  /** Cosine decay from the base rate to base*minFactor over all epochs. */
  | { kind: 'cosine'; minFactor?: number }
  | { kind: 'step'; everyEpochs: number; factor: number }

export type Balance = TrainingBalance

export interface TrainSettings {
  epochs: number
  /** Paper default 5. */
  batchSize: number
  /** Paper default 1e-4 (Adam). */
  learningRate: number
  schedule: LrSchedule
  /** 'sampler': each cell drawn from a uniformly chosen class; 'weights': loss weighted by inverse class frequency. */
  balance: Balance
  /** Random flips and 90-degree rotations. */
  augment: boolean
  seed: number
  adam: Omit<AdamSettings, 'learningRate'>
  /**
   * The last `epochs` of the run train with dropout off (dropout layers pass
   * their input through) at the constant learning rate x `lrFactor`; the
   * schedule spans the epochs before them. A network trained with heavy
   * dropout classifies worse with it off, as inference runs, and a short
   * dropout-off phase closes that gap: docs/ml.md, "Dropout and inference".
   */
  dropoutOff?: { epochs: number; lrFactor: number }
  /** Stain, blur and scale jitter per cell (site-augment.ts), before the flips/rotations. */
  siteAugment?: SiteAugment
}

export const DEFAULT_SETTINGS: TrainSettings = {
  epochs: 10,
  batchSize: 5,
  learningRate: 1e-4,
  schedule: { kind: 'constant' },
  balance: 'none',
  augment: false,
  seed: 1,
  adam: { beta1: ADAM_DEFAULTS.beta1, beta2: ADAM_DEFAULTS.beta2, epsilon: ADAM_DEFAULTS.epsilon }
}

export interface TrainOptions extends Partial<TrainSettings> {
  spec: ModelSpec
  cells: CellSet
  trainIndices: ArrayLike<number>
  /** Held-out cells evaluated after every epoch (overall accuracy, per-class recall ...). */
  validationIndices?: ArrayLike<number>
  /** Worker threads (default 2, one per core); 0 computes in the calling thread. */
  workers?: number
  backend?: BackendPreference
  /** Directory for per-epoch checkpoints; an existing checkpoint there is resumed. */
  checkpointDir?: string
  /** Start from these weights (layout order) instead of a fresh initialisation: fine-tuning. */
  initialWeights?: Float32Array
  /** Weights not to update (by name, e.g. everything but the dense head when fine-tuning). */
  frozen?: (weightName: string) => boolean
  /**
   * Train very large dense kernels (at least LOW_RANK_MIN_KERNEL values, or
   * minKernel) from gradient factors when the batch is at most
   * LOW_RANK_MAX_BATCH; see replica.ts. Off by default: on the 2-core
   * development machines it cost more CPU per image than the plain path.
   */
  lowRank?: boolean | { minKernel: number }
  signal?: AbortSignal
  onProgress?: ProgressListener
  onEpoch?: (record: EpochRecord) => void | Promise<void>
  task?: string
}

export interface EpochRecord {
  /** 1-based. */
  epoch: number
  trainLoss: number
  trainAccuracy: number
  learningRate: number
  seconds: number
  imagesPerSecond: number
  validation?: ClassificationReport
}

export interface TrainResult {
  spec: ModelSpec
  settings: TrainSettings
  layout: WeightLayout
  weights: Float32Array
  history: EpochRecord[]
  backend: string
  workers: number
  /** Epochs found finished in the checkpoint when this call started. */
  resumedFromEpoch: number
  /** Milliseconds per phase and worker (weight load, gradients, Adam, prediction). */
  timings?: Record<string, number>[]
}

interface CheckpointState {
  format: 'wbc-train-checkpoint/1'
  key: string
  spec: ModelSpec
  settings: TrainSettings
  epoch: number
  step: number
  rngState: number
  history: EpochRecord[]
}

/** Largest batch for which big dense kernels may be trained from factors. */
export const LOW_RANK_MAX_BATCH = 16

/** Training stopped at a cancel (a CancelledError, so any caller can catch either). */
export class TrainingAborted extends CancelledError {
  constructor() {
    super('training cancelled')
  }
}

/** Epochs that train with dropout on, before the dropout-off phase. */
function dropoutOnEpochs(s: TrainSettings): number {
  return Math.max(0, s.epochs - (s.dropoutOff?.epochs ?? 0))
}

function learningRateAt(s: TrainSettings, epoch: number, fraction: number): number {
  const sch = s.schedule
  if (s.dropoutOff && epoch >= dropoutOnEpochs(s)) return s.learningRate * s.dropoutOff.lrFactor
  if (sch.kind === 'constant') return s.learningRate
  if (sch.kind === 'step') return s.learningRate * Math.pow(sch.factor, Math.floor(epoch / sch.everyEpochs))
  const p = Math.min(1, (epoch + fraction) / Math.max(1, dropoutOnEpochs(s)))
  const min = sch.minFactor ?? 0.01
  return s.learningRate * (min + (1 - min) * 0.5 * (1 + Math.cos(Math.PI * p)))
}

/** What must match for a checkpoint to be resumed (the epoch count may grow). */
function checkpointKey(spec: ModelSpec, s: TrainSettings, train: ArrayLike<number>, cells: CellSet): string {
  const h = createHash('sha256')
  const { epochs: _e, dropoutOff, ...rest } = s
  // dropoutOff enters the key only when set, so checkpoints made before it existed still resume.
  const off = dropoutOff ? { dropoutOff } : {}
  h.update(JSON.stringify({ spec, settings: { ...rest, ...off, schedule: s.schedule.kind === 'cosine' ? { ...s.schedule, epochs: s.epochs } : s.schedule } }))
  h.update(new Uint8Array(Int32Array.from(train as ArrayLike<number>).buffer))
  h.update(new Uint8Array(cells.labels.buffer, cells.labels.byteOffset, cells.labels.byteLength))
  return h.digest('hex')
}

async function readCheckpoint(dir: string): Promise<{ state: CheckpointState; w: Float32Array; m: Float32Array; v: Float32Array } | undefined> {
  const snap = await readLatestSnapshot<CheckpointState>(dir)
  if (!snap) return undefined
  return { state: snap.state, w: await snap.array('weights.bin'), m: await snap.array('adam-m.bin'), v: await snap.array('adam-v.bin') }
}

async function writeCheckpoint(dir: string, state: CheckpointState, w: Float32Array, m: Float32Array, v: Float32Array): Promise<void> {
  const name = `epoch-${String(state.epoch).padStart(4, '0')}`
  await writeCheckpointSnapshot(dir, { name, prefix: 'epoch-', state, arrays: { 'weights.bin': w, 'adam-m.bin': m, 'adam-v.bin': v } })
}

/** The finished epochs recorded in a checkpoint directory (for status displays), or undefined. */
export async function checkpointStatus(dir: string): Promise<{ epoch: number; history: EpochRecord[] } | undefined> {
  const snap = await readLatestSnapshot<CheckpointState>(dir)
  return snap && { epoch: snap.state.epoch, history: snap.state.history }
}

/** Split n items into k nearly equal contiguous parts ([3, 2] for 5 over 2). */
export function splitCounts(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0))
}

/** Shard k of nw of the trainable ranges, by parameter count. */
export function shardRanges(ranges: [number, number][], k: number, nw: number): [number, number][] {
  const total = ranges.reduce((a, [s, e]) => a + e - s, 0)
  const lo = Math.floor((total * k) / nw)
  const hi = Math.floor((total * (k + 1)) / nw)
  const out: [number, number][] = []
  let pos = 0
  for (const [s, e] of ranges) {
    const len = e - s
    const a = Math.max(lo, pos)
    const b = Math.min(hi, pos + len)
    if (a < b) out.push([s + (a - pos), s + (b - pos)])
    pos += len
  }
  return out
}

interface EpochPlan {
  indices: Int32Array
  ops?: Uint8Array
  weights?: Float32Array
  jitter?: Float32Array
}

function planEpoch(rng: SeededRng, train: number[], labels: Int32Array, numClasses: number, s: TrainSettings): EpochPlan {
  const n = train.length
  const byClass: number[][] = Array.from({ length: numClasses }, () => [])
  for (const i of train) byClass[labels[i]].push(i)
  const present = byClass.map((l, c) => (l.length ? c : -1)).filter((c) => c >= 0)
  let order: number[]
  if (s.balance === 'sampler') {
    const cycles = byClass.map((l) => rng.shuffle(l.slice()))
    const pos = new Array<number>(numClasses).fill(0)
    order = []
    for (let i = 0; i < n; i++) {
      const c = present[rng.int(present.length)]
      if (pos[c] >= cycles[c].length) {
        rng.shuffle(cycles[c])
        pos[c] = 0
      }
      order.push(cycles[c][pos[c]++])
    }
  } else {
    order = rng.shuffle(train.slice())
  }
  const plan: EpochPlan = { indices: Int32Array.from(order) }
  if (s.augment) plan.ops = Uint8Array.from(order, () => rng.int(8))
  // Drawn only when asked for, so runs without it keep their random sequence (and checkpoints).
  if (siteAugmentActive(s.siteAugment)) {
    plan.jitter = new Float32Array(order.length * SITE_JITTER_VALUES)
    for (let i = 0; i < order.length; i++) drawSiteJitter(rng, s.siteAugment!, plan.jitter, i * SITE_JITTER_VALUES)
  }
  if (s.balance === 'weights') {
    const w = byClass.map((l) => (l.length ? n / (present.length * l.length) : 0))
    plan.weights = Float32Array.from(order, (i) => w[labels[i]])
  }
  return plan
}

/** Copy into shared memory unless it already is (workers read it without copies). */
function shared<T extends Uint8Array | Int32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a
  const Ctor = a.constructor as { new (b: SharedArrayBuffer): T }
  const out = new Ctor(new SharedArrayBuffer(a.byteLength))
  out.set(a as never)
  return out
}

/** Scores (n x C) of the given cells with the pool's current weights, split over the workers. */
async function predictWithPool(pool: ComputePool, version: number, indices: Int32Array, numClasses: number): Promise<Float32Array> {
  const parts = splitCounts(indices.length, pool.size)
  let start = 0
  const jobs = parts.map((count, k) => {
    const idx = indices.slice(start, start + count)
    start += count
    return count ? pool.call(k, { type: 'predict', version, indices: idx }) : Promise.resolve({ scores: new Float32Array(0) } as HostReply)
  })
  const answers = (await Promise.all(jobs)) as { scores: Float32Array }[]
  const out = new Float32Array(indices.length * numClasses)
  let off = 0
  for (const a of answers) {
    out.set(a.scores, off)
    off += a.scores.length
  }
  return out
}

export function reportFromScores(scores: Float32Array, labels: ArrayLike<number>, classes: readonly string[]): ClassificationReport {
  const C = classes.length
  const confusion = classes.map(() => new Array<number>(C).fill(0))
  for (let i = 0; i < labels.length; i++) {
    let best = 0
    for (let c = 1; c < C; c++) if (scores[i * C + c] > scores[i * C + best]) best = c
    confusion[labels[i]][best]++
  }
  return reportFromConfusion(confusion, classes)
}

function settingsBatch(options: TrainOptions): number {
  return options.batchSize ?? DEFAULT_SETTINGS.batchSize
}

/** Train (or resume) a model; see TrainOptions. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { spec, cells } = options
  const settings: TrainSettings = {
    epochs: options.epochs ?? DEFAULT_SETTINGS.epochs,
    batchSize: options.batchSize ?? DEFAULT_SETTINGS.batchSize,
    learningRate: options.learningRate ?? DEFAULT_SETTINGS.learningRate,
    schedule: options.schedule ?? DEFAULT_SETTINGS.schedule,
    balance: options.balance ?? DEFAULT_SETTINGS.balance,
    augment: options.augment ?? DEFAULT_SETTINGS.augment,
    seed: options.seed ?? DEFAULT_SETTINGS.seed,
    adam: { ...DEFAULT_SETTINGS.adam, ...options.adam },
    ...(options.dropoutOff && options.dropoutOff.epochs > 0 ? { dropoutOff: options.dropoutOff } : {}),
    ...(siteAugmentActive(options.siteAugment) ? { siteAugment: options.siteAugment } : {})
  }
  if (cells.size !== spec.inputSize) throw new Error(`cells are ${cells.size} px, the model takes ${spec.inputSize} px`)
  const trainList = Array.from(options.trainIndices)
  if (trainList.length === 0) throw new Error('no training cells')
  const N = cellCount(cells)
  if (trainList.some((i) => i < 0 || i >= N)) throw new Error('training index out of range')

  // Canonical state: flat weights and Adam moments in shared memory.
  const model = buildModel(spec)
  const layout = layoutOf(model)
  const lowRankMinKernel = typeof options.lowRank === 'object' ? options.lowRank.minKernel : undefined
  // Opt-in: measured slower than the plain path on this project's 2-core machines (see docs/ml.md).
  const lowRankWanted = options.lowRank !== undefined && options.lowRank !== false && settings.batchSize <= LOW_RANK_MAX_BATCH
  const lowRank = lowRankWanted ? lowRankLayers(model, layout, lowRankMinKernel) : []
  const P = layout.total
  const wBuf = new SharedArrayBuffer(P * 4)
  const mBuf = new SharedArrayBuffer(P * 4)
  const vBuf = new SharedArrayBuffer(P * 4)
  const W = new Float32Array(wBuf)
  const M = new Float32Array(mBuf)
  const V = new Float32Array(vBuf)

  const key = checkpointKey(spec, settings, trainList, cells)
  let epoch0 = 0
  let step = 0
  let rng = new SeededRng(settings.seed)
  let history: EpochRecord[] = []
  const resumed = options.checkpointDir ? await readCheckpoint(options.checkpointDir) : undefined
  if (resumed) {
    if (resumed.state.key !== key) {
      throw new Error(`checkpoint in ${options.checkpointDir} was made with other settings or cells; use another directory or remove it`)
    }
    W.set(resumed.w)
    M.set(resumed.m)
    V.set(resumed.v)
    epoch0 = resumed.state.epoch
    step = resumed.state.step
    rng = new SeededRng(resumed.state.rngState)
    history = resumed.state.history
  } else if (options.initialWeights) {
    if (options.initialWeights.length !== P) throw new Error(`initial weights have ${options.initialWeights.length} values, the model ${P}`)
    W.set(options.initialWeights)
  } else {
    flattenWeights(model, W)
  }
  model.dispose()

  // Adam ranges: trainable, not frozen, and not a low-rank kernel (those are updated from their factors).
  const lowRankEntries = new Set(lowRank.map((l) => l.entry))
  const isFrozen = (name: string) => (options.frozen ? options.frozen(name) : false)
  const ranges: [number, number][] = []
  layout.entries.forEach((e, i) => {
    if (!e.trainable || isFrozen(e.name) || lowRankEntries.has(i)) return
    const last = ranges[ranges.length - 1]
    if (last && last[1] === e.offset) last[1] = e.offset + e.size
    else ranges.push([e.offset, e.offset + e.size])
  })
  const updatedLowRank = lowRank.map((l, i) => ({ ...l, index: i })).filter((l) => !isFrozen(layout.entries[l.entry].name))
  const hasNonTrainable = layout.entries.some((e) => !e.trainable)

  const workers = Math.max(0, options.workers ?? 2)
  const slots = Math.max(1, workers)
  const gradBufs = Array.from({ length: slots }, () => new SharedArrayBuffer(P * 4))
  const pixels = workers > 0 ? shared(cells.pixels) : cells.pixels
  const labels = workers > 0 ? shared(cells.labels) : cells.labels
  const maxRows = settingsBatch(options)
  const factorBufs = lowRank.map((l) => ({ F: new SharedArrayBuffer(maxRows * l.K * 4), D: new SharedArrayBuffer(maxRows * l.N * 4) }))
  const init = (k: number): HostInit => ({
    spec, backend: options.backend ?? 'auto', index: k, weights: wBuf, m: mBuf, v: vBuf, grads: gradBufs, pixels, labels, lowRank: factorBufs,
    lowRankMinKernel
  })

  const result: TrainResult = { spec, settings, layout, weights: W, history, backend: '', workers, resumedFromEpoch: epoch0 }
  const lastEpoch = settings.epochs
  if (epoch0 >= lastEpoch) {
    result.backend = 'none (checkpoint already complete)'
    return result
  }
  const checkAbort = () => {
    if (options.signal?.aborted) throw new TrainingAborted()
  }
  checkAbort()
  const pool = await openPool(workers, init)
  result.backend = pool.backend
  const task = options.task ?? 'train'
  const B = settings.batchSize
  const stepsPerEpoch = Math.ceil(trainList.length / B)
  const totalSteps = stepsPerEpoch * (lastEpoch - epoch0)
  const startedAt = Date.now()
  let doneSteps = 0
  const valIdx = options.validationIndices ? Int32Array.from(options.validationIndices) : undefined
  const valLabels = valIdx ? Array.from(valIdx, (i) => cells.labels[i]) : undefined
  const adamShards = Array.from({ length: pool.size }, (_, k) => shardRanges(ranges, k, pool.size))

  try {
    for (let epoch = epoch0; epoch < lastEpoch; epoch++) {
      const epochStart = Date.now()
      const plan = planEpoch(rng, trainList, cells.labels, spec.numClasses, settings)
      let lossSum = 0
      let correct = 0
      let seen = 0
      let lr = settings.learningRate
      const dropout = epoch < dropoutOnEpochs(settings)
      for (let b = 0; b < stepsPerEpoch; b++) {
        checkAbort()
        const from = b * B
        const to = Math.min(plan.indices.length, from + B)
        const n = to - from
        lr = learningRateAt(settings, epoch, b / stepsPerEpoch)
        // 1. gradients of each worker's share of the batch, against weights version `step`
        const parts = splitCounts(n, pool.size)
        let off = from
        const jobs = parts.map((count, k) => {
          const a = off
          off += count
          if (count === 0) {
            new Float32Array(gradBufs[k]).fill(0)
            return Promise.resolve({ lossSum: 0, correct: 0, count: 0 } as HostReply)
          }
          return pool.call(k, {
            type: 'grad',
            version: step,
            indices: plan.indices.slice(a, a + count),
            ops: plan.ops?.slice(a, a + count),
            sampleWeights: plan.weights?.slice(a, a + count),
            jitter: plan.jitter?.slice(a * SITE_JITTER_VALUES, (a + count) * SITE_JITTER_VALUES),
            normaliser: n,
            rowOffset: a - from,
            dropout,
            dropoutSeed: dropoutSeedFor(settings.seed, step, a - from)
          })
        })
        const answers = (await Promise.all(jobs)) as { lossSum: number; correct: number; count: number }[]
        for (const r of answers) {
          lossSum += r.lossSum
          correct += r.correct
          seen += r.count
        }
        // 2. one Adam step on the summed gradient, each worker updating its shard
        step++
        const adam: AdamSettings = { learningRate: lr, ...settings.adam }
        await Promise.all(
          adamShards.map((shard, k) =>
            pool.call(k, {
              type: 'apply', t: step, adam, ranges: shard, writeNonTrainable: hasNonTrainable && k === 0,
              lowRank: updatedLowRank.map((l) => ({
                layer: l.index, rows: n,
                kStart: Math.floor((l.K * k) / pool.size), kEnd: Math.floor((l.K * (k + 1)) / pool.size)
              }))
            })
          )
        )
        doneSteps++
        options.onProgress?.({
          task,
          done: doneSteps,
          total: totalSteps,
          unit: 'batch',
          etaSeconds: estimateEta(startedAt, doneSteps, totalSteps),
          metrics: { epoch: epoch + 1, epochs: settings.epochs, batch: b + 1, batches: stepsPerEpoch, loss: lossSum / seen, accuracy: correct / seen, learningRate: lr },
          message: `epoch ${epoch + 1}/${settings.epochs}, batch ${b + 1}/${stepsPerEpoch}`
        })
      }
      const seconds = (Date.now() - epochStart) / 1000
      const record: EpochRecord = {
        epoch: epoch + 1,
        trainLoss: lossSum / seen,
        trainAccuracy: correct / seen,
        learningRate: lr,
        seconds,
        imagesPerSecond: seen / seconds
      }
      if (valIdx && valLabels) {
        checkAbort()
        options.onProgress?.({ task, done: doneSteps, total: totalSteps, unit: 'batch', message: `epoch ${epoch + 1}: evaluating ${valIdx.length} held-out cells` })
        const scores = await predictWithPool(pool, step, valIdx, spec.numClasses)
        record.validation = reportFromScores(scores, valLabels, cells.classes)
      }
      history.push(record)
      if (options.checkpointDir) {
        await mkdir(options.checkpointDir, { recursive: true })
        await writeCheckpoint(options.checkpointDir, {
          format: 'wbc-train-checkpoint/1', key, spec, settings, epoch: epoch + 1, step, rngState: rng.state, history
        }, W, M, V)
      }
      await options.onEpoch?.(record)
    }
    result.timings = (await Promise.all(Array.from({ length: pool.size }, (_, k) => pool.call(k, { type: 'timings' })))).map(
      (r) => (r as { timings: Record<string, number> }).timings
    )
  } finally {
    await pool.close()
  }
  return result
}

/** A tf.LayersModel with the given flat weights (for saving, inference, evaluation). */
export function modelFromWeights(spec: ModelSpec, weights: Float32Array): tf.LayersModel {
  const model = buildModel(spec)
  loadFlatWeights(model, weights)
  return model
}

/** The dropout seed of one step's rows starting at `rowOffset`: a function of the run's seed, so a resumed or repeated run draws the same masks. */
export function dropoutSeedFor(runSeed: number, step: number, rowOffset: number): number {
  let h = (runSeed ^ 0x5bd1e995) >>> 0
  for (const v of [step, rowOffset]) {
    h = Math.imul(h ^ v, 0x85ebca6b) >>> 0
    h = (h ^ (h >>> 13)) >>> 0
    h = Math.imul(h, 0xc2b2ae35) >>> 0
    h = (h ^ (h >>> 16)) >>> 0
  }
  return h
}
