#!/usr/bin/env -S npx tsx
// Trains the workstation's default W-Net (paper architecture, 128 px) on the
// PBC dataset with the project's own training code, resumable across
// restarts. Run from the repository root:
//
//   nohup npx tsx scripts/train-default-model.ts > .cache/default-model/nohup.out 2>&1 &
//
// Re-running the same command resumes from the last finished epoch (the
// checkpoint lives in <out>/checkpoint). Progress: <out>/train.log (one line
// per epoch with train loss/accuracy and held-out accuracy + per-class recall)
// and <out>/history.jsonl. The held-out split (seeded, stratified, never
// trained on) is listed with SHA-256 hashes in <out>/split.json.
//
// Two phases. Phase 1 trains with the paper's dropout (0.6) for --epochs
// (cosine schedule); --stop-after K ends it after epoch K (the schedule still
// spans --epochs; re-running with a larger K continues). Phase 2 trains
// --settle-epochs more epochs from phase 1's weights with dropout off
// (dropout layers pass their input through) at the constant --settle-lr, in
// <out>/settle-from-epoch-<K>/. Why: with dropout 0.6 after every pooling
// layer, the network trained with dropout classifies worse with dropout off
// (inference) than with it on; a short dropout-off phase makes the
// deterministic network as good (docs/ml.md, "Dropout and inference";
// scripts/dropout-inference-gap.ts measures it). --settle-epochs 0 skips it.
//
// Options: --data DIR (default pbc-wbc in $WBC_DATASETS) --out DIR (default
// .cache/default-model) --epochs N --stop-after K --batch N --lr X --workers N
// --seed N --test-fraction F --settle-epochs N (default 1) --settle-lr X
// (default 2e-5).
import { appendFile, mkdir, writeFile, readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { resolve, join } from 'node:path'
import { parseArgs } from 'node:util'
import { initBackend } from '../src/main/ml/model/tfjs-backend.js'
import { buildModel, specFor, countTrainableParams } from '../src/main/ml/model/architectures/index.js'
import { listClassFolders, loadCells } from '../src/main/ml/data/cell-set.js'
import { train, checkpointStatus, modelFromWeights, reportFromScores, type EpochRecord, type LrSchedule, type Balance } from '../src/main/ml/train/trainer.js'
import { saveModelDirectory, loadModelDirectory, modelToMemory } from '../src/main/ml/model/tfjs-io.js'
import { predictScores } from '../src/main/ml/infer/predict-scores.js'
import { SeededRng } from '../src/main/stats/random.js'
import { WBC_CLASSES } from '../src/shared/cells.js'
import { datasetsDir } from '../src/main/paths.js'
import type { ClassificationReport } from '../src/main/stats/metrics.js'

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: join(datasetsDir(process.cwd()) ?? '$WBC_DATASETS', 'pbc-wbc') },
    out: { type: 'string', default: '.cache/default-model' },
    epochs: { type: 'string', default: '40' },
    batch: { type: 'string', default: '8' },
    lr: { type: 'string', default: '1e-4' },
    'min-lr-factor': { type: 'string', default: '0.02' },
    workers: { type: 'string', default: '2' },
    seed: { type: 'string', default: '20240607' },
    'test-fraction': { type: 'string', default: '0.15' },
    balance: { type: 'string', default: 'sampler' },
    'stop-after': { type: 'string' },
    'settle-epochs': { type: 'string', default: '1' },
    'settle-lr': { type: 'string', default: '2e-5' },
    augment: { type: 'string', default: 'true' }
  }
})

const out = resolve(args.out!)
const logFile = join(out, 'train.log')
await mkdir(out, { recursive: true })
const log = async (line: string) => {
  const stamped = `${new Date().toISOString()} ${line}`
  console.log(stamped)
  await appendFile(logFile, stamped + '\n')
}

