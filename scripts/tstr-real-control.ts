#!/usr/bin/env -S npx tsx
// The control for the quality report's check 2 (a W-Net trained only on
// generated cells, tested on real ones): the same recipe (the report's
// `trainAndTest`: W-Net at --size px, --epochs epochs, seed, as many cells
// per class) trained on REAL cells instead, tested on the very real cells the
// report tests on (the shipped W-Net's held-out list, the same seeded sample
// of --per-class per class, cropped at the generator's 64 px). The training
// cells are drawn from the other PBC cells (the ones the GAN learnt from), so
// the figure is what "as good as real" reaches with this recipe and this
// few cells: the ceiling for the generated cells' figure, beside the paper's
// 95% and the 85% target.
//
//   npx tsx scripts/tstr-real-control.ts --per-class 100 --epochs 5 --size 64
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { initBackend } from '../src/main/ml/model/tfjs-backend'
import { listClassFolders } from '../src/main/ml/data/cell-set'
import { datasetsDir } from '../src/main/paths'
import { WBC_CLASSES } from '../src/shared/cells'
import { realCellsOfClass } from '../src/main/synthetic/cells'
import { trainAndTest } from '../src/main/synthetic/quality'

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: join(datasetsDir(process.cwd()) ?? '$WBC_DATASETS', 'pbc-wbc') },
    'real-list': { type: 'string', default: 'resources/models/wnet-pbc-heldout.csv' },
    'per-class': { type: 'string', default: '100' },
    epochs: { type: 'string', default: '5' },
    size: { type: 'string', default: '64' },
    'crop-size': { type: 'string', default: '64' },
    seed: { type: 'string', default: '1' }
  }
})

async function main() {
  const started = Date.now()
  const info = await initBackend('auto')
  const folder = resolve(args.data!)
  const held = new Set((await readFile(resolve(args['real-list']!), 'utf8')).split('\n').slice(1).map((l) => l.split(',')[0].trim()).filter(Boolean))
  const others = new Set((await listClassFolders(folder, WBC_CLASSES)).map((f) => f.relative).filter((r) => !held.has(r)))
  const n = Number(args['per-class'])
  const seed = Number(args.seed)
  const crop = Number(args['crop-size'])
  const classes = [...WBC_CLASSES]
  // Test cells: exactly the report's real sample (same list, seed, limit and crop size).
  const test = await Promise.all(classes.map((c) => realCellsOfClass({ folder, only: held }, c, crop, { limit: n, seed })))
  const trainCells = await Promise.all(classes.map((c) => realCellsOfClass({ folder, only: others }, c, crop, { limit: n, seed })))
  const r = await trainAndTest(trainCells, test, classes, { size: Number(args.size), epochs: Number(args.epochs), seed })
  console.log(JSON.stringify({ ...r, trainedOn: 'real cells (not the held-out list)', backend: info.name, seconds: (Date.now() - started) / 1000 }))
  console.log(`W-Net trained on ${r.trainCells} REAL cells (${r.inputSize} px, ${r.epochs} epochs), tested on ${r.testCells} held-out real cells: accuracy ${(100 * r.accuracy).toFixed(1)}%`)
  for (const m of r.perClass) console.log(`  ${m.class.padEnd(12)} recall ${(100 * m.recall).toFixed(1).padStart(5)}%  precision ${(100 * m.precision).toFixed(1).padStart(5)}%  n ${m.n}`)
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
