// The quality report on real pbc-wbc cells with a tiny baseline model (saved
// and loaded as a standard tfjs directory) and two tiny GANs, then the
// generated-dataset export with its card.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { initBackend, tf } from '../../../src/main/ml/model/tfjs-backend'
import { listClassFolders, loadCells, fillBatch } from '../../../src/main/ml/data/cell-set'
import { saveModelDirectory } from '../../../src/main/ml/model/tfjs-io'
import { WBC_CLASSES } from '../../../src/shared/cells'
import { openStore, getSyntheticReport, reportGrid, type Db } from '../../../src/main/store/index'
import { PBC_ATTRIBUTION, trainGenerator } from '../../../src/main/synthetic/generators'
import { formatQualityReport, runQualityReport } from '../../../src/main/synthetic/quality'
import { exportSyntheticDataset } from '../../../src/main/synthetic/export'
import { datasetPath } from '../../helpers/datasets'

const SIZE = 16
let dir: string
let db: Db

/** A small classifier over the five classes, trained briefly on real cells of two of them. */
async function tinyBaseline(): Promise<string> {
  const files = (await listClassFolders(datasetPath('pbc-wbc'), WBC_CLASSES)).filter((f) => f.relative.startsWith('basophil/') || f.relative.startsWith('neutrophil/'))
  const pick = [...files.filter((f) => f.relative.startsWith('basophil/')).slice(0, 30), ...files.filter((f) => f.relative.startsWith('neutrophil/')).slice(0, 30)]
  const cells = await loadCells(pick, SIZE)
  const x = fillBatch(cells.pixels, SIZE, Array.from(cells.labels.keys()), new Float32Array(pick.length * SIZE * SIZE * 3), { input: 'none' })
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [SIZE, SIZE, 3], filters: 8, kernelSize: 3, activation: 'relu', padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.dense({ units: 5, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })
    ]
  })
  model.compile({ optimizer: tf.train.adam(3e-3), loss: 'sparseCategoricalCrossentropy' })
  await model.fit(tf.tensor4d(x, [pick.length, SIZE, SIZE, 3]), tf.tensor1d(Float32Array.from(cells.labels), 'float32'), { epochs: 15, batchSize: 10, verbose: 0 })
  const out = join(dir, 'baseline')
  await saveModelDirectory(model, out)
  model.dispose()
  return out
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wbc-gan-quality-'))
  db = openStore(':memory:')
  await initBackend('wasm')
})
afterAll(() => {
  db?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('synthetic quality report and export', () => {
  it('reports per class on real cells, stores the report with grids, and exports a dataset with its card', async () => {
    const gens = []
    for (const cls of ['basophil', 'neutrophil']) {
      const r = await trainGenerator(db, {
        name: `${cls}-tiny`,
        class: cls,
        preset: 'tiny',
        real: { folder: datasetPath('pbc-wbc') },
        maxReal: 16,
        steps: 4,
        checkpointDir: join(dir, `ck-${cls}`),
        checkpointEvery: 4,
        attribution: PBC_ATTRIBUTION
      })
      gens.push(r.generator)
    }
    const modelPath = await tinyBaseline()
    const report = await runQualityReport(db, {
      generatorIds: gens.map((g) => g.id),
      real: { folder: datasetPath('pbc-wbc') },
      modelPath,
      perClass: 12,
      epochs: 1,
      seed: 3
    })
    expect(report.inputSize).toBe(SIZE)
    expect(report.results.map((r) => r.class)).toEqual(['basophil', 'neutrophil'])
    for (const r of report.results) {
      expect(r.realCells).toBe(12)
      expect(r.generatedCells).toBe(12)
      expect(Object.values(r.baseline.generatedCalledAs).reduce((a, b) => a + b, 0)).toBe(12)
      expect(r.baseline.accuracyOnGenerated).toBeCloseTo(r.baseline.generatedCalledAs[r.class] / 12, 10)
      for (const p of [r.cosine.pixels, r.cosine.features]) {
        expect(p.realReal).toBeGreaterThan(0)
        expect(p.realReal).toBeLessThanOrEqual(1)
        expect(p.gap).toBeCloseTo(p.realReal - p.realGenerated, 12)
      }
      expect(r.frechet.features).toBe(16)
      expect(r.frechet.cellsPerSet).toBe(6)
      expect(r.frechet.realVsGenerated).toBeGreaterThanOrEqual(0)
      expect(r.frechet.realVsReal).toBeGreaterThanOrEqual(0)
    }
    // The tiny baseline learnt real basophils vs neutrophils: well above chance on the real sample.
    const realAcc = (report.results[0].baseline.accuracyOnReal + report.results[1].baseline.accuracyOnReal) / 2
    expect(realAcc).toBeGreaterThan(0.6)
    const t = report.trainedOnGenerated!
    expect(t.classes).toEqual(['neutrophil', 'basophil'])
    expect(t.trainCells).toBe(24)
    expect(t.testCells).toBe(24)
    expect(t.confusion.flat().reduce((a, b) => a + b, 0)).toBe(24)
    expect(t.accuracy).toBeCloseTo((t.confusion[0][0] + t.confusion[1][1]) / 24, 10)

    const stored = getSyntheticReport(db, report.id!)!
    expect(JSON.parse(stored.reportJson).results).toHaveLength(2)
    expect(stored.generators.map((g) => [g.class, g.hasGrid])).toEqual([['basophil', true], ['neutrophil', true]])
    const grid = await sharp(reportGrid(db, report.id!, gens[0].id)!).metadata()
    expect(grid.format).toBe('png')
    expect(formatQualityReport(report)).toMatch(/basophil[\s\S]*neutrophil[\s\S]*W-Net trained on generated cells/)

    const out = join(dir, 'export')
    const ex = await exportSyntheticDataset(db, { generatorIds: gens.map((g) => g.id), outDir: out })
    expect(ex.perClass).toEqual({ basophil: 12, neutrophil: 12 })
    expect(readdirSync(join(out, 'basophil'))).toHaveLength(12)
    const csv = readFileSync(join(out, 'labels.csv'), 'utf8').trim().split('\n')
    expect(csv[0]).toBe('file,class,generator,checkpoint_step,seed,draw_index,sha256')
    expect(csv).toHaveLength(25)
    for (const line of csv.slice(1)) expect(existsSync(join(out, line.split(',')[0]))).toBe(true)
    const card = readFileSync(join(out, 'CARD.md'), 'utf8')
    expect(card).toContain('CC BY 4.0')
    expect(card).toContain('Acevedo')
    expect(card).toContain('none is a real cell')
    expect(card).toMatch(/\| basophil \| \d+\.\d% \|/)
    expect(JSON.parse(readFileSync(join(out, 'card.json'), 'utf8')).quality.results).toHaveLength(2)
  })
})