const backend = await initBackend()
const size = 128
const spec = specFor('wnet', { inputSize: size, seed: Number(args.seed) })
const epochs = Number(args.epochs)
const batchSize = Number(args.batch)
const learningRate = Number(args.lr)
const schedule: LrSchedule = { kind: 'cosine', minFactor: Number(args['min-lr-factor']) }
const balance = args.balance as Balance
const augment = args.augment !== 'false'

// Seeded stratified split: a fixed share of every class is held out.
const files = await listClassFolders(resolve(args.data!))
if (files.length === 0) throw new Error(`no class folders with images under ${args.data}`)
const rng = new SeededRng(Number(args.seed) ^ 0x5eed)
const testSet = new Set<number>()
for (let c = 0; c < WBC_CLASSES.length; c++) {
  const idx = files.map((f, i) => (f.label === c ? i : -1)).filter((i) => i >= 0)
  rng.shuffle(idx)
  idx.slice(0, Math.round(idx.length * Number(args['test-fraction']))).forEach((i) => testSet.add(i))
}
const trainIdx = files.map((_, i) => i).filter((i) => !testSet.has(i))
const testIdx = files.map((_, i) => i).filter((i) => testSet.has(i))

await log(`backend ${backend.name}${backend.simd ? ' (simd)' : ''}; ${files.length} cells from ${args.data}; train ${trainIdx.length}, held out ${testIdx.length}`)
const t0 = Date.now()
const cells = await loadCells(files, size, { shared: true, hashes: true })
await log(`preprocessed ${files.length} cells at ${size} px in ${((Date.now() - t0) / 1000).toFixed(0)} s`)

const splitFile = join(out, 'split.json')
const split = {
  dataset: args.data,
  seed: Number(args.seed),
  testFraction: Number(args['test-fraction']),
  classes: WBC_CLASSES,
  files: files.map((f, i) => ({ file: f.relative, sha256: cells.hashes![i], label: WBC_CLASSES[f.label], set: testSet.has(i) ? 'test' : 'train' }))
}
if (existsSync(splitFile)) {
  const before = JSON.parse(await readFile(splitFile, 'utf8')) as typeof split
  if (JSON.stringify(before.files) !== JSON.stringify(split.files)) throw new Error(`${splitFile} differs from this split: the data or seed changed; use another --out`)
} else {
  await writeFile(splitFile, JSON.stringify(split, null, 1))
}

const recallLine = (r: ClassificationReport) => r.perClass.map((c) => `${c.label.slice(0, 4)} ${(100 * c.recall).toFixed(1)}`).join(', ')
let lastReport = Date.now()
const probe = buildModel(spec)
const settingsLine = `W-Net ${size}px, ${countTrainableParams(probe)} params; epochs ${epochs}, batch ${batchSize}, Adam lr ${learningRate} cosine to x${args['min-lr-factor']}, balance ${balance}, augment ${augment}, workers ${args.workers}`
probe.dispose()
await log(settingsLine)
const before = await checkpointStatus(join(out, 'checkpoint'))
if (before) await log(`resuming after epoch ${before.epoch} (checkpoint in ${join(args.out!, 'checkpoint')})`)

const stopAfter = args['stop-after'] ? Number(args['stop-after']) : epochs
const settleEpochs = Number(args['settle-epochs'])
const onEpoch = (phase: string) => async (r: EpochRecord) => {
  const v = r.validation!
  await log(
    `${phase}epoch ${r.epoch}/${phase ? settleEpochs : epochs}: train loss ${r.trainLoss.toFixed(4)} acc ${(100 * r.trainAccuracy).toFixed(2)}% (${r.imagesPerSecond.toFixed(1)} img/s, ${(r.seconds / 60).toFixed(1)} min, lr ${r.learningRate.toExponential(2)}) | held-out acc ${(100 * v.accuracy).toFixed(2)}% recall: ${recallLine(v)}`
  )
  await appendFile(join(out, phase ? 'settle-history.jsonl' : 'history.jsonl'), JSON.stringify(r) + '\n')
}

