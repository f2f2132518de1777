// Cross-validation on real cells: a 3-fold run at 32 px on 20 PBC cells per
// class (report shape, stored records, accuracy above the 20% of chance), and
// a run cancelled in its second fold that resumes without redoing the first
// fold and continues the second from its checkpoint; a run cancelled while its
// cells load (a CancelledError from the cell loader, told from a failure by
// its class) ends cancelled, not failed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rmSync } from 'node:fs'
import { crossValidate, formatCrossvalReport } from '../../../../src/main/ml/train/cross-validation'
import { getRun, listRunCheckpoints, runEpochs, runFolds, runImages, getFoldPlan, listModels, listPredictions } from '../../../../src/main/store/index'
import { smallStore, FIVE, type SmallStore } from './cross-validation-fixtures'

let s: SmallStore
beforeAll(async () => {
  s = await smallStore({ 'pbc-wbc': { classes: FIVE, perClass: 20 } })
})
afterAll(() => {
  s?.db.close()
  if (s) rmSync(s.root, { recursive: true, force: true })
})

describe('crossValidate', () => {
  it('runs a stratified 3-fold cross-validation at 32 px on real cells and stores the run', async () => {
    const progress: number[] = []
    const r = await crossValidate(s.db, {
      dataset: 'pbc-wbc',
      inputSize: 32,
      k: 3,
      seed: 1,
      // In this thread: no worker start-up per fold (the worker path is exercised by the CLI train test).
      workers: 0,
      // Enough to learn something real at 32 px from ~67 training cells per fold.
      settings: { epochs: 20, batchSize: 5, learningRate: 1e-3, augment: true },
      onProgress: (p) => {
        if (p.task === 'crossval') progress.push(p.done / p.total)
      }
    })
    expect(r.status).toBe('done')
    expect(r.k).toBe(3)
    expect(r.cells).toBe(100)
    expect(r.classes).toEqual([...FIVE])
    expect(r.backend).toBe('wasm')
    // Table 10: 3 folds x 5 classes, every class present in every fold (stratified: 20 cells over 3 folds).
    expect(r.table10.rows).toHaveLength(3)
    for (const row of r.table10.rows) {
      expect(row).toHaveLength(5)
      for (const v of row) expect(v === null ? -1 : v).toBeGreaterThanOrEqual(0)
    }
    expect(r.folds.map((f) => f.testCells).reduce((a, b) => a + b)).toBe(100)
    for (const f of r.folds) expect(f.testCells).toBeGreaterThanOrEqual(33 - 1)
    // Pooled report.
    expect(r.overall.total).toBe(100)
    expect(r.overall.confusion.flat().reduce((a, b) => a + b)).toBe(100)
    expect(r.overall.perClass.map((m) => m.support)).toEqual([20, 20, 20, 20, 20])
    for (const c of r.curves.perClass) {
      expect(c.rocAuc).not.toBeNull()
      expect(c.roc.length).toBeGreaterThan(2)
      expect(c.pr.length).toBeGreaterThan(2)
    }
    // Real learning on real cells: well above the 20% a guess gets.
    expect(r.overall.accuracy).toBeGreaterThan(0.3)
    expect(r.curves.macroRocAuc!).toBeGreaterThan(0.65)
    expect(progress[progress.length - 1]).toBe(1)
    expect(formatCrossvalReport(r)).toMatch(/Table 10[\s\S]*mean[\s\S]*Overall accuracy/)

    // The run as a record.
    const run = getRun(s.db, r.runId)!
    expect(run).toMatchObject({ kind: 'crossval', status: 'done', architecture: 'wnet', inputSize: 32, seed: 1, backend: 'wasm' })
    expect(run.hyperparameters).toMatchObject({ epochs: 20, batchSize: 5, learningRate: 1e-3, k: 3 })
    expect(runImages(s.db, r.runId)).toHaveLength(100)
    expect(runImages(s.db, r.runId).every((im) => im.labelId !== null && im.fold !== null)).toBe(true)
    expect(getFoldPlan(s.db, r.foldPlan)).toMatchObject({ k: 3, seed: 1 })
    expect(runFolds(s.db, r.runId).map((f) => f.status)).toEqual(['done', 'done', 'done'])
    expect(runEpochs(s.db, r.runId)).toHaveLength(60)
    expect(runEpochs(s.db, r.runId).every((e) => e.valAccuracy !== null)).toBe(true)
    expect(listRunCheckpoints(s.db, r.runId)).toEqual([])
    expect(listModels(s.db, { runId: r.runId })).toHaveLength(3)
    const preds = r.folds.flatMap((f) => listPredictions(s.db, { modelId: f.modelId! }))
    expect(preds).toHaveLength(100)

    // Asking again with the same settings reports the finished run instead of training again.
    const again = await crossValidate(s.db, { dataset: 'pbc-wbc', inputSize: 32, k: 3, seed: 1, workers: 0, settings: { epochs: 20, batchSize: 5, learningRate: 1e-3, augment: true } })
    expect(again.runId).toBe(r.runId)
    expect(again.overall.accuracy).toBe(r.overall.accuracy)
  }, 300_000) // three folds of training: about 110 s on two idle cores, over 120 s when they are shared

  it('cancelled mid-fold, resumes: finished folds are not redone and the open fold continues from its checkpoint', async () => {
    const opts = { dataset: 'pbc-wbc', inputSize: 32, k: 3, seed: 2, workers: 0, settings: { epochs: 4, batchSize: 10, learningRate: 1e-3 } } as const
    const abort = new AbortController()
    const first = await crossValidate(s.db, {
      ...opts,
      signal: abort.signal,
      onProgress: (p) => {
        // Cancel during the second fold's third epoch (two epochs checkpointed).
        if (p.metrics?.fold === 2 && p.metrics?.epoch === 3) abort.abort()
      }
    })
    expect(first.status).toBe('cancelled')
    expect(getRun(s.db, first.runId)!.status).toBe('cancelled')
    const foldsBefore = runFolds(s.db, first.runId)
    expect(foldsBefore.map((f) => f.status)).toEqual(['done', 'running', 'pending'])
    expect(listRunCheckpoints(s.db, first.runId)).toEqual([expect.objectContaining({ fold: 1, epoch: 2 })])
    const fold0Epochs = runEpochs(s.db, first.runId, 0)
    expect(fold0Epochs).toHaveLength(4)

    const seenFolds = new Set<number>()
    const resumed = await crossValidate(s.db, { ...opts, onProgress: (p) => p.metrics?.fold && seenFolds.add(p.metrics.fold as number) })
    expect(resumed.runId).toBe(first.runId)
    expect(resumed.status).toBe('done')
    expect(resumed.trainedFolds).toEqual([1, 2])
    expect([...seenFolds].sort()).toEqual([2, 3])
    expect(runFolds(s.db, first.runId)[0].modelId).toBe(foldsBefore[0].modelId)
    expect(runEpochs(s.db, first.runId, 0)).toEqual(fold0Epochs)
    expect(resumed.folds.find((f) => f.fold === 1)!.resumedFromEpoch).toBe(2)
    expect(resumed.folds.find((f) => f.fold === 2)!.resumedFromEpoch).toBe(0)
    expect(runEpochs(s.db, first.runId).map((e) => `${e.fold}:${e.epoch}`)).toEqual(['0:1', '0:2', '0:3', '0:4', '1:1', '1:2', '1:3', '1:4', '2:1', '2:2', '2:3', '2:4'])
    expect(listRunCheckpoints(s.db, first.runId)).toEqual([])
    expect(resumed.overall.total).toBe(100)
  })

  it('cancelled while its cells load: the run ends cancelled (not failed) and trained nothing', async () => {
    const abort = new AbortController()
    const r = await crossValidate(s.db, {
      // 24 px: no cached pixels at this size, so the loader decodes and checks the signal between cells.
      dataset: 'pbc-wbc', inputSize: 24, k: 3, seed: 3, workers: 0, settings: { epochs: 1, batchSize: 10 },
      signal: abort.signal,
      onProgress: (p) => {
        if (p.task === 'load cells') abort.abort()
      }
    })
    expect(r.status).toBe('cancelled')
    expect(getRun(s.db, r.runId)).toMatchObject({ status: 'cancelled', error: null })
    expect(runEpochs(s.db, r.runId)).toEqual([])
  })
})
