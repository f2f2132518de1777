// Quality report for generated cells, per class, as the W-Net paper checks
// them, plus one: (1) the baseline W-Net's accuracy on generated cells (paper:
// 100%); (2) a W-Net trained on generated cells only and tested on real ones
// (paper: 95%); (3) mean cosine similarity real-vs-real against
// real-vs-generated (paper's Table 8, on pixels; also on features); (4) the
// Fréchet distance between real and generated cells on the baseline model's
// penultimate-layer features, next to the same distance between two halves of
// the real sample (the floor the generated cells are judged against); and (5)
// the sample grid. Stored with the generators, printed by the CLI.
import * as tf from '@tensorflow/tfjs'
import { initBackend } from '../ml/model/tfjs-backend'
import { fillBatch } from '../ml/data/cell-set'
import { artifactsToModel, readModelDir } from '../ml/model/model-files'
import { inputNormalisationOf, type InputNormalisation } from '../ml/data/input-normalisation'
import { specFor } from '../ml/model/architectures/index'
import { train, modelFromWeights } from '../ml/train/trainer'
import { WBC_CLASSES } from '../../shared/cells'
import { estimateEta, type ProgressListener } from '../../shared/progress'
import { frechetDistanceOfSets, meanCosineSimilarity, reportFromConfusion, type ClassificationReport } from '../stats/index'
import { getGenerator, latestCheckpoint, listSyntheticImages, saveSyntheticReport, type Db, type GeneratorRow } from '../store/index'
import { generatedCells, realCellsOfClass, resizeCells, type CellPixels, type RealSource } from './cells'
import { generateCells, settingsOf } from './generate'
import { composeGrid } from './grid'
import type { QualityClassResult, QualityReport, SimilarityPair, TrainedOnGenerated } from '../../shared/synthetic'
import { throwIfCancelled } from '../errors'

export interface QualityOptions {
  generatorIds: number[]
  real: RealSource
  /** The baseline W-Net: a tfjs model directory / model.json ... */
  modelPath?: string
  /** ... or a loaded model (tests), named by modelName. */
  model?: tf.LayersModel
  /** The loaded model's input colour normalisation (default 'none'); a modelPath's comes from its metadata. */
  inputNormalisation?: InputNormalisation
  modelName?: string
  /** The baseline model's output classes, in order (default: the five WBC classes). */
  classes?: readonly string[]
  /** Real and generated cells per class (default 100). Missing generated cells are generated (seed = `seed`). */
  perClass?: number
  /** Epochs of the W-Net trained on generated cells (default 5; 0 skips the check). */
  epochs?: number
  seed?: number
  /**
   * Input size of the W-Net trained on generated cells (default: the baseline
   * model's). Smaller is cheaper; the cells it is tested on are at that size too.
   */
  tstrSize?: number
  /** Worker threads for that training (default 0: in this thread). */
  workers?: number
  signal?: AbortSignal
  onProgress?: ProgressListener
}

export type { QualityClassResult, QualityReport, SimilarityPair, TrainedOnGenerated }

/** The model's penultimate-layer output (input of its last layer). */
export function featureModel(model: tf.LayersModel): tf.LayersModel {
  const last = model.layers[model.layers.length - 1]
  const input = last.input as tf.SymbolicTensor
  return tf.model({ inputs: model.inputs, outputs: input })
}

/**
 * The model with two outputs: its class scores and its penultimate-layer
 * features, so one forward pass per cell gives both (the report's accuracy,
 * feature cosine and Fréchet distance share it).
 */
export function judgeModel(model: tf.LayersModel): tf.LayersModel {
  const last = model.layers[model.layers.length - 1]
  return tf.model({ inputs: model.inputs, outputs: [model.outputs[0], last.input as tf.SymbolicTensor] })
}

/** Every output of the model for every cell: one list per output, one row a cell, in batches; `input` is the model's own colour normalisation. */
export function predictOutputs(model: tf.LayersModel, cells: CellPixels, input: InputNormalisation, batch = 32): Float32Array[][] {
  const S = cells.size
  const per = S * S * 3
  const rows: Float32Array[][] = model.outputs.map(() => [])
  const buf = new Float32Array(batch * per)
  for (let start = 0; start < cells.count; start += batch) {
    const idx = Array.from({ length: Math.min(batch, cells.count - start) }, (_, k) => start + k)
    fillBatch(cells.pixels, S, idx, buf, { input })
    const outs = tf.tidy(() => {
      const y = model.predict(tf.tensor4d(buf.subarray(0, idx.length * per), [idx.length, S, S, 3]))
      return (Array.isArray(y) ? y : [y]).map((t) => ({ data: t.dataSync() as Float32Array, width: t.shape[1] as number }))
    })
    outs.forEach((out, o) => {
      for (let k = 0; k < idx.length; k++) rows[o].push(out.data.slice(k * out.width, (k + 1) * out.width))
    })
  }
  return rows
}

