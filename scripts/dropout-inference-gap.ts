#!/usr/bin/env -S npx tsx
// How much a W-Net trained with dropout loses when it classifies with dropout
// off (normal inference), measured on cells of the training run's split:
//
//   npx tsx scripts/dropout-inference-gap.ts --from .cache/default-model --model resources/models/wnet-pbc
//
// Prints accuracy and per-class recall for: deterministic inference (dropout
// off, what the workstation does); one pass with dropout on; the mean of
// --passes dropout-on passes (Monte-Carlo dropout); the mean over the 8
// flips/rotations with dropout off. By default it uses --per-class training
// cells of each class (seeded pick) and never the held-out cells, so that a
// decision taken from it (docs/ml.md, "Dropout and inference") does not look
// at the held-out set; --set test measures held-out cells instead.
//
// --settle-epochs N (with --set train) also trains the model N epochs with
// dropout off (Adam, constant --settle-lr, class-balanced sampler, flips and
// rotations, as the dropout-off epochs that end scripts/train-default-model.ts) on the split's
// training cells minus the measured ones, and measures the result on them
// with dropout off: does a short dropout-off phase close the gap? The
// measured cells are scored after every dropout-off epoch, so one run with
// --settle-epochs 3 compares one, two and three epochs.
//
// --checkpoint DIR starts from a training checkpoint folder (its LATEST
// epoch, e.g. .cache/default-model/checkpoint)
// instead of a saved model folder.
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { initBackend, tf } from '../src/main/ml/model/tfjs-backend'
import { fillBatch, listClassFolders, loadCells } from '../src/main/ml/data/cell-set'
import { artifactsToModel, readModelDir } from '../src/main/ml/model/model-files'
import { inputNormalisationOf } from '../src/main/ml/data/input-normalisation'
import { specFor } from '../src/main/ml/model/architectures/index'
import { flattenWeights } from '../src/main/ml/train/replica'
import { modelFromWeights, train } from '../src/main/ml/train/trainer'
import { SeededRng } from '../src/main/stats/random'
import { WBC_CLASSES } from '../src/shared/cells'

const { values: args } = parseArgs({
  options: {
    from: { type: 'string', default: '.cache/default-model' },
    model: { type: 'string', default: 'resources/models/wnet-pbc' },
    checkpoint: { type: 'string' },
    data: { type: 'string' },
    set: { type: 'string', default: 'train' },
    'per-class': { type: 'string', default: '150' },
    passes: { type: 'string', default: '8' },
    seed: { type: 'string', default: '99' },
    'settle-epochs': { type: 'string', default: '0' },
    'settle-lr': { type: 'string', default: '2e-5' }
  }
})

const backend = await initBackend()
const split = JSON.parse(await readFile(join(resolve(args.from!), 'split.json'), 'utf8')) as { dataset: string; files: { file: string; set: string }[] }
const wanted = new Set(split.files.filter((f) => f.set === args.set).map((f) => f.file))
const all = (await listClassFolders(resolve(args.data ?? split.dataset))).filter((f) => wanted.has(f.relative))
const rng = new SeededRng(Number(args.seed))
const files = WBC_CLASSES.flatMap((_, c) => {
  const of = all.filter((f) => f.label === c)
  rng.shuffle(of)
  return of.slice(0, Number(args['per-class']))
})
const cells = await loadCells(files, 128, {})
const S = cells.size
// A model folder brings its input colour normalisation; a training checkpoint of this study has none.
const modelMeta = args.checkpoint ? undefined : await readModelDir(resolve(args.model!))
const input = inputNormalisationOf(modelMeta?.meta)
const model = modelMeta ? await artifactsToModel(modelMeta) : await modelFromCheckpoint(resolve(args.checkpoint!))
const modelName = args.checkpoint ? `checkpoint ${args.checkpoint}/${(await readFile(join(resolve(args.checkpoint), 'LATEST'), 'utf8')).trim()}` : args.model

/** The weights of a training checkpoint's latest epoch (train.ts writes them flat, in layout order). */
async function modelFromCheckpoint(dir: string): Promise<tf.LayersModel> {
  const latest = (await readFile(join(dir, 'LATEST'), 'utf8')).trim()
  const b = await readFile(join(dir, latest, 'weights.bin'))
  return modelFromWeights(specFor('wnet', { inputSize: S }), new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)))
}
const per = S * S * 3
const C = WBC_CLASSES.length
const n = files.length
const B = 25

