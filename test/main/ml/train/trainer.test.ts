// Training: data-parallel workers agree with in-thread training, real cells
// are learned above chance, progress/cancel work, and a run killed with
// kill -9 resumes from its last finished epoch.
import { beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initBackend } from '../../../../src/main/ml/model/tfjs-backend'
import { specFor } from '../../../../src/main/ml/model/architectures/index'
import { loadCells, listClassFolders, type CellSet } from '../../../../src/main/ml/data/cell-set'
import { checkpointStatus, shardRanges, splitCounts, train, type TrainingAborted } from '../../../../src/main/ml/train/trainer'
import { Replica, flattenWeights, lowRankLayers } from '../../../../src/main/ml/train/replica'
import { datasetPath, REPO_ROOT } from '../../../helpers/datasets'
import { WBC_CLASSES } from '../../../../src/shared/cells'
import type { Progress } from '../../../../src/shared/progress'

const S = 32
let cells: CellSet
let trainIdx: number[]
let testIdx: number[]

beforeAll(async () => {
  await initBackend('wasm')
  // 40 real cells per class: the first 28 train, the other 12 are held out.
  const all = await listClassFolders(datasetPath('pbc-wbc'))
  const picked = WBC_CLASSES.flatMap((_, c) => all.filter((f) => f.label === c).slice(0, 40))
  cells = await loadCells(picked, S, { shared: true })
  trainIdx = []
  testIdx = []
  picked.forEach((f, i) => {
    const k = i % 40
    ;(k < 28 ? trainIdx : testIdx).push(i)
  })
})

function relDiff(a: Float32Array, b: Float32Array): number {
  let num = 0
  let den = 0
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]))
    den = Math.max(den, Math.abs(b[i]))
  }
  return num / den
}

describe('batch splitting', () => {
  it('splits batches and Adam shards without gaps or overlaps', () => {
    expect(splitCounts(5, 2)).toEqual([3, 2])
    expect(splitCounts(1, 2)).toEqual([1, 0])
    const ranges: [number, number][] = [[0, 10], [15, 18], [20, 41]]
    const a = shardRanges(ranges, 0, 2)
    const b = shardRanges(ranges, 1, 2)
    const covered = [...a, ...b].flatMap(([s, e]) => Array.from({ length: e - s }, (_, i) => s + i)).sort((x, y) => x - y)
    expect(covered).toEqual(ranges.flatMap(([s, e]) => Array.from({ length: e - s }, (_, i) => s + i)))
  })
})

