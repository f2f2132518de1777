// DCGAN training for one class: alternating discriminator and generator Adam
// steps on the wasm (or faster) backend, progress with ETA, cancel, a sample
// grid every N steps, and checkpoints (both networks and both optimizers'
// moments) that a run killed with kill -9 resumes from. Batches, augmentation,
// noise and dropout masks are pure functions of (seed, step), so a resumed run
// draws what the uninterrupted run would have drawn (with forward 'layers',
// kept for the benchmark, tfjs draws the masks itself).
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import * as tf from '@tensorflow/tfjs'
import { initBackend, type BackendPreference } from '../ml/model/tfjs-backend'
import { FusedAdam } from '../ml/train/kernels/adam'
import { readLatestSnapshot, writeCheckpointSnapshot } from '../ml/train/checkpoint-dir'
import { dihedral } from '../ml/data/cell-set'
import { estimateEta, type ProgressListener } from '../../shared/progress'
import { buildDiscriminator, buildGenerator, generatePixels, getFlatWeights, oneHotRows, setFlatWeights, validateSettings, type GanSettings } from './dcgan'
import { epochOrder, latentVectors, normals, streamFor } from './latent'
import { composeGrid } from './grid'
import { CancelledError } from '../errors'
import { discriminatorTraining, generatorTraining, type MaskStream } from './gan-forward'

export interface GanTrainOptions {
  settings: GanSettings
  /** Real cells of one class: n x size x size x 3 uint8 RGB (the W-Net crop, at the GAN's size). */
  pixels: Uint8Array
  /** Conditional GAN (settings.classes): each real cell's class index. Batches are drawn class-balanced. */
  labels?: Uint8Array
  /** Train until this many steps are finished (a resumed run continues to it). */
  steps: number
  /** Training state for resume; an existing checkpoint there is resumed. */
  checkpointDir?: string
  /** Steps between checkpoints (default 200). A final one is always written. */
  checkpointEvery?: number
  /** Steps between sample grids (default: checkpointEvery). */
  sampleEvery?: number
  /** Where grid PNGs go (grid-step-NNNNNNN.png); none written when absent. */
  sampleDir?: string
  /** Cells per sample grid (default 16). */
  gridCells?: number
  backend?: BackendPreference
  signal?: AbortSignal
  onProgress?: ProgressListener
  /** After each checkpoint: the generator's weights (model.weights order) and the grid at that step. */
  onCheckpoint?: (c: GanCheckpoint) => void | Promise<void>
  task?: string
  /**
   * 'direct' (default): the hand-written training forward passes of
   * gan-forward.ts. 'layers': the layers models' apply(), the slower path
   * this project used before, kept so the benchmark can run both.
   */
  forward?: 'direct' | 'layers'
}

export interface GanLosses {
  dLoss: number
  gLoss: number
  /** Mean D output on real and on generated cells of the step. */
  dReal: number
  dFake: number
}

export interface GanCheckpoint {
  step: number
  generatorWeights: Float32Array
  gridPng: Buffer | null
  losses: GanLosses
}

export interface GanHistoryEntry extends GanLosses {
  step: number
}

export interface GanTrainResult {
  step: number
  resumedFromStep: number
  /** Mean losses over each checkpoint interval. */
  history: GanHistoryEntry[]
  backend: string
  /** Mean wall seconds per training step in this call (checkpoints and grids excluded). */
  secondsPerStep: number
  /** Highest resident set size seen, MB. */
  peakRssMb: number
  generatorWeights: Float32Array
  generatorParams: number
  discriminatorParams: number
  lastGridPng: Buffer | null
}

interface GanCheckpointState {
  format: 'wbc-gan-checkpoint/1'
  key: string
  settings: GanSettings
  step: number
  gOptStep: number
  dOptStep: number
  history: GanHistoryEntry[]
}

export class GanTrainingAborted extends CancelledError {
  constructor() {
    super('GAN training cancelled')
  }
}

