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
//
// Other class lists (the eight-class model): --classes a,b,c names the
// outputs in order (default the five WBC types); --data may be given more
// than once (each a class-folder tree; the folders of the listed classes are
// read from every tree). --from-model DIR starts from a trained model folder:
// every layer is copied and the output layer keeps the columns of the classes
// both lists share (src/main/ml/train/class-head.ts). --keep-heldout FILE
// (a split.json or a CSV with a sha256 column, such as a model card's
// held-out list) puts every cell whose SHA-256 it lists as held out in the
// held-out set, so cells another model was measured on stay unseen; classes
// with no cell in that list are split with --test-fraction as usual. The
// eight-class recipe is in docs/ml.md, "The eight-class model".
import { appendFile, mkdir, writeFile, readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { resolve, join } from 'node:path'
import { parseArgs } from 'node:util'
import { initBackend } from '../src/main/ml/model/tfjs-backend'
import { buildModel, specFor, countTrainableParams } from '../src/main/ml/model/architectures/index'
import { listClassFolders, loadCells, type FolderFile } from '../src/main/ml/data/cell-set'
import { train, checkpointStatus, type EpochRecord, type LrSchedule, type Balance } from '../src/main/ml/train/trainer'
import { SeededRng } from '../src/main/stats/random'
import { WBC_CLASSES } from '../src/shared/cells'
import { loadModelDirectory } from '../src/main/ml/model/tfjs-io'
import { weightsForClasses } from '../src/main/ml/train/class-head'
import { DROPOUT_OFF_LR_FACTOR } from '../src/shared/models'
import { datasetsDir } from '../src/main/paths'
import type { ClassificationReport } from '../src/main/stats/metrics'

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', multiple: true, default: [join(datasetsDir(process.cwd()) ?? '$WBC_DATASETS', 'pbc-wbc')] },
    classes: { type: 'string' },
    'from-model': { type: 'string' },
    'keep-heldout': { type: 'string' },
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
const classes: readonly string[] = args.classes ? args.classes.split(',').map((c) => c.trim()).filter(Boolean) : WBC_CLASSES
const spec = specFor('wnet', { inputSize: size, seed: Number(args.seed), numClasses: classes.length })
const epochs = Number(args.epochs)
const batchSize = Number(args.batch)
const learningRate = Number(args.lr)
const schedule: LrSchedule = { kind: 'cosine', minFactor: Number(args['min-lr-factor']) }
const balance = args.balance as Balance
const augment = args.augment !== 'false'
const offEpochs = Number(args['dropout-off-epochs'])
const dropoutOff = offEpochs > 0 ? { epochs: offEpochs, lrFactor: Number(args['dropout-off-lr-factor']) } : undefined
if (!(offEpochs >= 0 && offEpochs <= epochs)) throw new Error('--dropout-off-epochs must be between 0 and --epochs')

// The class-folder trees, read in order; labels index `classes`.
const files: FolderFile[] = []
for (const root of args.data!) files.push(...(await listClassFolders(resolve(root), classes)))
if (files.length === 0) throw new Error(`no class folders with images under ${args.data!.join(', ')}`)
const dataLabel = args.data!.join(' + ')
const t0 = Date.now()
const cells = await loadCells(files, size, { shared: true, hashes: true, classes })

// Seeded stratified split: a fixed share of every class is held out, except
// that cells listed as held out by --keep-heldout are always held out and
// decide the split of their classes.
const keep = args['keep-heldout'] ? await heldOutHashes(resolve(args['keep-heldout'])) : new Set<string>()
const keptClasses = new Set(files.filter((_, i) => keep.has(cells.hashes![i])).map((f) => f.label))
const rng = new SeededRng(Number(args.seed) ^ 0x5eed)
const testSet = new Set<number>()
for (let c = 0; c < classes.length; c++) {
  const idx = files.map((f, i) => (f.label === c ? i : -1)).filter((i) => i >= 0)
  if (keptClasses.has(c)) {
    idx.filter((i) => keep.has(cells.hashes![i])).forEach((i) => testSet.add(i))
    continue
  }
  rng.shuffle(idx)
  idx.slice(0, Math.round(idx.length * Number(args['test-fraction']))).forEach((i) => testSet.add(i))
}
const trainIdx = files.map((_, i) => i).filter((i) => !testSet.has(i))
const testIdx = files.map((_, i) => i).filter((i) => testSet.has(i))

await log(`backend ${backend.name}${backend.simd ? ' (simd)' : ''}; ${files.length} cells from ${dataLabel}; classes ${classes.join(', ')}; train ${trainIdx.length}, held out ${testIdx.length}${keep.size ? ` (${[...keptClasses].map((c) => classes[c]).join(', ')}: as listed in ${args['keep-heldout']})` : ''}`)
await log(`preprocessed ${files.length} cells at ${size} px in ${((Date.now() - t0) / 1000).toFixed(0)} s`)

const splitFile = join(out, 'split.json')
const split = {
  dataset: args.data!.length === 1 ? args.data![0] : args.data,
  seed: Number(args.seed),
  testFraction: Number(args['test-fraction']),
  classes,
  ...(args['keep-heldout'] ? { keptHeldOut: args['keep-heldout'] } : {}),
  files: files.map((f, i) => ({ file: f.relative, sha256: cells.hashes![i], label: classes[f.label], set: testSet.has(i) ? 'test' : 'train' }))
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
let initialWeights: Float32Array | undefined
let fromLine = ''
if (args['from-model']) {
  const source = await loadModelDirectory(resolve(args['from-model']))
  const meta = JSON.parse(await readFile(join(resolve(args['from-model']), 'model.json'), 'utf8')).userDefinedMetadata?.wbc as { classes?: string[] } | undefined
  const head = weightsForClasses(source, meta?.classes ?? WBC_CLASSES, spec, classes)
  source.dispose()
  initialWeights = head.weights
  fromLine = `; starts from ${args['from-model']} (kept: ${head.kept.join(', ') || 'none'}; new: ${head.fresh.join(', ') || 'none'})`
}
const settingsLine = `W-Net ${size}px, ${countTrainableParams(probe)} params; epochs ${epochs}, batch ${batchSize}, Adam lr ${learningRate} cosine to x${args['min-lr-factor']}${dropoutOff ? `, the last ${offEpochs} epoch(s) dropout off at lr x${dropoutOff.lrFactor}` : ''}, balance ${balance}, augment ${augment}, workers ${args.workers}${fromLine}`
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
  initialWeights,
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

/** SHA-256 hashes listed as held out: a split.json's "test" files, or every row of a CSV with a sha256 column. */
async function heldOutHashes(file: string): Promise<Set<string>> {
  const text = await readFile(file, 'utf8')
  if (file.endsWith('.json')) {
    const j = JSON.parse(text) as { files: { sha256: string; set: string }[] }
    return new Set(j.files.filter((f) => f.set === 'test').map((f) => f.sha256))
  }
  const [header, ...rows] = text.split(/\r?\n/).filter(Boolean)
  const col = header.split(',').indexOf('sha256')
  if (col < 0) throw new Error(`${file} has no sha256 column`)
  return new Set(rows.map((r) => r.split(',')[col]))
}
