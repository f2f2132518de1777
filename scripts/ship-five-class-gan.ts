#!/usr/bin/env -S npx tsx
// Ships the latest checkpoint of the five-class conditional GAN
// (scripts/train-five-class-gan.ts) into resources/generators/<name>/ as
// 8-bit weights + card.json, also while the training run goes on:
//
//   npx tsx scripts/ship-five-class-gan.ts --from .cache/gan-five-class
//
// The card records the data (PBC, CC BY 4.0), the recipe, the steps, the
// CPU-hours (summed from the run's train.log) and how far the 8-bit weights'
// cells are from the float32 ones. With --images DIR it also writes, per
// class, 4 real and 4 generated cells side by side at the blind-session
// display size (256 px; both from 64 px, resized with the same filter; saved
// as JPEG quality 90 to keep the repository small), the
// real ones from the W-Net's held-out cells (neither the GAN nor the W-Net
// trained on them). The quality report is added by `wbc gan report` and
// copied into the card with --report FILE (the report's --json output).
import { existsSync } from 'node:fs'
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { initBackend } from '../src/main/ml/model/tfjs-backend'
import { readLatestSnapshot } from '../src/main/ml/train/checkpoint-dir'
import { listClassFolders, loadCells } from '../src/main/ml/data/cell-set'
import { datasetsDir } from '../src/main/paths'
import { buildGenerator, generatePixels, setFlatWeights, type GanSettings } from '../src/main/synthetic/dcgan'
import { latentVectors } from '../src/main/synthetic/latent'
import { PBC_ATTRIBUTION } from '../src/main/synthetic/generators'
import { listShippedGenerators, loadShippedWeights, type ShippedGeneratorCard } from '../src/main/synthetic/shipped'
import { writeShippedGenerator } from '../src/main/synthetic/ship'

const { values: args } = parseArgs({
  options: {
    from: { type: 'string', default: '.cache/gan-five-class' },
    name: { type: 'string', default: 'wbc-five-class-64' },
    data: { type: 'string', default: join(datasetsDir(process.cwd()) ?? '$WBC_DATASETS', 'pbc-wbc') },
    images: { type: 'string' },
    report: { type: 'string' }
  }
})

const TRAIN_COMMAND = 'nohup nice -n 19 npx tsx scripts/train-five-class-gan.ts --steps 40000 > .cache/gan-five-class/nohup.out 2>&1 &'

