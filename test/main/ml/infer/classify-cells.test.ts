// Inference over the store: batched classification of real cells storing the
// five probabilities, top class, confidence and model; out-of-distribution
// calibration (msp, energy, Mahalanobis) stored with the model and applied;
// models exported and imported as standard tfjs folders, and 8-bit quantised.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rmSync, readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { initBackend } from '../../../../src/main/ml/model/tfjs-backend'
import { buildModel, specFor } from '../../../../src/main/ml/model/architectures/index'
import { saveModel, exportModel, importModel, unloadClassifiers } from '../../../../src/main/ml/model/registry'
import { classifyCells, calibrateOod, formatSeparationTable } from '../../../../src/main/ml/infer/classify-cells'
import { fitMahalanobis, mahalanobisScores, measureSeparation, thresholdForRate, flaggedShare, scoreAuc, fitLogisticDetector, logisticScores, detectorFromBytes, detectorToBytes } from '../../../../src/main/ml/ood/ood-scores'
import { getModel, listPredictions } from '../../../../src/main/store/index'
import { WNET_RECIPE } from '../../../../src/main/imaging/decode'
import { mulberry32 } from '../../../../src/main/stats/random'
import { smallStore, FIVE, type SmallStore } from '../train/cross-validation-fixtures'

let s: SmallStore
let modelId: number
beforeAll(async () => {
  s = await smallStore({
    'pbc-wbc': { classes: FIVE, perClass: 6 },
    'pbc-other': { classes: ['ig', 'erythroblast', 'platelet'], perClass: 4 }
  })
  await initBackend()
  const model = buildModel(specFor('wnet', { inputSize: 32, seed: 3 }))
  modelId = await saveModel(s.db, model, { architecture: 'wnet', inputSize: 32, classes: [...FIVE], preprocessRecipe: WNET_RECIPE }, { name: 'untrained 32px', provenance: 'run' })
  model.dispose()
})
afterAll(() => {
  unloadClassifiers()
  s?.db.close()
  if (s) rmSync(s.root, { recursive: true, force: true })
})

describe('classifyCells', () => {
  it('classifies a dataset in batches and stores probabilities, top class, confidence and model', async () => {
    const r = await classifyCells(s.db, { dataset: 'pbc-wbc', model: modelId, batchSize: 7 })
    expect(r.cells).toBe(30)
    expect(r.backend).toBe('wasm')
    expect(Object.values(r.counts).reduce((a, b) => a + b)).toBe(30)
    const stored = listPredictions(s.db, { modelId })
    expect(stored).toHaveLength(30)
    for (const p of stored) {
      const probs = FIVE.map((c) => p.probabilities[c])
      expect(probs.reduce((a, b) => a + b)).toBeCloseTo(1, 4)
      const top = probs.indexOf(Math.max(...probs))
      expect(p.topClass).toBe(FIVE[top])
      expect(p.confidence).toBeCloseTo(probs[top], 6)
      expect(p.unidentified).toBeNull() // not calibrated yet
    }
    // The batch size does not change the answer.
    const whole = await classifyCells(s.db, { dataset: 'pbc-wbc', model: modelId, batchSize: 64, store: false })
    whole.predictions.forEach((p, i) => {
      for (const c of FIVE) expect(p.probabilities[c]).toBeCloseTo(r.predictions[i].probabilities[c], 5)
    })
  })

  it('calibrates Unidentified routing on held-out WBCs vs non-WBC objects and applies it', async () => {
    const { calibration, chosen } = await calibrateOod(s.db, { model: modelId, fit: { dataset: 'pbc-wbc' }, wbc: { dataset: 'pbc-wbc' }, other: { dataset: 'pbc-other' } })
    expect(calibration.measured.map((m) => m.score).sort()).toEqual(['energy', 'mahalanobis', 'msp', 'outlier-exposure'])
    expect(Number.isFinite(calibration.threshold)).toBe(true)
    // Half of each non-WBC class is shown to the detector; every score is measured on the other half.
    expect(calibration.exposureCells).toBe(6)
    expect(calibration.otherCells).toBe(6)
    expect(getModel(s.db, modelId)!.calibration).toMatchObject({ score: chosen })
    expect(formatSeparationTable(calibration)).toMatch(/\| msp/)
    const r = await classifyCells(s.db, { dataset: 'pbc-other', model: modelId })
    for (const p of r.predictions) {
      expect(p.oodScore).not.toBeNull()
      expect(p.unidentified).toBe(p.oodScore! > calibration.threshold)
    }
    const stored = listPredictions(s.db, { modelId, imageIds: r.predictions.map((p) => p.imageId) })
    expect(stored.map((p) => p.unidentified)).toEqual(r.predictions.map((p) => p.unidentified))
  })

  it('exports and re-imports a model as a standard tfjs folder, and quantises it to 8 bits', async () => {
    const dir = join(s.root, 'exported')
    const file = await exportModel(s.db, modelId, dir)
    const json = JSON.parse(readFileSync(file, 'utf8'))
    expect(json.format).toBe('layers-model')
    expect(json.weightsManifest[0].paths.every((p: string) => existsSync(join(dir, p)))).toBe(true)
    expect(json.userDefinedMetadata.wbc).toMatchObject({ architecture: 'wnet', inputSize: 32, classes: [...FIVE] })
    // The calibration and the data its score needs travel with the folder.
    expect(existsSync(join(dir, 'wbc-ood-mahalanobis.bin'))).toBe(true)
    expect(existsSync(join(dir, 'wbc-ood-outlier-exposure.bin'))).toBe(true)
    const again = await importModel(s.db, dir)
    expect(getModel(s.db, again)).toMatchObject({ provenance: 'imported', inputSize: 32, quantization: 'float32' })
    expect(getModel(s.db, again)!.calibration).toEqual(getModel(s.db, modelId)!.calibration)
    const a = await classifyCells(s.db, { dataset: 'pbc-wbc', model: modelId, store: false })
    const b = await classifyCells(s.db, { dataset: 'pbc-wbc', model: again, store: false })
    b.predictions.forEach((p, i) => {
      expect(p.probabilities.neutrophil).toBeCloseTo(a.predictions[i].probabilities.neutrophil, 6)
      expect(p.oodScore!).toBeCloseTo(a.predictions[i].oodScore!, 3)
    })

    await initBackend()
    const model = buildModel(specFor('wnet', { inputSize: 32, seed: 3 }))
    const q = await saveModel(s.db, model, { architecture: 'wnet', inputSize: 32, classes: [...FIVE], preprocessRecipe: WNET_RECIPE }, { name: 'uint8', provenance: 'run', quantization: 'uint8' })
    model.dispose()
    const rowF = getModel(s.db, modelId)!
    const rowQ = getModel(s.db, q)!
    expect(rowQ.quantization).toBe('uint8')
    expect(rowQ.byteSize).toBeLessThan(rowF.byteSize / 3.5)
    const c = await classifyCells(s.db, { dataset: 'pbc-wbc', model: q, store: false })
    const maxDiff = Math.max(...c.predictions.flatMap((p, i) => FIVE.map((k) => Math.abs(p.probabilities[k] - a.predictions[i].probabilities[k]))))
    expect(maxDiff).toBeLessThan(0.05)
  })
})

