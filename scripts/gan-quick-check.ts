#!/usr/bin/env -S npx tsx
// The cheap part of the quality report (src/main/synthetic/quality.ts) for a
// shipped generator, for when the full `wbc gan report` cannot finish (its two
// 1024-feature Fréchet distances per class and the W-Net trained on generated
// cells need minutes of CPU each): per class, the judge W-Net's accuracy on
// generated cells and on real ones (both through the same path: 64 px crop,
// resized to the judge's size with the same filter), and the mean cosine
// similarity real/real vs real/generated on pixels and on the judge's
// penultimate features (the paper's Table 8). Real cells: the shipped W-Net's
// held-out list, so neither the GAN nor the judge trained on them. The checks
// themselves are the quality report's own functions.
//
//   npx tsx scripts/gan-quick-check.ts --generator wbc-five-class-64 --per-class 50
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { initBackend } from '../src/main/ml/model/tfjs-backend'
import { artifactsToModel, readModelDir } from '../src/main/ml/model/model-files'
import { inputNormalisationOf } from '../src/main/ml/data/input-normalisation'
import { datasetsDir } from '../src/main/paths'
import { WBC_CLASSES } from '../src/shared/cells'
import { baselineCalls, cosineSimilarities, featureModel, predictBatches } from '../src/main/synthetic/quality'
import { buildGenerator, generatePixels, setFlatWeights } from '../src/main/synthetic/dcgan'
import { latentVectors } from '../src/main/synthetic/latent'
import { realCellsOfClass, resizeCells } from '../src/main/synthetic/cells'
import { listShippedGenerators, loadShippedWeights } from '../src/main/synthetic/shipped'

const { values: args } = parseArgs({
  options: {
    generator: { type: 'string', default: 'wbc-five-class-64' },
    model: { type: 'string', default: 'resources/models/wnet-pbc' },
    data: { type: 'string', default: join(datasetsDir(process.cwd()) ?? '$WBC_DATASETS', 'pbc-wbc') },
    'real-list': { type: 'string', default: 'resources/models/wnet-pbc-heldout.csv' },
    'per-class': { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' }
  }
})

async function main() {
  const started = Date.now()
  const info = await initBackend('auto')
  const g = listShippedGenerators().find((x) => x.card.name === args.generator)
  if (!g) throw new Error(`no shipped generator ${args.generator}`)
  const s = g.card.settings
  const G = buildGenerator(s)
  setFlatWeights(G, loadShippedWeights(g))
  // The judge sees cells with its own input colour normalisation (its metadata).
  const judge = await readModelDir(resolve(args.model!))
  const input = inputNormalisationOf(judge.meta)
  const model = await artifactsToModel(judge)
  const S = model.inputs[0].shape[1] as number
  const features = featureModel(model)
  const only = new Set((await readFile(resolve(args['real-list']!), 'utf8')).split('\n').slice(1).map((l) => l.split(',')[0].trim()).filter(Boolean))
  const n = Number(args['per-class'])
  const seed = Number(args.seed)
  const rows: Record<string, unknown>[] = []
  for (const [ci, cls] of g.card.classes.entries()) {
    const real = await resizeCells(await realCellsOfClass({ folder: resolve(args.data!), only }, cls, s.size, { limit: n, seed }), S)
    const px = generatePixels(G, latentVectors(seed, 0, n, s.latentDim), s.latentDim, 64, s.classes ? { index: ci, classes: s.classes.length } : undefined)
    const gen = await resizeCells({ pixels: px, size: s.size, count: n, refs: [] }, S)
    const judged = baselineCalls(model, input, WBC_CLASSES, cls, real, gen)
    const cosine = cosineSimilarities(real, gen, predictBatches(features, real, input), predictBatches(features, gen, input))
    const row = {
      class: cls,
      realCells: real.count,
      generatedCells: n,
      wnetOnGenerated: judged.accuracyOnGenerated,
      wnetOnReal: judged.accuracyOnReal,
      generatedCalledAs: judged.generatedCalledAs,
      cosinePixels: cosine.pixels,
      cosineFeatures: cosine.features
    }
    rows.push(row)
    console.log(JSON.stringify(row))
  }
  console.log(JSON.stringify({ generator: g.card.name, step: g.card.step, judge: args.model, judgeSize: S, perClass: n, seed, backend: info.name, seconds: (Date.now() - started) / 1000 }))
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
