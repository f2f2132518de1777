// Shipping a model (src/main/ml/model/ship.ts, `wbc model ship`) on a tiny
// W-Net (32 px) trained for one epoch on a few real cells by the real train()
// with a checkpoint folder laid out as scripts/train-default-model.ts leaves it
// (checkpoint/, split.json, train.log): the shipped folder is an 8-bit tfjs
// model with its metadata and Unidentified calibration, loads as the shipped
// model, and the card's figures are the ones `wbc evaluate`'s code measures
// on the held-out files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { initBackend } from '../../../../src/main/ml/model/tfjs-backend'
import { specFor } from '../../../../src/main/ml/model/architectures/index'
import { listClassFolders, loadCells } from '../../../../src/main/ml/data/cell-set'
import { train } from '../../../../src/main/ml/train/trainer'
import { evaluateFolder } from '../../../../src/main/ml/infer/evaluate-folder'
import { loadClassifierFromPath, shippedModelPath } from '../../../../src/main/ml/model/registry'
import { readModelDir } from '../../../../src/main/ml/model/model-files'
import { WBC_CLASSES } from '../../../../src/shared/cells'
import { realCells } from '../../../helpers/datasets'
import { copyLatestCheckpoint, recalibrateShippedModel, shipDefaultModel, PBC_ATTRIBUTION, type ShipResult } from '../../../../src/main/ml/model/ship'
import { wbc } from '../../../helpers/wbc'

let root: string
let result: ShipResult
let from: string
let other: string
let withDropoutOff: () => Promise<string>
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
  // The default recipe's tail: the last epoch with dropout off (settings.dropoutOff), in the same run.
  withDropoutOff = async () => {
    const dir = join(root, 'run-dropout-off')
    mkdirSync(dir)
    copyFileSync(join(from, 'split.json'), join(dir, 'split.json'))
    await train({
      spec: specFor('wnet', { inputSize: 32, seed: 5 }), cells, trainIndices: trainIdx, validationIndices: testIdx,
      epochs: 2, batchSize: 5, learningRate: 1e-4, balance: 'sampler', augment: true, schedule: { kind: 'cosine', minFactor: 0.02 }, seed: 7, workers: 0,
      dropoutOff: { epochs: 1, lrFactor: 0.2 }, checkpointDir: join(dir, 'checkpoint')
    })
    return dir
  }
  heldOutTree = join(root, 'heldout')
  result = await shipDefaultModel({ from, out: join(root, 'resources', 'models', 'wnet-pbc'), other, heldoutTree: heldOutTree, log: () => {} })
})

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true })
})