/** Class probabilities of every cell: dropout on or off, one flip/rotation for all cells. */
function scores(training: boolean, op?: number, net: tf.LayersModel = model): Float32Array {
  const out = new Float32Array(n * C)
  const buf = new Float32Array(B * per)
  for (let s = 0; s < n; s += B) {
    const idx = Array.from({ length: Math.min(B, n - s) }, (_, i) => s + i)
    fillBatch(cells.pixels, S, idx, buf, { input, ops: op === undefined ? undefined : idx.map(() => op) })
    const p = tf.tidy(() => (net.apply(tf.tensor4d(buf.subarray(0, idx.length * per), [idx.length, S, S, 3]), { training }) as tf.Tensor).dataSync() as Float32Array)
    out.set(p, s * C)
  }
  return out
}
const mean = (runs: Float32Array[]) => {
  const m = new Float32Array(n * C)
  for (const r of runs) for (let i = 0; i < m.length; i++) m[i] += r[i] / runs.length
  return m
}
function line(name: string, p: Float32Array): string {
  const hit = new Array(C).fill(0)
  const tot = new Array(C).fill(0)
  for (let i = 0; i < n; i++) {
    let b = 0
    for (let k = 1; k < C; k++) if (p[i * C + k] > p[i * C + b]) b = k
    tot[cells.labels[i]]++
    if (b === cells.labels[i]) hit[b]++
  }
  const acc = hit.reduce((a, b) => a + b, 0) / n
  return `| ${name} | ${(100 * acc).toFixed(1)}% | ${hit.map((h, k) => (100 * h / tot[k]).toFixed(1)).join(' / ')} |`
}

const passes = Number(args.passes)
const dropoutRuns = Array.from({ length: passes }, () => scores(true))
console.log(`${n} ${args.set === 'train' ? 'training' : args.set} cells of ${args.from}/split.json (${args['per-class']} per class, seed ${args.seed}), model ${modelName}, backend ${backend.name}`)
console.log(`\n| inference | accuracy | recall ${WBC_CLASSES.map((c) => c.slice(0, 4)).join(' / ')} |\n|---|---|---|`)
console.log(line('dropout off (deterministic)', scores(false)))
console.log(line('dropout on, one pass', dropoutRuns[0]))
console.log(line(`dropout on, mean of ${passes} passes`, mean(dropoutRuns)))
console.log(line('dropout off, mean of 8 flips/rotations', mean(Array.from({ length: 8 }, (_, op) => scores(false, op)))))

const settleEpochs = Number(args['settle-epochs'])
if (settleEpochs > 0) {
  if (args.set !== 'train') throw new Error('--settle-epochs needs --set train')
  const measured = new Set(files.map((f) => f.relative))
  const rest = all.filter((f) => !measured.has(f.relative))
  const both = await loadCells([...files, ...rest], S, { shared: true })
  const t0 = Date.now()
  const measuredIdx = files.map((_, i) => i)
  const r = await train({
    spec: specFor('wnet', { inputSize: S }),
    cells: both,
    trainIndices: rest.map((_, i) => files.length + i),
    validationIndices: settleEpochs > 1 ? measuredIdx : undefined,
    onEpoch: (e) => {
      if (!e.validation || e.epoch === settleEpochs) return
      const v = e.validation
      console.log(`| dropout off, after ${e.epoch} dropout-off epoch(s) at lr ${args['settle-lr']} | ${(100 * v.accuracy).toFixed(1)}% | ${v.perClass.map((c) => (100 * c.recall).toFixed(1)).join(' / ')} |`)
    },
    epochs: settleEpochs,
    batchSize: 8,
    learningRate: Number(args['settle-lr']),
    balance: 'sampler',
    augment: true,
    seed: Number(args.seed),
    workers: 2,
    // Every epoch with dropout off, at the constant --settle-lr.
    dropoutOff: { epochs: settleEpochs, lrFactor: 1 },
    initialWeights: flattenWeights(model)
  })
  const settled = modelFromWeights(specFor('wnet', { inputSize: S }), r.weights)
  console.log(line(`dropout off, after ${settleEpochs} dropout-off epoch(s) at lr ${args['settle-lr']} on the other ${rest.length} training cells (${((Date.now() - t0) / 60000).toFixed(1)} min)`, scores(false, undefined, settled)))
  console.log(line('  the same, mean of 8 flips/rotations', mean(Array.from({ length: 8 }, (_, op) => scores(false, op, settled)))))
  // dihedral ops 0, 1, 4, 5: identity, horizontal flip, 180-degree rotation, vertical flip.
  console.log(line('  the same, mean of identity, both flips and 180-degree rotation', mean([0, 1, 4, 5].map((op) => scores(false, op, settled)))))
}
