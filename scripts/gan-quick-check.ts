#!/usr/bin/env -S npx tsx
// The cheap part of the quality report (src/main/synthetic/quality.ts) for a
// shipped generator, for when the full `wbc gan report` cannot finish (its two
// 1024-feature Fréchet distances per class and the W-Net trained on generated
// cells need minutes of CPU each): per class, the judge W-Net's accuracy on
// generated cells and on real ones (both through the same path: 64 px crop,
// resized to the judge's size with the same filter), and the mean cosine
// similarity real/real vs real/generated on pixels and on the judge's
// penultimate features (the paper's Table 8). Real cells: the shipped W-Net's
// held-out list, so neither the GAN nor the judge trained on them.
//
//   npx tsx scripts/gan-quick-check.ts --generator wbc-five-class-64 --per-class 50
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { initBackend } from '../src/main/ml/model/tfjs-backend'
import { loadModelDirectory } from '../src/main/ml/model/tfjs-io'
import { fillBatch } from '../src/main/ml/data/cell-set'
import { datasetsDir } from '../src/main/paths'
import { meanCosineSimilarity } from '../src/main/stats/index'
import { buildGenerator, generatePixels, setFlatWeights } from '../src/main/synthetic/dcgan'
import { latentVectors } from '../src/main/synthetic/latent'
import { realCellsOfClass, resizeCells, type CellPixels } from '../src/main/synthetic/cells'
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

function predict(model: tf.LayersModel, cells: CellPixels): Float32Array[] {
  const S = cells.size
  const per = S * S * 3
  const rows: Float32Array[] = []
  const batch = 16
  const buf = new Float32Array(batch * per)
  for (let start = 0; start < cells.count; start += batch) {
    const idx = Array.from({ length: Math.min(batch, cells.count - start) }, (_, k) => start + k)
    fillBatch(cells.pixels, S, idx, buf)
    const out = tf.tidy(() => {
      const y = model.predict(tf.tensor4d(buf.subarray(0, idx.length * per), [idx.length, S, S, 3])) as tf.Tensor
      return { data: y.dataSync() as Float32Array, width: y.shape[1] as number }
    })
    for (let k = 0; k < idx.length; k++) rows.push(out.data.slice(k * out.width, (k + 1) * out.width))
  }
  return rows
}

const argmax = (v: Float32Array) => v.reduce((b, x, i) => (x > v[b] ? i : b), 0)

async function main() {
  const started = Date.now()
  const info = await initBackend('auto')
  const g = listShippedGenerators().find((x) => x.card.name === args.generator)
  if (!g) throw new Error(`no shipped generator ${args.generator}`)
  const s = g.card.settings
  const G = buildGenerator(s)
  setFlatWeights(G, loadShippedWeights(g))
  const model = await loadModelDirectory(resolve(args.model!))
  const S = model.inputs[0].shape[1] as number
  const last = model.layers[model.layers.length - 1]
  const features = tf.model({ inputs: model.inputs, outputs: last.input as tf.SymbolicTensor })
  const only = new Set((await readFile(resolve(args['real-list']!), 'utf8')).split('\n').slice(1).map((l) => l.split(',')[0].trim()).filter(Boolean))
  const n = Number(args['per-class'])
  const seed = Number(args.seed)
  const judgeClasses = ['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte']
  const rows: Record<string, unknown>[] = []
  for (const [ci, cls] of g.card.classes.entries()) {
    const real = await resizeCells(await realCellsOfClass({ folder: resolve(args.data!), only }, cls, s.size, { limit: n, seed }), S)
    const px = generatePixels(G, latentVectors(seed, 0, n, s.latentDim), s.latentDim, 64, s.classes ? { index: ci, classes: s.classes.length } : undefined)
    const gen = await resizeCells({ pixels: px, size: s.size, count: n, refs: [] }, S)
    const c = judgeClasses.indexOf(cls)
    const calledAs: Record<string, number> = Object.fromEntries(judgeClasses.map((k) => [k, 0]))
    for (const r of predict(model, gen)) calledAs[judgeClasses[argmax(r)]]++
    const realRight = predict(model, real).filter((r) => argmax(r) === c).length
    const pix = (cells: CellPixels) => Array.from({ length: cells.count }, (_, i) => Float32Array.from(cells.pixels.subarray(i * S * S * 3, (i + 1) * S * S * 3), (v) => v / 255))
    const fR = predict(features, real)
    const fG = predict(features, gen)
    const pR = pix(real)
    const pG = pix(gen)
    const row = {
      class: cls,
      realCells: real.count,
      generatedCells: n,
      wnetOnGenerated: calledAs[cls] / n,
      wnetOnReal: realRight / real.count,
      generatedCalledAs: calledAs,
      cosinePixels: { realReal: meanCosineSimilarity(pR), realGenerated: meanCosineSimilarity(pR, pG) },
      cosineFeatures: { realReal: meanCosineSimilarity(fR), realGenerated: meanCosineSimilarity(fR, fG) }
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