describe('shipping the default model', () => {
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
    expect(md).toContain('wbc.js model ship --from')
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

  it('ships a run whose last epochs trained with dropout off, with both parts in the card', async () => {
    const dir = await withDropoutOff()
    const off = await shipDefaultModel({ from: dir, out: join(root, 'dropout-off', 'wnet-pbc'), other, log: () => {} })
    expect(off.card.training).toMatchObject({ checkpoint: 'epoch-0002', epochsTrained: 1, epochsPlanned: 1, steps: 8 })
    expect(off.card.training.dropoutOff).toMatchObject({ epochs: 1, learningRate: 1e-4 * 0.2, steps: 4 })
    expect(off.card.training.history).toHaveLength(1)
    expect(off.card.training.dropoutOff!.history).toHaveLength(1)
    // Other weights than the one-epoch run's.
    expect(readFileSync(join(off.modelDir, 'weights.bin')).equals(readFileSync(join(result.modelDir, 'weights.bin')))).toBe(false)
    const md = readFileSync(off.readme, 'utf8')
    expect(md).toContain('| 1 + 1 (dropout off) |')
    expect(md).toContain(`then 1 epoch(s) with dropout off at lr ${1e-4 * 0.2}`)
    expect(off.card.commands.train).toContain('--epochs 2 --dropout-off-epochs 1')
    const meta = JSON.parse(readFileSync(join(off.modelDir, 'model.json'), 'utf8')).userDefinedMetadata.wbc
    expect(meta.training.dropoutOff).toEqual({ epochs: 1, learningRate: 1e-4 * 0.2, schedule: 'constant' })

    // The same run shipped again gives the same weights; notes go to the card.
    const again = await shipDefaultModel({ from, out: join(root, 'again', 'wnet-pbc'), other, notes: ['A note for the card.'], log: () => {} })
    expect(again.card.training).toMatchObject({ checkpoint: 'epoch-0001', dropoutOff: null })
    expect(readFileSync(join(again.modelDir, 'weights.bin')).equals(readFileSync(join(result.modelDir, 'weights.bin')))).toBe(true)
    expect(readFileSync(again.readme, 'utf8')).toContain('- A note for the card.')
  })

  it('`wbc model ship` ships the run and prints the held-out figures the card holds', async () => {
    const out = join(root, 'cli', 'models', 'wnet-pbc')
    const r = await wbc(['model', 'ship', '--from', from, '--out', out, '--other', other, '--json'])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    const card = JSON.parse(r.out)
    expect(card.evaluation.uint8.n).toBe(10)
    expect(card).toEqual(JSON.parse(readFileSync(join(root, 'cli', 'models', 'card.json'), 'utf8')))
    expect(readFileSync(join(out, 'weights.bin')).equals(readFileSync(join(result.modelDir, 'weights.bin')))).toBe(true)
    const bad = await wbc(['model', 'ship', '--from', from, '--out', out, '--other', other, '--score', 'nonsense'])
    expect(bad.code).not.toBe(0)
    expect(bad.err).toMatch(/--score is one of/)
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

describe('re-measuring a shipped folder and shipping an eight-class run', () => {
  it('recalibrates a shipped folder without touching its weights, and rewrites its card\'s Unidentified part', async () => {
    const cardDir = join(root, 'recal')
    const modelDir = join(cardDir, 'wnet-pbc')
    mkdirSync(modelDir, { recursive: true })
    for (const f of ['model.json', 'weights.bin', `wbc-ood-${result.card.ood.chosen}.bin`]) copyFileSync(join(result.modelDir, f), join(modelDir, f))
    copyFileSync(result.readme, join(cardDir, 'README.md'))
    copyFileSync(result.cardJson, join(cardDir, 'card.json'))
    const heldOut = join(root, 'resources', 'models', 'wnet-pbc-heldout.csv')
    const r = await recalibrateShippedModel({ modelDir, heldOut, data: [join(root, 'pbc-wbc')], other, cardDir, targetWbcRate: 0.1 })
    expect(readFileSync(join(modelDir, 'weights.bin')).equals(readFileSync(join(result.modelDir, 'weights.bin')))).toBe(true)
    const meta = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')).userDefinedMetadata.wbc
    expect(meta.calibration.review.confidenceThreshold).toBe(r.calibration.review!.confidenceThreshold)
    expect(meta.calibration.wbcCells).toBe(WBC_CLASSES.length * TEST_PER_CLASS)
    expect(meta.calibration.fitCells).toBe(WBC_CLASSES.length * TRAIN_PER_CLASS)
    const card = JSON.parse(readFileSync(join(cardDir, 'card.json'), 'utf8'))
    expect(card.ood.review).toEqual(r.calibration.review)
    const readme = readFileSync(join(cardDir, 'README.md'), 'utf8')
    expect(readme).toContain('### What the reviewer sees: the default Unidentified threshold')
    expect(readme).toContain(`| review default: a call under this confidence is Unidentified | **${r.calibration.review!.confidenceThreshold.toFixed(2)}** | |`)
    // The rest of the card is kept: one Unidentified section, the commands after it.
    expect(readme.split('## Unidentified (out-of-distribution) routing').length).toBe(2)
    expect(readme).toContain('## Commands that produce these figures')
  })

  it('ships an eight-class run read from two class-folder trees, held to the eight-class target', async () => {
    const eight = [...WBC_CLASSES, ...OTHER]
    const data = join(root, 'pbc-wbc')
    const files = [...(await listClassFolders(data, eight)), ...(await listClassFolders(other, eight))]
    const cells = await loadCells(files, 32, { hashes: true, classes: eight })
    const seen = new Map<number, number>()
    const isTest = files.map((f) => {
      const k = (seen.get(f.label) ?? 0) + 1
      seen.set(f.label, k)
      return f.label < 5 ? k > TRAIN_PER_CLASS : k > 3
    })
    const run = join(root, 'run8')
    mkdirSync(run)
    writeFileSync(
      join(run, 'split.json'),
      JSON.stringify({ dataset: [data, other], seed: 7, testFraction: 0.2, classes: eight, files: files.map((f, i) => ({ file: f.relative, sha256: cells.hashes![i], label: eight[f.label], set: isTest[i] ? 'test' : 'train' })) })
    )
    await train({
      spec: specFor('wnet', { inputSize: 32, seed: 5, numClasses: 8 }), cells, trainIndices: files.map((_, i) => i).filter((i) => !isTest[i]), validationIndices: files.map((_, i) => i).filter((i) => isTest[i]),
      epochs: 1, batchSize: 5, learningRate: 1e-4, balance: 'sampler', augment: true, seed: 7, workers: 0, dropoutOff: { epochs: 1, lrFactor: 1 }, checkpointDir: join(run, 'checkpoint')
    })
    const out = join(root, 'eight', 'wnet-pbc8')
    const r = await shipDefaultModel({ from: run, out, cardDir: out, other: join(root, 'no-such-folder'), log: () => {} })
    expect(r.card.model.classes).toEqual(eight)
    expect(r.card.evaluation.uint8.n).toBe(5 * TEST_PER_CLASS + 3)
    expect(r.card.target).toMatchObject({ accuracy: 0.97, basophilRecall: 0.9, recallClass: 'ig' })
    // Its own held-out ig / erythroblast / platelet cells are the non-WBC side; being its classes, none is shown to a detector.
    expect(r.card.ood.exposureCells).toBe(0)
    expect(r.card.ood.otherCells).toBe(3)
    expect(r.card.ood.wbcCells).toBe(5 * TEST_PER_CLASS)
    expect(r.card.ood.review).toBeDefined()
    const readme = readFileSync(r.readme, 'utf8')
    expect(readme).toContain('| epoch | train loss | train accuracy | lr at end | minutes | held-out accuracy | ig recall |')
    expect(readme).toMatch(/how this model routes them is not measured/)
    expect(readme).toContain('every epoch trained with dropout off')
    // The card sits in the model folder and the folder still loads as a model.
    expect(existsSync(join(out, 'wnet-pbc8-heldout.csv'))).toBe(true)
    expect((await loadClassifierFromPath(out)).classes).toEqual(eight)
  }, 120_000)
})