/** The model's output for every cell, one row a cell, in batches. */
export function predictBatches(model: tf.LayersModel, cells: CellPixels, input: InputNormalisation, batch = 32): Float32Array[] {
  return predictOutputs(model, cells, input, batch)[0]
}

export const argmax = (v: Float32Array) => v.reduce((b, x, i) => (x > v[b] ? i : b), 0)

/** Pixel vectors for the cosine check (cosine does not depend on scale, so the bytes themselves). */
function pixelRows(cells: CellPixels): Uint8Array[] {
  const per = cells.size * cells.size * 3
  return Array.from({ length: cells.count }, (_, i) => cells.pixels.subarray(i * per, (i + 1) * per))
}

function pair(realReal: number, realGenerated: number): SimilarityPair {
  return { realReal, realGenerated, gap: realReal - realGenerated }
}

/**
 * What the baseline calls one class's generated cells, and how many of the
 * real ones of that class it gets right (check 1).
 */
export function baselineCalls(model: tf.LayersModel, input: InputNormalisation, classes: readonly string[], cls: string, real: CellPixels, gen: CellPixels): QualityClassResult['baseline'] {
  return baselineFromScores(classes, cls, predictBatches(model, real, input), predictBatches(model, gen, input))
}

/** The same from the baseline's class scores (one row a cell), when they were computed already. */
export function baselineFromScores(classes: readonly string[], cls: string, realScores: Float32Array[], genScores: Float32Array[]): QualityClassResult['baseline'] {
  const c = classes.indexOf(cls)
  const calledAs: Record<string, number> = Object.fromEntries(classes.map((k) => [k, 0]))
  for (const row of genScores) calledAs[classes[argmax(row)]]++
  const realRight = realScores.filter((r) => argmax(r) === c).length
  return { accuracyOnGenerated: calledAs[cls] / genScores.length, accuracyOnReal: realRight / realScores.length, generatedCalledAs: calledAs }
}

/**
 * Mean cosine similarity real/real against real/generated (check 3), on
 * pixels and on the baseline's penultimate features (fReal, fGen: the
 * feature model's rows for those cells).
 */
export function cosineSimilarities(real: CellPixels, gen: CellPixels, fReal: Float32Array[], fGen: Float32Array[]): QualityClassResult['cosine'] {
  const pReal = pixelRows(real)
  const pGen = pixelRows(gen)
  return {
    pixels: pair(meanCosineSimilarity(pReal), meanCosineSimilarity(pReal, pGen)),
    features: pair(meanCosineSimilarity(fReal), meanCosineSimilarity(fReal, fGen))
  }
}

function concatCells(parts: CellPixels[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.pixels.length, 0))
  let off = 0
  for (const p of parts) {
    out.set(p.pixels, off)
    off += p.pixels.length
  }
  return out
}

/**
 * Check 2's classifier: a W-Net (the project's `train()`, `size` px, no
 * validation split) trained on `trainParts` (one cell set per class, in
 * `classes` order) and tested on `testParts`. Cells are resized to `size`
 * with the generated cells' filter (not at all when already that size).
 * Exported so the same recipe can be run on real training cells as a
 * control (scripts/tstr-real-control.ts).
 */