/** What must match for a checkpoint to be resumed: the settings and the cells (not the step target). */
export function ganCheckpointKey(settings: GanSettings, pixels: Uint8Array, labels?: Uint8Array): string {
  const h = createHash('sha256').update(JSON.stringify(settings)).update(pixels)
  if (labels) h.update(labels)
  return h.digest('hex')
}

const FILES = ['g.bin', 'd.bin', 'g-m.bin', 'g-v.bin', 'd-m.bin', 'd-v.bin'] as const

/** The step a checkpoint directory holds, without loading it (status displays). */
export async function ganCheckpointStep(dir: string): Promise<number | undefined> {
  return (await readLatestSnapshot<GanCheckpointState>(dir))?.state.step
}

async function readGanCheckpoint(dir: string) {
  const snap = await readLatestSnapshot<GanCheckpointState>(dir)
  if (!snap) return undefined
  return { state: snap.state, arrays: await Promise.all(FILES.map((f) => snap.array(f))) }
}

async function writeGanCheckpoint(dir: string, state: GanCheckpointState, arrays: Float32Array[]): Promise<void> {
  const name = `step-${String(state.step).padStart(8, '0')}`
  await writeCheckpointSnapshot(dir, { name, prefix: 'step-', state, arrays: Object.fromEntries(FILES.map((f, i) => [f, arrays[i]!])) })
}

/** Adam moments of a model's trainable weights, concatenated in trainableWeights order. */
function momentsOf(opt: FusedAdam, model: tf.LayersModel): { m: Float32Array; v: Float32Array } {
  const total = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0)
  const m = new Float32Array(total)
  const v = new Float32Array(total)
  let off = 0
  for (const w of model.trainableWeights) {
    const n = w.shape.reduce((a: number, b) => a * (b ?? 1), 1)
    const mom = opt.moments.get((w.read() as tf.Variable).name)
    if (mom) {
      m.set(mom.m, off)
      v.set(mom.v, off)
    }
    off += n
  }
  return { m, v }
}

function restoreMoments(opt: FusedAdam, model: tf.LayersModel, m: Float32Array, v: Float32Array, step: number): void {
  let off = 0
  for (const w of model.trainableWeights) {
    const n = w.shape.reduce((a: number, b) => a * (b ?? 1), 1)
    opt.moments.set((w.read() as tf.Variable).name, { m: m.slice(off, off + n), v: v.slice(off, off + n) })
    off += n
  }
  opt.step = step
}

/**
 * Real cell `idx` into batch slot `i` of `out` as floats in [0, 1], flipped
 * or rotated by the next draw of `aug` when augmenting (one draw per cell, so
 * a resumed run draws the same).
 */
function putRealCell(s: GanSettings, pixels: Uint8Array, idx: number, out: Float32Array, i: number, tmp: Uint8Array, aug: () => number): void {
  const per = s.size * s.size * 3
  let img = pixels.subarray(idx * per, (idx + 1) * per)
  if (s.augment) {
    const op = Math.floor(aug() * 8)
    if (op) {
      dihedral(img, tmp, s.size, op)
      img = tmp
    }
  }
  for (let j = 0; j < per; j++) out[i * per + j] = img[j] / 255
}

/** Real cells of step `step` as floats in [0, 1], flipped/rotated when augmenting. */
function realBatch(s: GanSettings, pixels: Uint8Array, n: number, step: number, cache: { epoch: number; order: number[] }): Float32Array {
  const S = s.size
  const per = S * S * 3
  const B = s.batchSize
  const out = new Float32Array(B * per)
  const tmp = new Uint8Array(per)
  const aug = streamFor(s.seed, 'augment', step)
  for (let i = 0; i < B; i++) {
    const k = step * B + i
    const epoch = Math.floor(k / n)
    if (cache.epoch !== epoch) {
      cache.epoch = epoch
      cache.order = epochOrder(s.seed, epoch, n)
    }
    putRealCell(s, pixels, cache.order[k % n], out, i, tmp, aug)
  }
  return out
}

/**
 * Conditional GAN: batch slot i of step `step` has class (step*B + i) mod C,
 * real and generated alike; each class visits its own cells in a seeded
 * order per epoch. Returns the real cells as floats and the slots' classes.
 */