describe('training', () => {
  it('two workers take the same steps as one thread (deterministic network, summed half-batch gradients)', async () => {
    // The LSTM has no dropout or batch statistics, so both runs must agree to rounding.
    const common = { spec: specFor('lstm', { inputSize: S, seed: 7 }), cells, trainIndices: trainIdx.slice(0, 30), epochs: 2, batchSize: 6, learningRate: 1e-3, seed: 5 }
    const inline = await train({ ...common, workers: 0 })
    const two = await train({ ...common, workers: 2 })
    expect(two.workers).toBe(2)
    expect(two.backend).toBe('wasm')
    const diff = relDiff(two.weights, inline.weights)
    expect(diff).toBeLessThan(1e-4)
    // ... and training did move the weights (10 Adam steps at lr 1e-3).
    const init = await train({ ...common, epochs: 0, dropoutOff: undefined, workers: 0 })
    expect(relDiff(init.weights, inline.weights)).toBeGreaterThan(1e-3)
    expect(inline.history[1].trainLoss).toBeLessThan(inline.history[0].trainLoss + 0.5)
  })

  it('low-rank dense layer: same gradients as tfjs (conv layers through its input gradient; kernel from its factors)', () => {
    const spec = specFor('wnet', { inputSize: S, seed: 8 })
    const plain = new Replica(spec)
    const lr = new Replica(spec)
    plain.dropout = false
    lr.dropout = false
    const w = flattenWeights(plain.model)
    const n = 5
    const fc1 = lowRankLayers(plain.model, plain.layout, 1 << 18)
    expect(fc1.map((l) => [l.layerName, l.K, l.N])).toEqual([['fc1', 1024, 1024]])
    const factors = [{ F: new Float32Array(n * 1024), D: new Float32Array(n * 1024) }]
    lr.useLowRank(w, factors, 1 << 18)
    const idx = Int32Array.from(trainIdx.slice(0, n))
    const gPlain = new Float32Array(w.length)
    const gLow = new Float32Array(w.length)
    plain.load(w, 1)
    lr.loadForTraining(w, 1)
    // Split the 5 rows 3 + 2 as two workers would (rowOffset), into one factor buffer.
    plain.gradients(cells.pixels, cells.labels, idx, undefined, undefined, n, gPlain)
    const g2 = new Float32Array(w.length)
    lr.gradients(cells.pixels, cells.labels, idx.subarray(0, 3), undefined, undefined, n, gLow, 0)
    lr.gradients(cells.pixels, cells.labels, idx.subarray(3), undefined, undefined, n, g2, 3)
    for (let i = 0; i < w.length; i++) gLow[i] += g2[i]
    const k = fc1[0]
    // Kernel gradient from the factors: F^T D.
    for (let a = 0; a < k.K; a++)
      for (let b = 0; b < k.N; b++) {
        let sum = 0
        for (let r = 0; r < n; r++) sum += factors[0].F[r * k.K + a] * factors[0].D[r * k.N + b]
        gLow[k.offset + a * k.N + b] = sum
      }
    for (const e of plain.layout.entries) {
      const a = gPlain.subarray(e.offset, e.offset + e.size)
      const b = gLow.subarray(e.offset, e.offset + e.size)
      expect(relDiff(b, a), e.name).toBeLessThan(1e-5)
    }
    plain.dispose()
    lr.dispose()
  })

  it('W-Net with its big dense kernel trained from gradient factors takes the same steps as plain tfjs gradients', async () => {
    // Dropout off so both runs are deterministic; at 32 px fc1 is 1024x1024, so lower the low-rank threshold to cover it.
    const common = { spec: specFor('wnet', { inputSize: S, seed: 3 }), cells, trainIndices: trainIdx.slice(0, 24), epochs: 2, batchSize: 6, learningRate: 1e-3, seed: 4, dropoutOff: { epochs: 2, lrFactor: 1 } }
    const plain = await train({ ...common, workers: 0, lowRank: false })
    const factored = await train({ ...common, workers: 2, lowRank: { minKernel: 1 << 18 } })
    expect(relDiff(factored.weights, plain.weights)).toBeLessThan(1e-4)
    const init = await train({ ...common, epochs: 0, workers: 0 })
    // fc1's kernel really moved (8 Adam steps), and moved the same way.
    const fc1 = plain.layout.entries.find((e) => e.name.startsWith('fc1') && e.name.endsWith('kernel'))!
    const part = (w: Float32Array) => w.subarray(fc1.offset, fc1.offset + fc1.size)
    expect(relDiff(part(init.weights), part(plain.weights))).toBeGreaterThan(1e-3)
    expect(relDiff(part(factored.weights), part(plain.weights))).toBeLessThan(1e-4)
  })

  it('draws dropout masks from the run seed: the same seed repeats a run exactly, another seed does not', async () => {
    // Two workers: each draws the masks of its own rows of the batch, in its own thread.
    const common = { spec: specFor('wnet', { inputSize: S, seed: 3 }), cells, trainIndices: trainIdx.slice(0, 12), epochs: 1, batchSize: 6, learningRate: 1e-3, workers: 2 }
    const a = await train({ ...common, seed: 4 })
    const b = await train({ ...common, seed: 4 })
    expect(relDiff(b.weights, a.weights)).toBe(0)
    const c = await train({ ...common, seed: 5 })
    expect(relDiff(c.weights, a.weights)).toBeGreaterThan(1e-4)
  })

  it('learns real cells with two workers: held-out accuracy well above chance, per-class recall reported', async () => {
    const progress: Progress[] = []
    const result = await train({
      spec: specFor('wnet', { inputSize: S, seed: 1 }),
      cells,
      trainIndices: trainIdx,
      validationIndices: testIdx,
      epochs: 10,
      batchSize: 5,
      learningRate: 1e-3,
      balance: 'sampler',
      augment: true,
      workers: 2,
      onProgress: (p) => progress.push(p)
    })
    const last = result.history[result.history.length - 1]
    expect(last.validation!.total).toBe(testIdx.length)
    expect(last.validation!.perClass.map((c) => c.label)).toEqual([...WBC_CLASSES])
    // Chance is 20% on these balanced 60 held-out cells (dropout 0.6 makes 32-px W-Net learn slowly).
    const late = Math.max(...result.history.slice(-3).map((h) => h.validation!.accuracy))
    expect(late).toBeGreaterThan(0.35)
    const steps = progress.filter((p) => p.unit === 'batch' && p.metrics?.batch)
    expect(steps.length).toBe(10 * Math.ceil(trainIdx.length / 5))
    expect(steps[steps.length - 1].done).toBe(steps[steps.length - 1].total)
    expect(steps[3].etaSeconds).toBeGreaterThan(0)
    expect(steps[3].metrics).toMatchObject({ epoch: 1, batch: 4 })
  })

  it('cancels with an AbortSignal and resumes from the last finished epoch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wbc-ckpt-'))
    const opts = { spec: specFor('lstm', { inputSize: S, seed: 2 }), cells, trainIndices: trainIdx.slice(0, 20), batchSize: 5, learningRate: 1e-3, seed: 9, workers: 0, checkpointDir: dir }
    const straight = await train({ ...opts, epochs: 3, checkpointDir: undefined })

    const ac = new AbortController()
    let seenEpoch2 = false
    const cancelled = train({
      ...opts,
      epochs: 3,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.metrics?.epoch === 2 && p.metrics?.batch === 2) {
          seenEpoch2 = true
          ac.abort()
        }
      }
    })
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' } satisfies Partial<TrainingAborted>)
    expect(seenEpoch2).toBe(true)
    expect((await checkpointStatus(dir))?.epoch).toBe(1)

    const resumed = await train({ ...opts, epochs: 3 })
    expect(resumed.resumedFromEpoch).toBe(1)
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3])
    // Same batches, same augmentation draws, deterministic network: identical to the uninterrupted run.
    expect(relDiff(resumed.weights, straight.weights)).toBeLessThan(1e-6)

    // Other settings must not silently continue this checkpoint.
    await expect(train({ ...opts, epochs: 3, learningRate: 5e-4 })).rejects.toThrow(/other settings/)
  })

  it('trains the last epochs with dropout off at a constant learning rate after the schedule', async () => {
    const base = { spec: specFor('wnet', { inputSize: S, seed: 3 }), cells, trainIndices: trainIdx.slice(0, 12), batchSize: 6, learningRate: 1e-3, seed: 4, workers: 2 }
    // All epochs dropout-off: no masks are drawn, so how a batch is split between workers does not change the steps.
    const off = await train({ ...base, epochs: 2, dropoutOff: { epochs: 2, lrFactor: 1 } })
    const offAgain = await train({ ...base, workers: 0, epochs: 2, dropoutOff: { epochs: 2, lrFactor: 1 } })
    expect(relDiff(offAgain.weights, off.weights)).toBeLessThan(1e-5)
    // With dropout in its first epoch the run differs.
    const mixed = await train({ ...base, epochs: 2, dropoutOff: { epochs: 1, lrFactor: 1 } })
    expect(relDiff(mixed.weights, off.weights)).toBeGreaterThan(1e-4)
    // The cosine spans the dropout-on epochs; the dropout-off epoch runs at lr x factor.
    const lrs = (await train({ ...base, workers: 0, epochs: 3, schedule: { kind: 'cosine', minFactor: 0.1 }, dropoutOff: { epochs: 1, lrFactor: 0.2 } })).history.map((h) => h.learningRate)
    // 2 steps per epoch; an epoch's rate is its last step's: cosine position 0.5/2 and 1.5/2 of the 2 dropout-on epochs.
    const cosine = (p: number) => 1e-3 * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)))
    expect(lrs[0]).toBeCloseTo(cosine(0.25), 12)
    expect(lrs[1]).toBeCloseTo(cosine(0.75), 12)
    expect(lrs[2]).toBeCloseTo(2e-4, 12)
  })

  it('a run killed with kill -9 resumes without redoing finished epochs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wbc-kill-'))
    const script = join(dir, 'run.mts')
    const src = (p: string) => JSON.stringify(join(REPO_ROOT, p))
    writeFileSync(
      script,
      `import { train } from ${src('src/main/ml/train/trainer.ts')}
import { specFor } from ${src('src/main/ml/model/architectures/index.ts')}
import { loadCells, listClassFolders } from ${src('src/main/ml/data/cell-set.ts')}
const all = await listClassFolders(${JSON.stringify(datasetPath('pbc-wbc'))})
const files = [0, 1, 2, 3, 4].flatMap((c) => all.filter((f) => f.label === c).slice(0, 6))
const cells = await loadCells(files, ${S})
await train({ spec: specFor('wnet', { inputSize: ${S} }), cells, trainIndices: files.map((_, i) => i), epochs: 1000, workers: 2,
  checkpointDir: ${JSON.stringify(join(dir, 'ckpt'))},
  onEpoch: (r) => { if (r.epoch === 2) console.log('EPOCH2') } })
`
    )
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('child did not reach epoch 2')), 60_000)
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('EPOCH2')) {
          clearTimeout(timer)
          resolve()
        }
      })
      child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr.slice(-2000)}`)))
    })
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    const status = await checkpointStatus(join(dir, 'ckpt'))
    expect(status!.epoch).toBeGreaterThanOrEqual(2)
    expect(existsSync(join(dir, 'ckpt', readFileSync(join(dir, 'ckpt', 'LATEST'), 'utf8'), 'weights.bin'))).toBe(true)

    const all = await listClassFolders(datasetPath('pbc-wbc'))
    const files = [0, 1, 2, 3, 4].flatMap((c) => all.filter((f) => f.label === c).slice(0, 6))
    const again = await loadCells(files, S)
    const epochsBefore = status!.epoch
    const resumed = await train({ spec: specFor('wnet', { inputSize: S }), cells: again, trainIndices: files.map((_, i) => i), epochs: epochsBefore + 1, workers: 2, checkpointDir: join(dir, 'ckpt') })
    expect(resumed.resumedFromEpoch).toBe(epochsBefore)
    // Only the one missing epoch ran in this call; the earlier ones come from the checkpoint.
    expect(resumed.history.length).toBe(epochsBefore + 1)
    expect(resumed.history[epochsBefore].epoch).toBe(epochsBefore + 1)
  })
})