export async function trainAndTest(
  trainParts: CellPixels[],
  testParts: CellPixels[],
  classes: string[],
  o: { size: number; epochs: number; seed: number; workers?: number; signal?: AbortSignal }
): Promise<TrainedOnGenerated> {
  const T = o.size
  // From the cells at the generator's size: at --tstr-size 64 they are used
  // as they are, not resized up to the judge's size and back.
  const train_ = await Promise.all(trainParts.map((p) => resizeCells(p, T)))
  const test_ = await Promise.all(testParts.map((p) => resizeCells(p, T)))
  const labels = Int32Array.from(train_.flatMap((p, li) => new Array<number>(p.count).fill(li)))
  const spec = specFor('wnet', { inputSize: T, numClasses: classes.length, seed: o.seed })
  const trained = await train({
    spec,
    cells: { pixels: concatCells(train_), labels, size: T, classes },
    trainIndices: Array.from(labels.keys()),
    epochs: o.epochs,
    seed: o.seed,
    workers: o.workers ?? 0,
    signal: o.signal,
    task: 'gan-report'
  })
  const net = modelFromWeights(spec, trained.weights)
  try {
    const confusion = classes.map(() => new Array<number>(classes.length).fill(0))
    test_.forEach((part, li) => {
      // Trained here without colour normalisation.
      for (const row of predictBatches(net, part, 'none')) confusion[li][argmax(row)]++
    })
    const rep: ClassificationReport = reportFromConfusion(confusion, classes)
    return {
      classes,
      inputSize: T,
      epochs: o.epochs,
      trainCells: labels.length,
      testCells: test_.reduce((n, p) => n + p.count, 0),
      accuracy: rep.accuracy,
      perClass: rep.perClass.map((m) => ({ class: m.label, recall: m.recall, precision: m.precision, f1: m.f1, n: m.support })),
      confusion: rep.confusion
    }
  } finally {
    net.dispose()
  }
}