function realBatchByClass(s: GanSettings, pixels: Uint8Array, byClass: number[][], step: number, caches: { epoch: number; order: number[] }[]): { real: Float32Array; labels: Int32Array } {
  const S = s.size
  const per = S * S * 3
  const B = s.batchSize
  const C = byClass.length
  const real = new Float32Array(B * per)
  const labels = new Int32Array(B)
  const tmp = new Uint8Array(per)
  const aug = streamFor(s.seed, 'augment', step)
  for (let i = 0; i < B; i++) {
    const k = step * B + i
    const c = k % C
    const kc = Math.floor(k / C)
    const n = byClass[c].length
    const epoch = Math.floor(kc / n)
    const cache = caches[c]
    if (cache.epoch !== epoch) {
      cache.epoch = epoch
      cache.order = epochOrder(s.seed * 31 + c, epoch, n)
    }
    putRealCell(s, pixels, byClass[c][cache.order[kc % n]], real, i, tmp, aug)
    labels[i] = c
  }
  return { real, labels }
}

/** Classes of a conditional GAN's sample grid: cell i is class i mod C (a grid of C columns shows one class per column). */
export function gridLabels(s: GanSettings, count: number): Int32Array | undefined {
  if (!s.classes) return undefined
  return Int32Array.from({ length: count }, (_, i) => i % s.classes!.length)
}

/** Fixed latent vectors for the sample grids of a run (the same at every step, so grids show progress). */
export function gridLatents(s: GanSettings, count: number): Float32Array {
  return latentVectors(s.seed ^ 0x5eed, 0, count, s.latentDim)
}

/** A sample grid of the fixed latent vectors; a conditional GAN's cells are one class per column, or all `cls`. */
export async function sampleGrid(generator: tf.LayersModel, s: GanSettings, count = 16, cls?: string): Promise<Buffer> {
  if (cls !== undefined && s.classes) {
    const index = s.classes.indexOf(cls)
    if (index < 0) throw new Error(`the generator does not know class ${cls}`)
    const px = generatePixels(generator, gridLatents(s, count), s.latentDim, 64, { index, classes: s.classes.length })
    return composeGrid(px, s.size, { minTile: 64 })
  }
  const labels = gridLabels(s, count)
  const px = generatePixels(generator, gridLatents(s, count), s.latentDim, 64, labels ? { index: labels, classes: s.classes!.length } : undefined)
  return composeGrid(px, s.size, { minTile: 64, ...(s.classes ? { columns: s.classes.length } : {}) })
}

