// scripts/ship-default-model.ts on a tiny W-Net (32 px) trained for one
// epoch on a few real cells by the real train() with a checkpoint folder laid
// out as scripts/train-default-model.ts leaves it (checkpoint/, split.json,
// train.log): the shipped folder is an 8-bit tfjs model with its metadata and
// Unidentified calibration, loads as the shipped model, and the card's figures
// are the ones `wbc evaluate`'s code measures on the held-out files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { initBackend } from '../../src/main/ml/model/tfjs-backend'
import { specFor } from '../../src/main/ml/model/architectures/index'
import { listClassFolders, loadCells } from '../../src/main/ml/data/cell-set'
import { train } from '../../src/main/ml/train/trainer'
import { evaluateFolder } from '../../src/main/ml/infer/evaluate-folder'
import { loadClassifierFromPath, shippedModelPath } from '../../src/main/ml/model/registry'
import { readModelDir } from '../../src/main/ml/model/model-files'
import { WBC_CLASSES } from '../../src/shared/cells'
import { realCells } from '../helpers/datasets'
import { copyLatestCheckpoint, shipDefaultModel, PBC_ATTRIBUTION, type ShipResult } from '../../scripts/ship-default-model'

let root: string
let result: ShipResult
let from: string
let other: string
let phase2: () => Promise<void>
let heldOutTree: string
const TRAIN_PER_CLASS = 4
const TEST_PER_CLASS = 2
const OTHER = ['ig', 'erythroblast', 'platelet']

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'wbc-ship-test-'))
  const data = join(root, 'pbc-wbc')
  for (const cls of WBC_CLASSES) {
    mkdirSync(join(data, cls), { recursive: true })
    for (const f of realCells('pbc-wbc', cls, TRAIN_PER_CLASS + TEST_PER_CLASS)) copyFileSync(f, join(data, cls, basename(f)))
  }
  other = join(root, 'pbc-other')
  for (const cls of OTHER) {
    mkdirSync(join(other, cls), { recursive: true })
    for (const f of realCells('pbc-other', cls, 4)) copyFileSync(f, join(other, cls, basename(f)))
  }
  const backend = await initBackend()
  const files = await listClassFolders(data)
  const cells = await loadCells(files, 32, { hashes: true })
  // The last TEST_PER_CLASS files of each class are held out.
  const seen = new Map<number, number>()
  const isTest = files.map((f) => {
    const k = (seen.get(f.label) ?? 0) + 1
    seen.set(f.label, k)
    return k > TRAIN_PER_CLASS
  })
  from = join(root, 'run')
  mkdirSync(from)
  writeFileSync(
    join(from, 'split.json'),
    JSON.stringify({
      dataset: data, seed: 7, testFraction: 1 / 3, classes: WBC_CLASSES,
      files: files.map((f, i) => ({ file: f.relative, sha256: cells.hashes![i], label: WBC_CLASSES[f.label], set: isTest[i] ? 'test' : 'train' }))
    })
  )
  const trainIdx = files.map((_, i) => i).filter((i) => !isTest[i])
  const testIdx = files.map((_, i) => i).filter((i) => isTest[i])
  await train({
    spec: specFor('wnet', { inputSize: 32, seed: 5 }), cells, trainIndices: trainIdx, validationIndices: testIdx,
    epochs: 1, batchSize: 5, balance: 'sampler', augment: true, schedule: { kind: 'cosine', minFactor: 0.02 }, seed: 7, workers: 0,
    checkpointDir: join(from, 'checkpoint')
  })
  writeFileSync(join(from, 'train.log'), `2026-01-01T00:00:00.000Z backend ${backend.name}; ${files.length} cells\n2026-01-01T00:00:01.000Z W-Net 32px; epochs 1, batch 5, workers 0\n`)
  // Phase 2 as scripts/train-default-model.ts runs it: dropout off, from phase 1's weights, in settle-from-epoch-NNNN/.
  phase2 = async () => {
    const base = await copyLatestCheckpoint(join(from, 'checkpoint'), join(root, 'phase1-copy'))
    const dir = join(from, 'settle-from-epoch-0001')
    mkdirSync(dir)
    writeFileSync(join(dir, 'base.json'), JSON.stringify({ phase1Epochs: 1, epochsPlanned: 1, steps: 4, settings: base.state.settings, history: base.state.history }))
    await train({
      spec: specFor('wnet', { inputSize: 32, seed: 5 }), cells, trainIndices: trainIdx, validationIndices: testIdx,
      epochs: 1, batchSize: 5, learningRate: 2e-5, balance: 'sampler', augment: true, seed: 7, workers: 0, dropout: false,
      initialWeights: base.weights, checkpointDir: join(dir, 'checkpoint')
    })
  }
  heldOutTree = join(root, 'heldout')
  result = await shipDefaultModel({ from, out: join(root, 'resources', 'models', 'wnet-pbc'), other, heldoutTree: heldOutTree, log: () => {} })
})

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true })
})