const phase1 = await train({
  spec,
  cells,
  trainIndices: trainIdx,
  validationIndices: testIdx,
  epochs,
  batchSize,
  learningRate,
  schedule,
  balance,
  augment,
  seed: Number(args.seed),
  workers: Number(args.workers),
  checkpointDir: join(out, 'checkpoint'),
  stopAfterEpoch: stopAfter,
  task: 'train-default-model',
  onProgress: (p) => {
    if (Date.now() - lastReport < 120_000 || !p.metrics) return
    lastReport = Date.now()
    const m = p.metrics
    void log(`  epoch ${m.epoch}/${m.epochs} batch ${m.batch}/${m.batches} loss ${m.loss?.toFixed(4)} acc ${(100 * (m.accuracy ?? 0)).toFixed(1)}% lr ${m.learningRate?.toExponential(2)} eta ${((p.etaSeconds ?? 0) / 3600).toFixed(2)} h`)
  },
  onEpoch: onEpoch('')
})

const phase1Epochs = phase1.history.length
let result = phase1
let settleDir: string | undefined
if (settleEpochs > 0) {
  // Phase 2 from phase 1's last weights; its folder names the epoch it starts from, so continuing phase 1 later starts a new one.
  settleDir = join(out, `settle-from-epoch-${String(phase1Epochs).padStart(4, '0')}`)
  await mkdir(settleDir, { recursive: true })
  await writeFile(join(settleDir, 'base.json'), JSON.stringify({ phase1Epochs, epochsPlanned: epochs, steps: phase1Epochs * Math.ceil(trainIdx.length / batchSize), settings: phase1.settings, history: phase1.history }, null, 1))
  await log(`phase 2: ${settleEpochs} epoch(s) with dropout off, Adam lr ${args['settle-lr']} constant, from epoch ${phase1Epochs} (${settleDir})`)
  result = await train({
    spec,
    cells,
    trainIndices: trainIdx,
    validationIndices: testIdx,
    epochs: settleEpochs,
    batchSize,
    learningRate: Number(args['settle-lr']),
    schedule: { kind: 'constant' },
    balance,
    augment,
    seed: Number(args.seed),
    workers: Number(args.workers),
    dropout: false,
    initialWeights: phase1.weights,
    checkpointDir: join(settleDir, 'checkpoint'),
    task: 'train-default-model (dropout off)',
    onEpoch: onEpoch('dropout-off ')
  })
}

// Final model (last epoch: no selection on the held-out set), float32 and 8-bit.
const model = modelFromWeights(spec, result.weights)
const metadata = { architecture: 'wnet', inputSize: size, classes: WBC_CLASSES, trainedOn: 'PBC (Acevedo et al. 2020, CC BY 4.0)', split: 'split.json', epochs: phase1Epochs, epochsPlanned: epochs, batchSize, learningRate, balance, augment, dropoutOffEpochs: settleDir ? settleEpochs : 0, dropoutOffLr: settleDir ? Number(args['settle-lr']) : null }
const mem = await modelToMemory(model, metadata)
await saveModelDirectory(mem, join(out, 'model-float32'))
const q = await saveModelDirectory(mem, join(out, 'model-uint8'), { quantization: 'uint8' })
const floatReport = reportFromScores(predictScores(model, cells, testIdx), testIdx.map((i) => cells.labels[i]), WBC_CLASSES)
const qModel = await loadModelDirectory(join(out, 'model-uint8'))
const qReport = reportFromScores(predictScores(qModel, cells, testIdx), testIdx.map((i) => cells.labels[i]), WBC_CLASSES)
await log(`final float32: held-out acc ${(100 * floatReport.accuracy).toFixed(2)}% recall: ${recallLine(floatReport)}`)
await log(`final uint8 (${(q.weightsBytes / 1e6).toFixed(1)} MB): held-out acc ${(100 * qReport.accuracy).toFixed(2)}% recall: ${recallLine(qReport)}`)
await writeFile(join(out, 'final-report.json'), JSON.stringify({ float32: floatReport, uint8: qReport, uint8Bytes: q.weightsBytes, history: result.history }, null, 1))
await log('done')