export async function trainGan(options: GanTrainOptions): Promise<GanTrainResult> {
  const s = options.settings
  validateSettings(s)
  const per = s.size * s.size * 3
  if (options.pixels.length === 0 || options.pixels.length % per !== 0) throw new Error(`real cells must be n x ${s.size} x ${s.size} x 3`)
  const nReal = options.pixels.length / per
  const info = await initBackend(options.backend ?? 'auto')
  const every = Math.max(1, options.checkpointEvery ?? 200)
  const sampleEvery = Math.max(1, options.sampleEvery ?? every)
  const C = s.classes?.length ?? 0
  const gridCells = options.gridCells ?? (C ? C * 4 : 16)
  let byClass: number[][] = []
  if (C) {
    const labels = options.labels
    if (!labels || labels.length !== nReal) throw new Error('a conditional GAN needs one class index per real cell')
    byClass = Array.from({ length: C }, () => [] as number[])
    labels.forEach((c, i) => {
      if (c >= C) throw new Error(`class index ${c} out of range`)
      byClass[c].push(i)
    })
    const empty = byClass.findIndex((l) => l.length === 0)
    if (empty >= 0) throw new Error(`no real ${s.classes![empty]} cells`)
  }
  const key = ganCheckpointKey(s, options.pixels, C ? options.labels : undefined)

  const G = buildGenerator(s)
  const D = buildDiscriminator(s)
  const optG = new FusedAdam(s.optimizer)
  const optD = new FusedAdam(s.optimizer)
  let step = 0
  let history: GanHistoryEntry[] = []
  const resumed = options.checkpointDir ? await readGanCheckpoint(options.checkpointDir) : undefined
  if (resumed) {
    if (resumed.state.key !== key) {
      throw new Error(`the GAN checkpoint in ${options.checkpointDir} was made with other settings or cells; use another directory or remove it`)
    }
    const [g, d, gm, gv, dm, dv] = resumed.arrays
    setFlatWeights(G, g)
    setFlatWeights(D.model, d)
    restoreMoments(optG, G, gm, gv, resumed.state.gOptStep)
    restoreMoments(optD, D.model, dm, dv, resumed.state.dOptStep)
    step = resumed.state.step
    history = resumed.state.history
  }
  const resumedFromStep = step
  const gVars = G.trainableWeights.map((w) => w.read() as tf.Variable)
  const dVars = D.model.trainableWeights.map((w) => w.read() as tf.Variable)
  const B = s.batchSize
  const S = s.size
  const realTarget = tf.tidy(() => tf.fill([B, 1], s.realLabel))
  const fakeTarget = tf.tidy(() => tf.zeros([B, 1]))
  const ones = tf.tidy(() => tf.ones([B, 1]))
  const dTargets = tf.concat([realTarget, fakeTarget], 0)
  const cache = { epoch: -1, order: [] as number[] }
  const classCaches = byClass.map(() => ({ epoch: -1, order: [] as number[] }))
  const layersPath = options.forward === 'layers'
  // Dropout masks from a stream seeded by (seed, step): a resumed run draws the masks the uninterrupted run would have.
  const masks: MaskStream = { state: 0 }
  const gen = (z: tf.Tensor, label?: tf.Tensor) =>
    layersPath ? (G.apply(label ? [z, label] : z, { training: true }) as tf.Tensor) : generatorTraining(G, s, z, label, masks)
  const disc = (x: tf.Tensor, label?: tf.Tensor) =>
    layersPath ? (D.logits.apply(label ? [x, label] : x, { training: true }) as tf.Tensor) : discriminatorTraining(D.model, s, x, label, masks)
  let peakRss = process.memoryUsage().rss
  let trainMs = 0
  let trainSteps = 0
  let sum = { dLoss: 0, gLoss: 0, dReal: 0, dFake: 0, n: 0 }
  let last: GanLosses = { dLoss: NaN, gLoss: NaN, dReal: NaN, dFake: NaN }
  let lastGrid: Buffer | null = null
  const startedAt = Date.now()
  const startStep = step
  const task = options.task ?? 'gan'

  let savedStep = step
  const checkpoint = async () => {
    savedStep = step
    const losses = sum.n ? { dLoss: sum.dLoss / sum.n, gLoss: sum.gLoss / sum.n, dReal: sum.dReal / sum.n, dFake: sum.dFake / sum.n } : last
    if (sum.n) history.push({ step, ...losses })
    sum = { dLoss: 0, gLoss: 0, dReal: 0, dFake: 0, n: 0 }
    const gW = getFlatWeights(G)
    if (options.checkpointDir) {
      const gMom = momentsOf(optG, G)
      const dMom = momentsOf(optD, D.model)
      await writeGanCheckpoint(
        options.checkpointDir,
        { format: 'wbc-gan-checkpoint/1', key, settings: s, step, gOptStep: optG.step, dOptStep: optD.step, history },
        [gW, getFlatWeights(D.model), gMom.m, gMom.v, dMom.m, dMom.v]
      )
    }
    await options.onCheckpoint?.({ step, generatorWeights: gW, gridPng: lastGrid, losses })
  }
  const grid = async () => {
    lastGrid = await sampleGrid(G, s, gridCells)
    if (options.sampleDir) {
      await mkdir(options.sampleDir, { recursive: true })
      await writeFile(join(options.sampleDir, `grid-step-${String(step).padStart(7, '0')}.png`), lastGrid)
    }
  }

  try {
    while (step < options.steps) {
      // Let the event loop run once per step: a SIGTERM / Ctrl-C handler (and a job's cancel message) can only fire then.
      await new Promise<void>((r) => setImmediate(r))
      if (options.signal?.aborted) {
        // Keep the steps since the last checkpoint: a stopped run (Ctrl-C,
        // SIGTERM, a cancelled job) resumes where it stopped, not up to
        // `checkpointEvery` steps earlier.
        if (step > savedStep) await checkpoint()
        throw new GanTrainingAborted()
      }
      const t0 = performance.now()
      const batch = C ? realBatchByClass(s, options.pixels, byClass, step, classCaches) : { real: realBatch(s, options.pixels, nReal, step, cache), labels: undefined }
      const z = normals(streamFor(s.seed, 'z', step), 2 * B * s.latentDim)
      masks.state = (streamFor(s.seed, 'dropout', step)() * 4294967296) >>> 0
      const stats = tf.tidy(() => {
        const x = tf.tensor4d(batch.real, [B, S, S, 3])
        const lab = batch.labels ? oneHotRows({ index: batch.labels, classes: C }, 0, B) : undefined
        const lab2 = lab ? tf.concat([lab, lab], 0) : undefined
        const z1 = tf.tensor2d(z.subarray(0, B * s.latentDim), [B, s.latentDim])
        const z2 = tf.tensor2d(z.subarray(B * s.latentDim), [B, s.latentDim])
        let dOut: tf.Tensor | undefined
        const dLoss = optD.minimize(
          () => {
            const fake = gen(z1, lab)
            const logits = disc(tf.concat([x, fake], 0), lab2)
            dOut = tf.keep(tf.sigmoid(logits))
            return tf.losses.sigmoidCrossEntropy(dTargets, logits) as tf.Scalar
          },
          true,
          dVars
        )!
        let gOut: tf.Tensor | undefined
        const gLoss = optG.minimize(
          () => {
            const fake = gen(z2, lab)
            const logits = disc(fake, lab)
            gOut = tf.keep(tf.sigmoid(logits))
            return tf.losses.sigmoidCrossEntropy(ones, logits) as tf.Scalar
          },
          true,
          gVars
        )!
        const p = dOut!.dataSync()
        let dReal = 0
        let dFake = 0
        for (let i = 0; i < B; i++) {
          dReal += p[i]
          dFake += p[B + i]
        }
        tf.dispose([dOut!, gOut!])
        return { dLoss: dLoss.dataSync()[0], gLoss: gLoss.dataSync()[0], dReal: dReal / B, dFake: dFake / B }
      })
      step++
      trainMs += performance.now() - t0
      trainSteps++
      last = stats
      sum.dLoss += stats.dLoss
      sum.gLoss += stats.gLoss
      sum.dReal += stats.dReal
      sum.dFake += stats.dFake
      sum.n++
      if (!Number.isFinite(stats.dLoss) || !Number.isFinite(stats.gLoss)) throw new Error(`GAN training diverged at step ${step} (loss is not finite)`)
      peakRss = Math.max(peakRss, process.memoryUsage().rss)
      if (step % sampleEvery === 0 || step === options.steps) await grid()
      if (step % every === 0 || step === options.steps) await checkpoint()
      options.onProgress?.({
        task,
        done: step,
        total: options.steps,
        unit: 'steps',
        etaSeconds: estimateEta(startedAt, step - startStep, options.steps - startStep),
        metrics: { ...stats, secondsPerStep: trainMs / 1000 / trainSteps },
        message: `step ${step}/${options.steps}`
      })
    }
    if (lastGrid === null) await grid()
    return {
      step,
      resumedFromStep,
      history,
      backend: info.name,
      secondsPerStep: trainSteps ? trainMs / 1000 / trainSteps : 0,
      peakRssMb: peakRss / 2 ** 20,
      generatorWeights: getFlatWeights(G),
      generatorParams: G.countParams(),
      discriminatorParams: D.model.countParams(),
      lastGridPng: lastGrid
    }
  } finally {
    tf.dispose([realTarget, fakeTarget, ones, dTargets])
    G.dispose()
    D.model.dispose()
    optG.dispose()
    optD.dispose()
  }
}
