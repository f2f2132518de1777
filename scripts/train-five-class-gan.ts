#!/usr/bin/env -S npx tsx
// Trains the five-class conditional DCGAN (FIVE_CLASS_SETTINGS: one generator
// for neutrophil, eosinophil, basophil, lymphocyte and monocyte, 64 px) on the
// PBC cells the shipped W-Net trained on, resumable across restarts. Run from
// the repository root:
//
//   nohup nice -n 19 npx tsx scripts/train-five-class-gan.ts --steps 40000 \
//     > .cache/gan-five-class/nohup.out 2>&1 &
//
// Re-running the same command resumes from the last checkpoint (written
// atomically every --checkpoint-every steps to <out>/checkpoint; kill -9 is
// safe). The W-Net's held-out cells (resources/models/wnet-pbc-heldout.csv)
// are left out, so the quality report can test on cells neither the GAN nor
// its judge learnt from. Sample grids (one class per column) go to
// <out>/checkpoint/samples, a line per checkpoint to <out>/train.log.
// `npx tsx scripts/ship-five-class-gan.ts --from <out>` ships the latest
// checkpoint into resources/generators/ (also while the run goes on).
//
// Options: --data DIR (default pbc-wbc in $WBC_DATASETS) --out DIR (default
// .cache/gan-five-class) --steps N (train until N steps are done, default
// 40000) --checkpoint-every N (default 250) --sample-every N (default 1000).
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { listClassFolders, loadCells } from '../src/main/ml/data/cell-set'
import { readLatestSnapshot } from '../src/main/ml/train/checkpoint-dir'
import { datasetsDir } from '../src/main/paths'
import { FIVE_CLASS_SETTINGS, type GanSettings } from '../src/main/synthetic/dcgan'
import { trainGan } from '../src/main/synthetic/train'
import { CancelledError } from '../src/main/errors'

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: join(datasetsDir(process.cwd()) ?? '$WBC_DATASETS', 'pbc-wbc') },
    out: { type: 'string', default: '.cache/gan-five-class' },
    steps: { type: 'string', default: '40000' },
    'checkpoint-every': { type: 'string', default: '250' },
    'sample-every': { type: 'string', default: '1000' }
  }
})

/** Relative paths (class/file) of the W-Net's held-out cells. */
export async function heldOutFiles(): Promise<Set<string>> {
  const csv = await readFile(resolve('resources/models/wnet-pbc-heldout.csv'), 'utf8')
  return new Set(csv.split('\n').slice(1).map((l) => l.split(',')[0]).filter(Boolean))
}

async function main() {
  const out = resolve(args.out!)
  const ckDir = join(out, 'checkpoint')
  await mkdir(out, { recursive: true })
  // A resumed run keeps the settings it started with, whatever the code's defaults are now.
  const snap = await readLatestSnapshot<{ settings: GanSettings; step: number }>(ckDir)
  const settings = snap?.state.settings ?? FIVE_CLASS_SETTINGS
  const classes = settings.classes!
  const held = await heldOutFiles()
  const files = (await listClassFolders(resolve(args.data!), classes)).filter((f) => !held.has(f.relative))
  const perClass = classes.map((_, c) => files.filter((f) => f.label === c).length)
  const set = await loadCells(files, settings.size, { classes })
  const labels = Uint8Array.from(set.labels)
  const log = join(out, 'train.log')
  const line = async (s: string) => {
    process.stdout.write(s + '\n')
    await appendFile(log, s + '\n')
  }
  await writeFile(join(out, 'data.json'), JSON.stringify({ data: args.data, classes, perClass, heldOutExcluded: held.size, files: files.map((f) => f.relative) }, null, 1))
  await line(`${new Date().toISOString()} start: ${files.length} cells (${classes.map((c, i) => `${c} ${perClass[i]}`).join(', ')}), W-Net held-out cells left out: ${held.size}; ${snap ? `resuming from step ${snap.state.step}` : 'new run'}; ${cpus().length} cores`)
  const ac = new AbortController()
  process.once('SIGINT', () => ac.abort())
  process.once('SIGTERM', () => ac.abort())
  const t0 = Date.now()
  let cpu0 = process.cpuUsage()
  const r = await trainGan({
    settings,
    pixels: set.pixels,
    labels,
    steps: Number(args.steps),
    checkpointDir: ckDir,
    checkpointEvery: Number(args['checkpoint-every']),
    sampleEvery: Number(args['sample-every']),
    sampleDir: join(ckDir, 'samples'),
    signal: ac.signal,
    task: 'gan-five-class',
    onCheckpoint: async (c) => {
      const cu = process.cpuUsage(cpu0)
      cpu0 = process.cpuUsage()
      await line(
        `${new Date().toISOString()} step ${c.step}: D loss ${c.losses.dLoss.toFixed(3)}, G loss ${c.losses.gLoss.toFixed(3)}, ` +
          `D(real) ${c.losses.dReal.toFixed(2)}, D(generated) ${c.losses.dFake.toFixed(2)}; cpu_s ${((cu.user + cu.system) / 1e6).toFixed(1)} since last line; wall ${((Date.now() - t0) / 1000).toFixed(0)} s this call`
      )
    }
  }).catch(async (e: Error) => {
    if (e instanceof CancelledError) {
      await line(`${new Date().toISOString()} stopped (resume with the same command)`)
      process.exit(0)
    }
    throw e
  })
  await line(`${new Date().toISOString()} done: step ${r.step} (resumed from ${r.resumedFromStep}), ${r.secondsPerStep.toFixed(3)} s/step, peak RSS ${r.peakRssMb.toFixed(0)} MB, G ${r.generatorParams} / D ${r.discriminatorParams} parameters`)
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