async function main() {
  const from = resolve(args.from!)
  const out = resolve('resources/generators', args.name!)
  if (args.report) {
    // Only add the quality report to an already shipped card.
    const shipped = listShippedGenerators().find((g) => g.card.name === args.name)
    if (!shipped) throw new Error(`no shipped generator ${args.name}`)
    const report = JSON.parse(await readFile(args.report, 'utf8')) as unknown
    const card: ShippedGeneratorCard = { ...shipped.card, quality: report }
    await writeFile(join(shipped.dir, 'card.json'), JSON.stringify(card, null, 1) + '\n')
    console.log(`${shipped.dir}/card.json: quality report added`)
    return
  }
  await initBackend('auto')
  const snap = await readLatestSnapshot<{ settings: GanSettings; step: number }>(join(from, 'checkpoint'))
  if (!snap) throw new Error(`no checkpoint in ${from}/checkpoint`)
  const { settings, step } = snap.state
  const weights = await snap.array('g.bin')
  const data = JSON.parse(await readFile(join(from, 'data.json'), 'utf8')) as { classes: string[]; perClass: number[]; heldOutExcluded: number; files: string[] }
  // CPU seconds per checkpoint interval, from the run's log (every call of the training command appends to it).
  const log = existsSync(join(from, 'train.log')) ? await readFile(join(from, 'train.log'), 'utf8') : ''
  let cpuSeconds = 0
  let lastStep = 0
  const stamps: number[] = []
  for (const line of log.split('\n')) {
    const m = /^(\S+) step (\d+):.*cpu_s ([\d.]+)/.exec(line)
    if (!m || Number(m[2]) > step) continue
    if (Number(m[2]) > lastStep) cpuSeconds += Number(m[3])
    lastStep = Math.max(lastStep, Number(m[2]))
    stamps.push(Date.parse(m[1]))
  }
  const first = /^(\S+) start/.exec(log)?.[1]
  const wallHours = first && stamps.length ? (Math.max(...stamps) - Date.parse(first)) / 3.6e6 : 0

  // How far the 8-bit weights' cells are from the float32 ones (same latents, every class).
  const card = await writeShippedGenerator(out, settings, weights, {
    name: args.name!,
    createdAt: new Date().toISOString(),
    step,
    data: {
      dataset: 'PBC dataset, five WBC classes (pbc-wbc)',
      attribution: PBC_ATTRIBUTION,
      licence: 'CC BY 4.0',
      cells: data.files.length,
      perClass: Object.fromEntries(data.classes.map((c, i) => [c, data.perClass[i]])),
      leftOut: `the shipped W-Net's ${data.heldOutExcluded} held-out cells (resources/models/wnet-pbc-heldout.csv), so quality can be measured on cells neither the GAN nor its judge learnt from`
    },
    training: {
      recipe:
        `Conditional DCGAN (one-hot label concatenated to the ${settings.latentDim}-d latent vector; projection discriminator), ${settings.size} px W-Net crop, ` +
        `batch ${settings.batchSize} drawn class-balanced, Adam lr ${settings.optimizer.learningRate} beta1 ${settings.optimizer.beta1}, one-sided label smoothing ${settings.realLabel}, ` +
        `flips/rotations of real cells, generator filters ${settings.generator.filters.join('/')} (upsampling ${settings.generator.upsample ?? 'first'}), discriminator filters ${settings.discriminator.filters.join('/')}`,
      steps: step,
      cpuHours: cpuSeconds / 3600,
      wallHours,
      command: TRAIN_COMMAND,
      resume: `${TRAIN_COMMAND} (the same command resumes from the last checkpoint)`,
      notes: [
        'Trained on a 2-core machine shared with other work at the lowest priority (nice 19): the CPU-hours are the training process\'s own, the wall hours much longer.',
        `CPU seconds are summed from the run's log; steps before the first logged checkpoint are not counted.`
      ]
    }
  })
  const shipped = listShippedGenerators().find((g) => g.card.name === args.name)!
  const q = loadShippedWeights(shipped)
  const gF = buildGenerator(settings)
  const gQ = buildGenerator(settings)
  setFlatWeights(gF, weights)
  setFlatWeights(gQ, q)
  const C = settings.classes!.length
  const n = 20 * C
  const lat = latentVectors(99, 0, n, settings.latentDim)
  const lab = { index: Int32Array.from({ length: n }, (_, i) => i % C), classes: C }
  const a = generatePixels(gF, lat, settings.latentDim, 64, lab)
  const b = generatePixels(gQ, lat, settings.latentDim, 64, lab)
  let diff = 0
  for (let i = 0; i < a.length; i++) diff += Math.abs(a[i] - b[i])
  const meanAbs = diff / a.length
  card.training.notes.push(`8-bit weights vs float32: mean absolute pixel difference ${meanAbs.toFixed(2)} (of 255) over ${n} generated cells`)
  await writeFile(join(out, 'card.json'), JSON.stringify(card, null, 1) + '\n')
  console.log(`${out}: step ${step}, weights.bin ${card.weights.bytes} bytes (float32 ${card.weights.float32Bytes}), ${card.training.cpuHours.toFixed(2)} CPU-hours, 8-bit vs float32 mean |diff| ${meanAbs.toFixed(2)}/255`)

  if (args.images) {
    const dir = resolve(args.images)
    await mkdir(dir, { recursive: true })
    const held = new Set(
      (await readFile(resolve('resources/models/wnet-pbc-heldout.csv'), 'utf8')).split('\n').slice(1).map((l) => l.split(',')[0]).filter(Boolean)
    )
    const D = 256
    const up = async (px: Uint8Array) => sharp(px, { raw: { width: settings.size, height: settings.size, channels: 3 } }).resize(D, D, { kernel: 'lanczos3' }).raw().toBuffer()
    const per = settings.size * settings.size * 3
    for (const [ci, cls] of settings.classes!.entries()) {
      const files = (await listClassFolders(resolve(args.data!), [cls])).filter((f) => held.has(f.relative)).filter((_, i) => i % 17 === 3).slice(0, 4)
      const real = await loadCells(files, settings.size, { classes: [cls] })
      const gen = generatePixels(gQ, latentVectors(7, 0, 4, settings.latentDim), settings.latentDim, 64, { index: ci, classes: C })
      const gap = 4
      const W = 4 * D + 5 * gap
      const H = 2 * D + 3 * gap
      const canvas = Buffer.alloc(W * H * 3, 255)
      for (let row = 0; row < 2; row++) {
        for (let k = 0; k < 4; k++) {
          const src = row === 0 ? real.pixels.subarray(k * per, (k + 1) * per) : gen.subarray(k * per, (k + 1) * per)
          const tile = await up(src)
          for (let y = 0; y < D; y++) tile.copy(canvas, ((gap + row * (D + gap) + y) * W + gap + k * (D + gap)) * 3, y * D * 3, (y + 1) * D * 3)
        }
      }
      // JPEG (quality 90, no chroma subsampling) keeps the committed figures small; both rows go through it alike.
      const file = join(dir, `gan-five-class-${cls}.jpg`)
      await sharp(canvas, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toFile(file)
      console.log(`${file}: top row real (held-out), bottom row generated (step ${step})`)
    }
  }
  gF.dispose()
  gQ.dispose()
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