describe('ship-default-model', () => {
  it('writes an 8-bit tfjs model folder with the workstation metadata and Unidentified calibration', () => {
    const dir = result.modelDir
    for (const f of ['model.json', 'weights.bin']) expect(existsSync(join(dir, f)), f).toBe(true)
    // Only the data the chosen Unidentified score needs ships beside it.
    const chosen = result.card.ood.chosen
    for (const b of ['mahalanobis', 'outlier-exposure']) expect(existsSync(join(dir, `wbc-ood-${b}.bin`)), b).toBe(b === chosen)
    expect(result.card.model.modelBytes).toBe(Object.entries(result.card.model.files).filter(([f]) => !f.startsWith('wbc-ood-')).reduce((a, [, b]) => a + b, 0))
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
    expect(json.format).toBe('layers-model')
    expect(json.weightsManifest[0].weights.some((w: { quantization?: { dtype: string } }) => w.quantization?.dtype === 'uint8')).toBe(true)
    const meta = json.userDefinedMetadata.wbc
    expect(meta).toMatchObject({ architecture: 'wnet', inputSize: 32, classes: [...WBC_CLASSES], preprocessRecipe: 'wnet-central-crop-v1', attribution: PBC_ATTRIBUTION })
    expect(meta.calibration.score).toBe(result.card.ood.chosen)
    expect(meta.calibration.threshold).toBe(result.card.ood.threshold)
    expect(result.card.model.shippedBytes).toBeLessThan(20e6)
    expect(existsSync(`${dir}.staging`)).toBe(false)
  })

  it('records what was trained and measures only the held-out files', () => {
    const c = result.card
    expect(c.training).toMatchObject({ checkpoint: 'epoch-0001', epochsTrained: 1, epochsPlanned: 1, steps: 4, workers: 0 })
    expect(c.training.settings).toMatchObject({ batchSize: 5, balance: 'sampler', augment: true, seed: 7 })
    expect(c.data.split).toMatchObject({ train: 20, heldOut: 10 })
    for (const m of [c.evaluation.float32, c.evaluation.uint8]) {
      expect(m.n).toBe(10)
      expect(Object.values(m.perClass).map((p) => p.n)).toEqual([2, 2, 2, 2, 2])
      expect(m.confusion.flat().reduce((a, b) => a + b)).toBe(10)
    }
    expect(c.evaluation.accuracyDiffPoints).toBeCloseTo(100 * (c.evaluation.float32.accuracy - c.evaluation.uint8.accuracy), 9)
    expect(c.ood.wbcCells).toBe(10)
    expect(c.ood.fitCells).toBe(20)
    expect(c.ood.otherCells + c.ood.exposureCells).toBe(12)
    expect(c.ood.measured.map((m) => m.score).sort()).toEqual(['energy', 'mahalanobis', 'msp', 'outlier-exposure'])
    expect(c.target.met).toBe(false)
  })

  it('the card and card.json carry the same figures, with the attribution and commands', () => {
    const onDisk = JSON.parse(readFileSync(result.cardJson, 'utf8'))
    expect(onDisk.evaluation).toEqual(JSON.parse(JSON.stringify(result.card.evaluation)))
    const md = readFileSync(result.readme, 'utf8')
    expect(md).toContain('doi:10.17632/snkd93bnjr.1')
    expect(md).toContain('CC BY 4.0')
    expect(md).toContain('Paper target NOT met')
    expect(md).toContain('ran all 1 planned epochs')
    expect(md).toContain('on throughout')
    expect(md).toContain(`accuracy ${(100 * result.card.evaluation.uint8.accuracy).toFixed(2)}%`)
    expect(md).toContain('scripts/ship-default-model.ts')
    expect(md).toContain('wbc.js evaluate')
    expect(md).toMatch(/\| msp/)
  })

  it('loads as the shipped model, and `wbc evaluate`s code reproduces the card on the held-out tree', async () => {
    expect(shippedModelPath({ WBC_RESOURCES: join(root, 'resources') })).toBe(result.modelDir)
    const clf = await loadClassifierFromPath(result.modelDir)
    expect(clf.inputSize).toBe(32)
    clf.dispose()
    const r = await evaluateFolder(heldOutTree, { model: result.modelDir })
    expect(r.accuracy).toBe(result.card.evaluation.uint8.accuracy)
    expect(r.confusion).toEqual(result.card.evaluation.uint8.confusion)
    const a = await readModelDir(result.modelDir)
    expect(a.meta.inputSize).toBe(32)
  })

  it('ships phase 2 (the dropout-off epochs) when the run has one, with phase 1 in the card; --no-settled ships phase 1', async () => {
    await phase2()
    const settled = await shipDefaultModel({ from, out: join(root, 'settled', 'wnet-pbc'), other, log: () => {} })
    expect(settled.card.training).toMatchObject({ checkpoint: 'settle-from-epoch-0001/epoch-0001', epochsTrained: 1, epochsPlanned: 1, steps: 8 })
    expect(settled.card.training.dropoutOff).toMatchObject({ epochs: 1, learningRate: 2e-5, steps: 4 })
    expect(settled.card.training.history).toHaveLength(1)
    expect(settled.card.training.dropoutOff!.history).toHaveLength(1)
    // Other weights than phase 1's.
    expect(readFileSync(join(settled.modelDir, 'weights.bin')).equals(readFileSync(join(result.modelDir, 'weights.bin')))).toBe(false)
    const md = readFileSync(settled.readme, 'utf8')
    expect(md).toContain('| 1 + 1 (dropout off) |')
    expect(md).toContain('phase 2 then trained 1 epoch(s) with dropout off at lr 0.00002')
    expect(settled.card.commands.train).toContain('--settle-epochs 1 --settle-lr 0.00002')
    const meta = JSON.parse(readFileSync(join(settled.modelDir, 'model.json'), 'utf8')).userDefinedMetadata.wbc
    expect(meta.training.dropoutOff).toEqual({ epochs: 1, learningRate: 2e-5, schedule: 'constant' })

    const plain = await shipDefaultModel({ from, out: join(root, 'plain', 'wnet-pbc'), other, settled: false, notes: ['A note for the card.'], log: () => {} })
    expect(plain.card.training).toMatchObject({ checkpoint: 'epoch-0001', dropoutOff: null })
    expect(readFileSync(join(plain.modelDir, 'weights.bin')).equals(readFileSync(join(result.modelDir, 'weights.bin')))).toBe(true)
    expect(readFileSync(plain.readme, 'utf8')).toContain('- A note for the card.')
  })

  it('copies the checkpoint LATEST points at, and retries when it vanishes', async () => {
    const dir = join(root, 'fake-ck')
    mkdirSync(join(dir, 'epoch-0002'), { recursive: true })
    writeFileSync(join(dir, 'LATEST'), 'epoch-0001') // points at a folder already dropped
    writeFileSync(join(dir, 'epoch-0002', 'state.json'), JSON.stringify({ epoch: 2 }))
    writeFileSync(join(dir, 'epoch-0002', 'weights.bin'), new Uint8Array(new Float32Array([1, 2, 3]).buffer))
    setTimeout(() => writeFileSync(join(dir, 'LATEST'), 'epoch-0002'), 700)
    const got = await copyLatestCheckpoint(dir, join(root, 'fake-copy'))
    expect(got.name).toBe('epoch-0002')
    expect(Array.from(got.weights)).toEqual([1, 2, 3])
  })
})
