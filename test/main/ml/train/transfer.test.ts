// Transfer learning: scratch and fine-tuned runs on a second dataset share one
// stored fold plan; fine-tuning starts from the base model's weights, and
// head-only fine-tuning leaves the convolutional weights exactly as they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { transferComparison } from '../../../../src/main/stats/transfer-comparison'
import { getModel } from '../../../../src/main/store/models'
import { rmSync } from 'node:fs'
import { trainRun } from '../../../../src/main/ml/train/training-run'
import { transferExperiment, formatTransferReport } from '../../../../src/main/ml/train/transfer'
import { loadStoredClassifier, unloadClassifiers } from '../../../../src/main/ml/model/registry'
import { getRun, runImages } from '../../../../src/main/store/index'
import { smallStore, FIVE, type SmallStore } from './cross-validation-fixtures'

let s: SmallStore
beforeAll(async () => {
  s = await smallStore({ 'pbc-wbc': { classes: FIVE, perClass: 6 }, 'chula-wbc': { classes: FIVE, perClass: 4 } })
})
afterAll(() => {
  unloadClassifiers()
  s?.db.close()
  if (s) rmSync(s.root, { recursive: true, force: true })
})

function weight(model: { getLayer: (n: string) => { getWeights: () => { dataSync: () => ArrayLike<number> }[] } }, layer: string): Float32Array {
  return Float32Array.from(model.getLayer(layer).getWeights()[0].dataSync())
}

