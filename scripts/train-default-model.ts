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
// The recipe, in the trainer's own settings: --epochs in all, with the
// paper's dropout (0.6) and a cosine schedule over all but the last
// --dropout-off-epochs, which train with dropout off (dropout layers pass
// their input through) at the constant lr x --dropout-off-lr-factor
// (settings.dropoutOff, as `wbc train --dropout-off-epochs`). Why: with
// dropout 0.6 after every pooling layer, the network trained with dropout
// classifies worse with dropout off (inference) than with it on; a short
// dropout-off tail makes the deterministic network as good (docs/ml.md,
// "Dropout and inference"; scripts/dropout-inference-gap.ts measures it).
// The shipped model is 40 epochs with dropout and 1 without, at 1e-4 then
// 2e-5: the defaults. `wbc model ship --from <out>` ships the latest finished
// epoch (also while the run goes on) and measures it on the held-out files.
//
// Options: --data DIR (default pbc-wbc in $WBC_DATASETS) --out DIR (default
// .cache/default-model) --epochs N (default 41) --dropout-off-epochs N
// (default 1) --dropout-off-lr-factor X (default 0.2) --batch N --lr X
// --workers N --seed N --test-fraction F.
import { appendFile, mkdir, writeFile, readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { resolve, join } from 'node:path'
import { parseArgs } from 'node:util'
import { initBackend } from '../src/main/ml/model/tfjs-backend'
import { buildModel, specFor, countTrainableParams } from '../src/main/ml/model/architectures/index'
import { listClassFolders, loadCells } from '../src/main/ml/data/cell-set'
import { train, checkpointStatus, type EpochRecord, type LrSchedule, type Balance } from '../src/main/ml/train/trainer'
import { SeededRng } from '../src/main/stats/random'
import { WBC_CLASSES } from '../src/shared/cells'
import { DROPOUT_OFF_LR_FACTOR } from '../src/shared/models'
import { datasetsDir } from '../src/main/paths'
import type { ClassificationReport } from '../src/main/stats/metrics'

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: join(datasetsDir(process.cwd()) ?? '$WBC_DATASETS', 'pbc-wbc') },
    out: { type: 'string', default: '.cache/default-model' },
    epochs: { type: 'string', default: '41' },
    batch: { type: 'string', default: '8' },
    lr: { type: 'string', default: '1e-4' },
    'min-lr-factor': { type: 'string', default: '0.02' },
    workers: { type: 'string', default: '2' },
    seed: { type: 'string', default: '20240607' },
    'test-fraction': { type: 'string', default: '0.15' },
    balance: { type: 'string', default: 'sampler' },
    'dropout-off-epochs': { type: 'string', default: '1' },
    'dropout-off-lr-factor': { type: 'string', default: String(DROPOUT_OFF_LR_FACTOR) },
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
const offEpochs = Number(args['dropout-off-epochs'])
const dropoutOff = offEpochs > 0 ? { epochs: offEpochs, lrFactor: Number(args['dropout-off-lr-factor']) } : undefined
if (!(offEpochs >= 0 && offEpochs <= epochs)) throw new Error('--dropout-off-epochs must be between 0 and --epochs')

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
const settingsLine = `W-Net ${size}px, ${countTrainableParams(probe)} params; epochs ${epochs}, batch ${batchSize}, Adam lr ${learningRate} cosine to x${args['min-lr-factor']}${dropoutOff ? `, the last ${offEpochs} epoch(s) dropout off at lr x${dropoutOff.lrFactor}` : ''}, balance ${balance}, augment ${augment}, workers ${args.workers}`
probe.dispose()
await log(settingsLine)
const before = await checkpointStatus(join(out, 'checkpoint'))
if (before) await log(`resuming after epoch ${before.epoch} (checkpoint in ${join(args.out!, 'checkpoint')})`)

const onEpoch = async (r: EpochRecord) => {
  const v = r.validation!
  await log(
    `${dropoutOff && r.epoch > epochs - offEpochs ? 'dropout-off ' : ''}epoch ${r.epoch}/${epochs}: train loss ${r.trainLoss.toFixed(4)} acc ${(100 * r.trainAccuracy).toFixed(2)}% (${r.imagesPerSecond.toFixed(1)} img/s, ${(r.seconds / 60).toFixed(1)} min, lr ${r.learningRate.toExponential(2)}) | held-out acc ${(100 * v.accuracy).toFixed(2)}% recall: ${recallLine(v)}`
  )
  await appendFile(join(out, 'history.jsonl'), JSON.stringify(r) + '\n')
}

await train({
  spec,
  cells,
  trainIndices: trainIdx,
  validationIndices: testIdx,
  epochs,
  batchSize,
  learningRate,
  schedule,
  dropoutOff,
  balance,
  augment,
  seed: Number(args.seed),
  workers: Number(args.workers),
  checkpointDir: join(out, 'checkpoint'),
  task: 'train-default-model',
  onProgress: (p) => {
    if (Date.now() - lastReport < 120_000 || !p.metrics) return
    lastReport = Date.now()
    const m = p.metrics
    void log(`  epoch ${m.epoch}/${m.epochs} batch ${m.batch}/${m.batches} loss ${m.loss?.toFixed(4)} acc ${(100 * (m.accuracy ?? 0)).toFixed(1)}% lr ${m.learningRate?.toExponential(2)} eta ${((p.etaSeconds ?? 0) / 3600).toFixed(2)} h`)
  },
  onEpoch
})
await log(`done; ship it with: node bin/wbc.js model ship --from ${args.out}`)