describe('out-of-distribution scores', () => {
  it('the outlier-exposure detector learns to separate the kinds of objects it was shown', () => {
    const rnd = mulberry32(11)
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd())
    const dim = 6
    const make = (n: number, shift: number) => Float32Array.from({ length: n * dim }, (_, i) => gauss() + (i % dim === 2 ? shift : 0))
    const det = fitLogisticDetector(make(200, 0), 200, make(60, 3), 60, dim)
    const sIn = logisticScores(det, make(100, 0), 100)
    const sOut = logisticScores(det, make(100, 3), 100)
    expect(scoreAuc(sOut, sIn)).toBeGreaterThan(0.95)
    // The weight on the informative feature dominates.
    const strongest = Array.from(det.weights, Math.abs).indexOf(Math.max(...Array.from(det.weights, Math.abs)))
    expect(strongest).toBe(2)
    expect(detectorFromBytes(detectorToBytes(det)).weights[2]).toBeCloseTo(det.weights[2], 12)
  })

  it('Mahalanobis distance on fitted class statistics separates outliers from class members', () => {
    const rnd = mulberry32(5)
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd())
    const dim = 8
    const C = 3
    const n = 300
    const centre = (c: number, j: number) => (j === c ? 6 : 0)
    const feats = new Float32Array(n * dim)
    const labels = Int32Array.from({ length: n }, (_, i) => i % C)
    for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) feats[i * dim + j] = centre(labels[i], j) + gauss() * (j < 4 ? 1 : 0.2)
    const stats = fitMahalanobis(feats, labels, C, dim, { shrinkage: 0.01 })
    const inlier = new Float32Array(100 * dim)
    const outlier = new Float32Array(100 * dim)
    for (let i = 0; i < 100; i++) {
      for (let j = 0; j < dim; j++) {
        inlier[i * dim + j] = centre(i % C, j) + gauss() * (j < 4 ? 1 : 0.2)
        // Off the class manifolds along the low-variance directions.
        outlier[i * dim + j] = centre(i % C, j) + gauss() * (j < 4 ? 1 : 2)
      }
    }
    const sIn = mahalanobisScores(stats, inlier, 100)
    const sOut = mahalanobisScores(stats, outlier, 100)
    expect(scoreAuc(sOut, sIn)).toBeGreaterThan(0.95)
    const t = thresholdForRate(sIn, 0.05)
    expect(flaggedShare(sIn, t)).toBeLessThanOrEqual(0.05)
    const m = measureSeparation('mahalanobis', Float64Array.from(sIn), Float64Array.from(sOut), new Array(100).fill('x'))
    expect(m.otherFlagged).toBeGreaterThan(0.8)
    expect(m.wbcFlagged).toBeLessThan(0.15)
  })
})