describe('transferExperiment', () => {
  it('compares scratch and fine-tuned (all layers / dense head) on the same folds', async () => {
    const base = await trainRun(s.db, { dataset: 'pbc-wbc', inputSize: 32, workers: 0, settings: { epochs: 2, batchSize: 5, learningRate: 1e-3 } })
    expect(base.status).toBe('done')
    const t = await transferExperiment(s.db, {
      baseModel: base.modelId!,
      dataset: 'chula-wbc',
      k: 2,
      seed: 4,
      workers: 0,
      settings: { epochs: 2, batchSize: 5, learningRate: 1e-3 },
      fineTuneSettings: { learningRate: 1e-4 }
    })
    expect(t.status).toBe('done')
    expect(t.fineTuned.map((f) => f.mode)).toEqual(['all', 'head'])
    const runs = [t.scratch, ...t.fineTuned.map((f) => f.report)]
    for (const r of runs) {
      expect(r.foldPlan).toBe(t.foldPlan)
      expect(r.cells).toBe(20)
      expect(r.overall.total).toBe(20)
    }
    // Identical folds: every image sits in the same fold in all three runs.
    const folds = runs.map((r) => runImages(s.db, r.runId).map((im) => `${im.imageId}:${im.fold}`).join(','))
    expect(new Set(folds).size).toBe(1)
    for (const f of t.fineTuned) {
      const run = getRun(s.db, f.report.runId)!
      expect(run).toMatchObject({ kind: 'finetune', baseModelId: base.modelId, parentRunId: t.scratch.runId })
      expect(run.hyperparameters).toMatchObject({ learningRate: 1e-4, init: { modelId: base.modelId, mode: f.mode } })
    }
    expect(getRun(s.db, t.scratch.runId)!.hyperparameters).toMatchObject({ learningRate: 1e-3, init: null })

    // What each fine-tuning changed, fold 1's model against the base model.
    const baseModel = (await loadStoredClassifier(s.db, base.modelId!)).model
    const all = (await loadStoredClassifier(s.db, t.fineTuned[0].report.folds[0].modelId!)).model
    const head = (await loadStoredClassifier(s.db, t.fineTuned[1].report.folds[0].modelId!)).model
    const same = (a: Float32Array, b: Float32Array) => a.every((v, i) => v === b[i])
    expect(same(weight(head, 'conv1'), weight(baseModel, 'conv1'))).toBe(true)
    expect(same(weight(head, 'conv3'), weight(baseModel, 'conv3'))).toBe(true)
    expect(same(weight(head, 'fc1'), weight(baseModel, 'fc1'))).toBe(false)
    expect(same(weight(all, 'conv1'), weight(baseModel, 'conv1'))).toBe(false)
    // Not a fresh initialisation: fine-tuned conv weights stay close to the base model's.
    const dist = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((acc, v, i) => acc + (v - b[i]) ** 2, 0))
    const scratch = (await loadStoredClassifier(s.db, t.scratch.folds[0].modelId!)).model
    expect(dist(weight(all, 'conv2'), weight(baseModel, 'conv2'))).toBeLessThan(dist(weight(scratch, 'conv2'), weight(baseModel, 'conv2')) / 5)

    const text = formatTransferReport(t)
    expect(text).toMatch(/scratch\s+fine-tune all\s+fine-tune head/)
    expect(text).toMatch(/recall basophil/)

    // The stored side-by-side (run report, `wbc runs show`) says what the experiment returned, from any arm.
    for (const id of [t.scratch.runId, t.fineTuned[1].report.runId]) {
      const c = transferComparison(s.db, getRun(s.db, id)!)!
      expect(c.baseModels.map((b) => b.id)).toEqual([base.modelId])
      expect(c.k).toBe(t.scratch.k)
      expect(c.arms.map((a) => [a.label, a.runId, a.status])).toEqual([
        ['scratch', t.scratch.runId, 'done'],
        ['fine-tune all', t.fineTuned[0].report.runId, 'done'],
        ['fine-tune head', t.fineTuned[1].report.runId, 'done']
      ])
      const reports = [t.scratch, t.fineTuned[0].report, t.fineTuned[1].report]
      c.arms.forEach((a, i) => {
        expect(a.accuracy).toBeCloseTo(reports[i]!.overall.accuracy, 10)
        expect(a.macroF1).toBeCloseTo(reports[i]!.overall.macro.f1, 10)
        expect(a.recall!.basophil).toBeCloseTo(reports[i]!.overall.perClass.find((p) => p.label === 'basophil')!.recall, 10)
        const foldMean = reports[i]!.folds.reduce((x, f) => x + f.accuracy, 0) / reports[i]!.folds.length
        expect(a.foldAccuracy!.mean).toBeCloseTo(foldMean, 10)
      })
    }
    // A plain cross-validation is no transfer experiment.
    expect(transferComparison(s.db, getRun(s.db, base.runId)!)).toBeNull()

    // A second experiment from another model with the same settings reuses the finished scratch arm; each
    // fine-tuned arm compares with its own model's arms, the scratch arm names every arm's model.
    const scratchFinished = getRun(s.db, t.scratch.runId)!.finishedAt
    const other = await trainRun(s.db, { dataset: 'pbc-wbc', inputSize: 32, workers: 0, seed: 9, settings: { epochs: 1, batchSize: 5, learningRate: 1e-3 } })
    const t2 = await transferExperiment(s.db, {
      baseModel: other.modelId!, dataset: 'chula-wbc', k: 2, seed: 4, workers: 0, modes: ['head'],
      settings: { epochs: 2, batchSize: 5, learningRate: 1e-3 }, fineTuneSettings: { learningRate: 1e-4 }
    })
    expect(t2.scratch.runId).toBe(t.scratch.runId)
    expect(getRun(s.db, t.scratch.runId)!.finishedAt).toBe(scratchFinished)
    const own = transferComparison(s.db, getRun(s.db, t2.fineTuned[0]!.report.runId)!)!
    expect(own.baseModels.map((b) => b.id)).toEqual([other.modelId])
    expect(own.arms.map((a) => a.label)).toEqual(['scratch', 'fine-tune head'])
    const every = transferComparison(s.db, getRun(s.db, t.scratch.runId)!)!
    expect(every.baseModels.map((b) => b.id)).toEqual([base.modelId, other.modelId])
    expect(every.arms.map((a) => a.label)).toEqual([
      'scratch',
      `fine-tune all from model ${base.modelId} (${getModel(s.db, base.modelId!)!.name})`,
      `fine-tune head from model ${base.modelId} (${getModel(s.db, base.modelId!)!.name})`,
      `fine-tune head from model ${other.modelId} (${getModel(s.db, other.modelId!)!.name})`
    ])
  })
})