export async function runQualityReport(db: Db, o: QualityOptions): Promise<QualityReport> {
  const started = Date.now()
  const info = await initBackend()
  const perClass = o.perClass ?? 100
  const seed = o.seed ?? 1
  const epochs = o.epochs ?? 5
  const classes = [...(o.classes ?? WBC_CLASSES)]
  const gens: GeneratorRow[] = o.generatorIds.map((id) => {
    const g = getGenerator(db, id)
    if (!g) throw new Error(`generator ${id} not found`)
    if (!classes.includes(g.class)) throw new Error(`generator ${g.name} makes ${g.class}, which the model does not know`)
    return g
  })
  if (new Set(gens.map((g) => g.class)).size !== gens.length) throw new Error('give one generator per class')
  if (!o.model && !o.modelPath) throw new Error('a baseline model is needed (modelPath)')
  // The judge sees cells as it was trained to: its metadata's colour normalisation.
  const loaded = o.model ? { model: o.model, input: o.inputNormalisation ?? 'none' } : await (async () => {
    const a = await readModelDir(o.modelPath!)
    return { model: await artifactsToModel(a), input: inputNormalisationOf(a.meta) }
  })()
  const model = loaded.model
  const modelName = o.modelName ?? o.modelPath ?? 'model'
  const S = model.inputs[0].shape[1] as number
  const judge = judgeModel(model)
  const totalSteps = gens.length + (epochs > 0 && gens.length > 1 ? 1 : 0)
  let done = 0
  const progress = (message: string) =>
    o.onProgress?.({ task: 'gan-report', done, total: totalSteps, unit: 'checks', etaSeconds: estimateEta(started, done, totalSteps), message })
  const results: QualityClassResult[] = []
  const grids: { generatorId: number; checkpointId: number; class: string; gridPng: Buffer }[] = []
  const reals: CellPixels[] = []
  const generated: CellPixels[] = []
  try {
    for (const g of gens) {
      throwIfCancelled(o.signal, 'quality report cancelled')
      progress(`${g.class}: cells`)
      const ck = latestCheckpoint(db, g.id)
      if (!ck) throw new Error(`generator ${g.name} has no checkpoint yet`)
      const have = listSyntheticImages(db, { generatorId: g.id, checkpointId: ck.id }).length
      if (have < perClass) await generateCells(db, { generatorId: g.id, checkpointId: ck.id, count: perClass, seed })
      // Both sides at the generator's size first (the W-Net trained on
      // generated cells starts from these), then resized to the judge's with
      // the same filter: real cells go through the generated cells' path,
      // so resolution alone does not tell them apart.
      const gSize = settingsOf(g).size
      const genNative = await generatedCells(db, g.id, gSize, { checkpointId: ck.id, limit: perClass, seed })
      const realNative = await realCellsOfClass(o.real, g.class, gSize, { limit: perClass, seed })
      reals.push(realNative)
      generated.push(genNative)
      const gen = await resizeCells(genNative, S)
      const real = await resizeCells(realNative, S)
      const [genScores, fGen] = predictOutputs(judge, gen, loaded.input)
      const [realScores, fReal] = predictOutputs(judge, real, loaded.input)
      const half = Math.floor(Math.min(real.count / 2, gen.count))
      results.push({
        class: g.class,
        generator: { id: g.id, name: g.name, step: ck.step, checkpointId: ck.id },
        realCells: real.count,
        generatedCells: gen.count,
        baseline: baselineFromScores(classes, g.class, realScores, genScores),
        cosine: cosineSimilarities(real, gen, fReal, fGen),
        frechet: {
          realVsGenerated: frechetDistanceOfSets(fReal.slice(0, half), fGen.slice(0, half)),
          realVsReal: frechetDistanceOfSets(fReal.slice(0, half), fReal.slice(half, 2 * half)),
          cellsPerSet: half,
          features: fReal[0]?.length ?? 0
        }
      })
      const sample = await generatedCells(db, g.id, settingsOf(g).size, { checkpointId: ck.id, limit: 16, seed })
      grids.push({ generatorId: g.id, checkpointId: ck.id, class: g.class, gridPng: await composeGrid(sample.pixels, sample.size, { minTile: 64 }) })
      done++
    }

    let trainedOnGenerated: TrainedOnGenerated | null = null
    let skipped: string | undefined
    if (epochs <= 0) skipped = 'epochs 0: the W-Net trained on generated cells was not run'
    else if (gens.length < 2) skipped = 'one class only: a classifier trained on generated cells needs at least two classes'
    else {
      progress('W-Net on generated cells')
      // Classes in the baseline's order, limited to those with a generator.
      const order = classes.filter((k) => gens.some((g) => g.class === k))
      const byClass = (k: string) => gens.findIndex((g) => g.class === k)
      const T = o.tstrSize ?? S
      trainedOnGenerated = await trainAndTest(
        order.map((k) => generated[byClass(k)]),
        order.map((k) => reals[byClass(k)]),
        order,
        { size: T, epochs, seed, workers: o.workers, signal: o.signal }
      )
      done++
    }
    const report: QualityReport = {
      model: modelName,
      inputSize: S,
      perClass,
      seed,
      classes,
      results,
      trainedOnGenerated,
      ...(skipped ? { skipped } : {}),
      backend: info.name,
      seconds: (Date.now() - started) / 1000
    }
    report.id = saveSyntheticReport(db, { model: modelName, settings: { perClass, seed, epochs }, report, generators: grids })
    progress('done')
    return report
  } finally {
    // The feature model shares its layers (and weights) with the model.
    if (!o.model) model.dispose()
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`

/** The report as the CLI prints it. */
export function formatQualityReport(r: QualityReport): string {
  const lines = [`Quality report${r.id ? ` #${r.id}` : ''}: baseline ${r.model} (${r.inputSize} px), ${r.perClass} cells per class, seed ${r.seed}, ${r.backend}`]
  lines.push('')
  lines.push('class        step  W-Net on gen  (on real)  cos px real/real  real/gen  gap     cos feat gap  FD real/gen  FD real/real')
  for (const c of r.results) {
    lines.push(
      `${c.class.padEnd(12)} ${String(c.generator.step).padStart(5)}  ${pct(c.baseline.accuracyOnGenerated).padStart(12)}  ${pct(c.baseline.accuracyOnReal).padStart(9)}  ` +
        `${c.cosine.pixels.realReal.toFixed(3).padStart(16)}  ${c.cosine.pixels.realGenerated.toFixed(3).padStart(8)}  ${c.cosine.pixels.gap.toFixed(3).padStart(6)}  ` +
        `${c.cosine.features.gap.toFixed(3).padStart(12)}  ${c.frechet.realVsGenerated.toFixed(2).padStart(11)}  ${c.frechet.realVsReal.toFixed(2).padStart(12)}`
    )
  }
  lines.push('')
  const t = r.trainedOnGenerated
  if (t) {
    lines.push(`W-Net trained on generated cells (${t.trainCells} cells, ${t.inputSize ?? r.inputSize} px, ${t.epochs} epochs), tested on ${t.testCells} real cells: accuracy ${pct(t.accuracy)}`)
    for (const m of t.perClass) lines.push(`  ${m.class.padEnd(12)} recall ${pct(m.recall).padStart(6)}  precision ${pct(m.precision).padStart(6)}  n ${m.n}`)
  } else lines.push(`W-Net trained on generated cells: skipped (${r.skipped})`)
  lines.push(`(${r.seconds.toFixed(1)} s)`)
  return lines.join('\n')
}

